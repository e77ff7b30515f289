"""Reshaping layers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.core.catalog import common as c
from nnstudio.core.catalog.spec import LayerSpec, Param, ParamError


def _nested_builder(keyword: str):
    """Build ZeroPadding2D/Cropping2D from a flat (top, bottom, left, right) tuple."""

    def build(spec: LayerSpec, params: Mapping[str, Any], name: str) -> Any:
        from keras import layers

        t, b, left, r = params[keyword]
        return getattr(layers, spec.keras_class)(((t, b), (left, r)), name=name)

    return build


def _nested_reader(keyword: str):
    def read(spec: LayerSpec, config: Mapping[str, Any]) -> dict[str, Any]:
        value = config.get(keyword, spec.param(keyword).default)
        if isinstance(value, int):
            flat: list[Any] = [value] * 4
        elif (
            isinstance(value, (list, tuple))
            and len(value) == 2
            and all(isinstance(v, (list, tuple)) and len(v) == 2 for v in value)
        ):
            flat = [value[0][0], value[0][1], value[1][0], value[1][1]]
        elif isinstance(value, (list, tuple)) and len(value) == 2:
            flat = [value[0], value[0], value[1], value[1]]
        elif isinstance(value, (list, tuple)) and len(value) == 4:
            flat = list(value)
        else:
            raise ParamError(f"{spec.display}: cannot read {keyword} {value!r}")
        return {keyword: spec.param(keyword).validate(flat)}

    return read


def _tblr(name: str, default: int, help: str) -> Param:
    return Param(
        name,
        "ints",
        (default,) * 4,
        help + " (top, bottom, left, right).",
        min=0,
        length=4,
        scalar_ok=True,
    )


SPECS = [
    LayerSpec(
        key="Flatten",
        display="Flatten",
        category="Reshaping",
        help=(
            "Flattens each sample into one long vector: (batch, h, w, c) becomes "
            "(batch, h*w*c). The usual bridge from convolutions to Dense layers."
        ),
        example_input=((4, 4, 3),),
    ),
    LayerSpec(
        key="Reshape",
        display="Reshape",
        category="Reshaping",
        help=(
            "Gives each sample a new shape with the same number of values; one entry may be "
            "-1 to be inferred."
        ),
        params=(
            Param(
                "target_shape",
                "ints",
                (-1,),
                "The new shape, without the batch axis.",
                min=-1,
                min_length=1,
            ),
        ),
        key_params=("target_shape",),
        shape_hint="The target shape must hold the same number of values as the input.",
        example_input=((4, 4, 3),),
    ),
    LayerSpec(
        key="Permute",
        display="Permute",
        category="Reshaping",
        help=(
            "Reorders the axes of each sample; dims are 1-based axis indices, e.g. (2, 1) "
            "swaps the two axes of a sequence."
        ),
        params=(
            Param("dims", "ints", (2, 1), "New order of the axes (1-based).", min=1, min_length=1),
        ),
        key_params=("dims",),
        example_input=((10, 4),),
    ),
    LayerSpec(
        key="RepeatVector",
        display="Repeat Vector",
        category="Reshaping",
        help="Repeats a vector n times: (batch, features) becomes (batch, n, features).",
        params=(Param("n", "int", 4, "Number of repetitions.", min=1),),
        key_params=("n",),
        input_rank=2,
        axes=("batch", "features"),
    ),
    LayerSpec(
        key="UpSampling2D",
        display="Up Sampling 2D",
        category="Reshaping",
        help="Enlarges an image by repeating (or interpolating) rows and columns.",
        params=(
            c.ints("size", (2, 2), "Upsampling factors for height and width."),
            Param(
                "interpolation",
                "choice",
                "nearest",
                "How new pixels are filled in.",
                choices=("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area"),
            ),
        ),
        key_params=("size",),
        input_rank=4,
        axes=c.AXES[2],
        example_input=((8, 8, 3),),
    ),
    LayerSpec(
        key="ZeroPadding2D",
        display="Zero Padding 2D",
        category="Reshaping",
        help="Adds rows and columns of zeros around an image.",
        params=(_tblr("padding", 1, "Rows/columns of zeros to add"),),
        key_params=("padding",),
        input_rank=4,
        axes=c.AXES[2],
        example_input=((8, 8, 3),),
        build_fn=_nested_builder("padding"),
        read_fn=_nested_reader("padding"),
    ),
    LayerSpec(
        key="Cropping2D",
        display="Cropping 2D",
        category="Reshaping",
        help="Removes rows and columns from the edges of an image.",
        params=(_tblr("cropping", 1, "Rows/columns to remove"),),
        key_params=("cropping",),
        input_rank=4,
        axes=c.AXES[2],
        example_input=((8, 8, 3),),
        build_fn=_nested_builder("cropping"),
        read_fn=_nested_reader("cropping"),
    ),
]
