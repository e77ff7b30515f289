"""Parameter factories and Keras-config readers shared by the layer families."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.core.catalog.keras_values import (
    ACTIVATION_ALIASES,
    ACTIVATIONS,
    INITIALIZERS,
    normalise_keras_value,
)
from nnstudio.core.catalog.spec import LayerSpec, Param, read_normalised

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_ALIASES",
    "AXES",
    "FILL_MODES",
    "INITIALIZERS",
    "INTERPOLATIONS",
    "activation",
    "call_merge",
    "initializer",
    "ints",
    "normalise_keras_value",
    "padding",
    "rate",
    "read_normalised",
    "seed",
    "use_bias",
]

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


def call_merge(spec: LayerSpec, layer: Any, inputs: Mapping[str, Any]) -> Any:
    """Merges take their ordered list of inputs."""
    return layer(list(inputs["in"]))
