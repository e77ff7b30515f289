"""Normalization layers."""

from __future__ import annotations

from nnstudio.core.catalog.spec import LayerSpec, Param

_EPS = Param(
    "epsilon", "float", 0.001, "Small number added to the variance for stability.", min=0.0
)
_CENTER = Param("center", "bool", True, "Learn an offset (beta).")
_SCALE = Param("scale", "bool", True, "Learn a scale (gamma).")

SPECS = [
    LayerSpec(
        key="BatchNormalization",
        display="Batch Normalization",
        category="Normalization",
        help=(
            "Normalises each channel with the mean and variance of the batch while training, "
            "and with running averages at inference; speeds up and stabilises training."
        ),
        params=(
            Param("axis", "int", -1, "The channel axis."),
            Param("momentum", "float", 0.99, "Momentum of the running averages.", min=0.0, max=1.0),
            _EPS,
            _CENTER,
            _SCALE,
        ),
        example_input=((8, 8, 4),),
    ),
    LayerSpec(
        key="LayerNormalization",
        display="Layer Normalization",
        category="Normalization",
        help=(
            "Normalises each sample over its last axis (independently of the batch); the "
            "standard normalization in transformers and recurrent networks."
        ),
        params=(Param("axis", "int", -1, "Axis to normalise over."), _EPS, _CENTER, _SCALE),
        example_input=((10, 16),),
    ),
    LayerSpec(
        key="GroupNormalization",
        display="Group Normalization",
        category="Normalization",
        help=(
            "Splits the channels into groups and normalises within each group per sample; "
            "works well with small batches. The channel count must divide by the groups."
        ),
        params=(
            Param("groups", "int", 32, "Number of channel groups.", min=1),
            Param("axis", "int", -1, "The channel axis."),
            _EPS,
            _CENTER,
            _SCALE,
        ),
        key_params=("groups",),
        shape_hint="The number of channels must be divisible by groups.",
        example_input=((8, 8, 64),),
    ),
]
