"""Keras' built-in activation and initializer names, and mapping raw config values onto them.

Imported by :mod:`.spec` (whose default Keras reader normalises with it) and re-exported by
:mod:`.common`; it imports neither, so the catalog has no import loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nnstudio.core.catalog.spec import Param

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
