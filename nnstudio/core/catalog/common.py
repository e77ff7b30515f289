"""Parameter factories and Keras-config readers shared by the layer families."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.core.catalog.spec import LayerSpec, Param, read_params

ACTIVATIONS: tuple[str, ...] = (
    "linear",
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "silu",
    "sigmoid",
    "hard_sigmoid",
    "hard_silu",
    "tanh",
    "softmax",
    "log_softmax",
    "softplus",
    "softsign",
    "mish",
    "exponential",
)
ACTIVATION_ALIASES = {"swish": "silu", "hard_swish": "hard_silu", None: "linear"}

INITIALIZERS: tuple[str, ...] = (
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
    "truncated_normal",
    "random_normal",
    "random_uniform",
    "variance_scaling",
    "zeros",
    "ones",
)
_INIT_BY_CLASS = {
    "GlorotUniform": "glorot_uniform",
    "GlorotNormal": "glorot_normal",
    "HeUniform": "he_uniform",
    "HeNormal": "he_normal",
    "LecunUniform": "lecun_uniform",
    "LecunNormal": "lecun_normal",
    "Orthogonal": "orthogonal",
    "TruncatedNormal": "truncated_normal",
    "RandomNormal": "random_normal",
    "RandomUniform": "random_uniform",
    "VarianceScaling": "variance_scaling",
    "Zeros": "zeros",
    "Ones": "ones",
}
FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area")

AXES = {
    1: ("batch", "steps", "channels"),
    2: ("batch", "height", "width", "channels"),
    3: ("batch", "depth", "height", "width", "channels"),
}


def activation(
    default: str = "linear",
    name: str = "activation",
    help: str = "Activation function applied to the output.",
) -> Param:
    """A choice among Keras' built-in activations."""
    return Param(name, "choice", default, help, choices=ACTIVATIONS)


def use_bias() -> Param:
    """Whether the layer adds a learned bias."""
    return Param("use_bias", "bool", True, "Add a learned bias vector.")


def initializer(name: str = "kernel_initializer", default: str = "glorot_uniform") -> Param:
    """How the weights are initialised before training."""
    return Param(
        name, "choice", default, "How the weights start before training.", choices=INITIALIZERS
    )


def rate(
    default: float = 0.5,
    help: str = "Fraction of inputs dropped while training.",
    name: str = "rate",
) -> Param:
    """A dropout-like fraction in [0, 1)."""
    return Param(name, "float", default, help, min=0.0, max=0.99)


def ints(
    name: str, default: tuple[int, ...], help: str, *, minimum: int = 1, nullable: bool = False
) -> Param:
    """A fixed-length tuple of ints (a single number is accepted and repeated)."""
    return Param(
        name,
        "ints",
        default,
        help,
        min=minimum,
        length=len(default),
        scalar_ok=True,
        nullable=nullable,
    )


def padding(causal: bool = False) -> Param:
    """``valid`` (no padding) or ``same`` (output keeps the input's size at stride 1)."""
    choices = ("valid", "same", "causal") if causal else ("valid", "same")
    return Param(
        "padding",
        "choice",
        "valid",
        "valid: no padding, the output shrinks; same: pad so the output keeps the "
        "input size (divided by the stride)"
        + ("; causal: pad on the left only." if causal else "."),
        choices=choices,
    )


def seed() -> Param:
    """Optional random seed of a stochastic layer."""
    return Param(
        "seed", "int", None, "Random seed (empty: a new one each run).", min=0, nullable=True
    )


def normalise_keras_value(p: Param, value: Any) -> Any:
    """Map a raw Keras config value onto what ``p`` accepts (activations, initializers)."""
    if p.kind == "choice" and p.choices == ACTIVATIONS:
        if value is None or isinstance(value, str):
            return ACTIVATION_ALIASES.get(value, value)
        return value  # not a name: the parameter's validation refuses it by name
    if p.kind == "choice" and p.choices == INITIALIZERS:
        if isinstance(value, Mapping):
            return _INIT_BY_CLASS.get(str(value.get("class_name")), p.default)
        return value if isinstance(value, str) and value in INITIALIZERS else p.default
    return value


def read_normalised(spec: LayerSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    """Reader that maps activation/initializer values before the default reader."""
    fixed = dict(config)
    for p in spec.params:
        kname = p.keras_name
        if kname and kname in fixed:
            fixed[kname] = normalise_keras_value(p, fixed[kname])
    return read_params(spec, fixed)


def call_merge(spec: LayerSpec, layer: Any, inputs: Mapping[str, Any]) -> Any:
    """Merges take their ordered list of inputs."""
    return layer(list(inputs["in"]))
