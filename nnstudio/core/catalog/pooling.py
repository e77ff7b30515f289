"""Pooling layers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.core.catalog import common as c
from nnstudio.core.catalog.spec import LayerSpec, Param


def _read_pool(spec: LayerSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    """Keras stores strides=pool_size when none were given: read that back as "none"."""
    params = c.read_normalised(spec, config)
    if params["strides"] == params["pool_size"]:
        params["strides"] = None
    return params


_EXAMPLE = {1: ((20, 4),), 2: ((16, 16, 3),)}


def _pool(kind: str, dims: int) -> LayerSpec:
    word = "maximum" if kind == "Max" else "average"
    return LayerSpec(
        key=f"{kind}Pooling{dims}D",
        display=f"{kind} Pooling {dims}D",
        category="Pooling",
        help=(
            f"Takes the {word} over windows of the input, reducing its "
            f"{'length' if dims == 1 else 'height and width'} by the strides."
        ),
        params=(
            c.ints("pool_size", (2,) * dims, "Size of the pooling window."),
            Param(
                "strides",
                "ints",
                None,
                "Step of the window (empty: the pool size).",
                min=1,
                length=dims,
                nullable=True,
                scalar_ok=True,
            ),
            c.padding(),
        ),
        key_params=("pool_size",),
        input_rank=dims + 2,
        axes=c.AXES[dims],
        example_input=_EXAMPLE[dims],
        read_fn=_read_pool,
    )


def _global(kind: str, dims: int) -> LayerSpec:
    word = "maximum" if kind == "Max" else "average"
    return LayerSpec(
        key=f"Global{kind}Pooling{dims}D",
        display=f"Global {kind} Pooling {dims}D",
        category="Pooling",
        help=(
            f"Takes the {word} of each channel over the whole "
            f"{'sequence' if dims == 1 else 'image'}: (batch, ..., channels) becomes "
            "(batch, channels). The usual bridge from convolutions to a classifier."
        ),
        params=(Param("keepdims", "bool", False, "Keep the pooled axes with size 1."),),
        input_rank=dims + 2,
        axes=c.AXES[dims],
        example_input=_EXAMPLE[dims],
    )


SPECS = [
    _pool("Max", 1),
    _pool("Max", 2),
    _pool("Average", 1),
    _pool("Average", 2),
    _global("Average", 1),
    _global("Average", 2),
    _global("Max", 1),
    _global("Max", 2),
]
