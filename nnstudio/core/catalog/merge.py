"""Merge layers: combine two or more tensors."""

from __future__ import annotations

from nnstudio.core.catalog import common as c
from nnstudio.core.catalog.spec import LayerSpec, Param


def _merge(
    key: str,
    display: str,
    help: str,
    *,
    params: tuple[Param, ...] = (),
    max_inputs: int | None = None,
    elementwise: bool = True,
) -> LayerSpec:
    return LayerSpec(
        key=key,
        display=display,
        category="Merge",
        help=help,
        params=params,
        variadic=True,
        max_inputs=max_inputs,
        call_fn=c.call_merge,
        example_input=((8,), (8,)),
        key_params=tuple(p.name for p in params),
        same_shape_inputs=elementwise,
        shape_hint=""
        if elementwise
        else "All axes except the concatenation axis must match; check the branches' shapes.",
    )


SPECS = [
    _merge(
        "Add",
        "Add",
        "Adds its inputs element-wise; they must have the same shape. The "
        "join of a residual (skip) connection.",
    ),
    _merge(
        "Subtract",
        "Subtract",
        "Subtracts the second input from the first, element-wise.",
        max_inputs=2,
    ),
    _merge(
        "Multiply",
        "Multiply",
        "Multiplies its inputs element-wise (gating, attention masks, squeeze-and-excitation).",
    ),
    _merge("Average", "Average", "Averages its inputs element-wise."),
    _merge("Maximum", "Maximum", "Takes the element-wise maximum of its inputs."),
    _merge("Minimum", "Minimum", "Takes the element-wise minimum of its inputs."),
    _merge(
        "Concatenate",
        "Concatenate",
        "Joins its inputs along an axis (by default the last, the channels); the other axes "
        "must match.",
        params=(Param("axis", "int", -1, "Axis to join along."),),
        elementwise=False,
    ),
]
