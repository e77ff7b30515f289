"""Preprocessing and augmentation layers (part of the model, so exports take raw inputs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.core.catalog import common as c
from nnstudio.core.catalog.spec import LayerSpec, Param, read_params


def _read_normalization(spec: LayerSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    fixed = dict(config)
    axis = fixed.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        fixed["axis"] = axis[0] if len(axis) == 1 else axis
    for key in ("mean", "variance"):
        value = fixed.get(key)
        if isinstance(value, (int, float)):
            fixed[key] = [value]
    return read_params(spec, fixed)


def _read_symmetric_factors(spec: LayerSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    """Keras may store a factor as (-f, f); read a symmetric pair back as f."""
    fixed = dict(config)
    for key in ("factor", "height_factor", "width_factor"):
        value = fixed.get(key)
        if isinstance(value, (list, tuple)) and len(value) == 2 and value[0] == -value[1]:
            fixed[key] = value[1]
    return c.read_normalised(spec, fixed)


def _factor(name: str, default: float | None, help: str, nullable: bool = False) -> Param:
    return Param(name, "float", default, help, min=-1.0, max=1.0, nullable=nullable)


_FILL = Param(
    "fill_mode",
    "choice",
    "reflect",
    "How points outside the image are filled.",
    choices=c.FILL_MODES,
)
_IMG = ((16, 16, 3),)

SPECS = [
    LayerSpec(
        key="Rescaling",
        display="Rescaling",
        category="Preprocessing",
        help="Multiplies inputs by a scale and adds an offset; 1/255 maps 8-bit pixels to [0, 1].",
        params=(
            Param("scale", "float", 1.0 / 255.0, "Multiplier."),
            Param("offset", "float", 0.0, "Added after scaling."),
        ),
        key_params=("scale",),
        example_input=_IMG,
    ),
    LayerSpec(
        key="Normalization",
        display="Normalization",
        category="Preprocessing",
        help=(
            "Standardises features with a mean and variance (per feature of the chosen "
            "axis), given here or learned from the data before training."
        ),
        params=(
            Param("axis", "int", -1, "Feature axis that keeps its own statistics."),
            Param(
                "mean", "floats", None, "Mean per feature (empty: from the data).", nullable=True
            ),
            Param(
                "variance",
                "floats",
                None,
                "Variance per feature (empty: from the data).",
                min=0.0,
                nullable=True,
            ),
            Param("invert", "bool", False, "Undo a normalization instead of applying it."),
        ),
        read_fn=_read_normalization,
        example_input=((8,),),
    ),
    LayerSpec(
        key="Resizing",
        display="Resizing",
        category="Preprocessing",
        help="Resizes images to a fixed height and width.",
        params=(
            Param("height", "int", 32, "Output height.", min=1),
            Param("width", "int", 32, "Output width.", min=1),
            Param(
                "interpolation",
                "choice",
                "bilinear",
                "Interpolation method.",
                choices=c.INTERPOLATIONS,
            ),
            Param("crop_to_aspect_ratio", "bool", False, "Crop instead of distorting."),
        ),
        key_params=("height", "width"),
        input_rank=4,
        axes=c.AXES[2],
        example_input=_IMG,
    ),
    LayerSpec(
        key="RandomFlip",
        display="Random Flip",
        category="Preprocessing",
        help="Augmentation: flips images at random while training; does nothing at inference.",
        params=(
            Param(
                "mode",
                "choice",
                "horizontal_and_vertical",
                "Which flips to apply.",
                choices=("horizontal", "vertical", "horizontal_and_vertical"),
            ),
            c.seed(),
        ),
        key_params=("mode",),
        example_input=_IMG,
    ),
    LayerSpec(
        key="RandomRotation",
        read_fn=_read_symmetric_factors,
        display="Random Rotation",
        category="Preprocessing",
        help=(
            "Augmentation: rotates images by a random angle while training; factor is a "
            "fraction of a full turn (0.1 = up to 36 degrees either way)."
        ),
        params=(
            _factor("factor", 0.1, "Largest rotation, as a fraction of 2 pi."),
            _FILL,
            c.seed(),
        ),
        key_params=("factor",),
        example_input=_IMG,
    ),
    LayerSpec(
        key="RandomZoom",
        read_fn=_read_symmetric_factors,
        display="Random Zoom",
        category="Preprocessing",
        help=(
            "Augmentation: zooms images in or out at random while training; a negative "
            "factor zooms in."
        ),
        params=(
            _factor("height_factor", 0.1, "Largest zoom of the height, as a fraction."),
            _factor(
                "width_factor",
                None,
                "Largest zoom of the width (empty: same as height).",
                nullable=True,
            ),
            _FILL,
            c.seed(),
        ),
        key_params=("height_factor",),
        example_input=_IMG,
    ),
    LayerSpec(
        key="RandomTranslation",
        read_fn=_read_symmetric_factors,
        display="Random Translation",
        category="Preprocessing",
        help="Augmentation: shifts images by a random fraction of their size while training.",
        params=(
            _factor("height_factor", 0.1, "Largest vertical shift, as a fraction."),
            _factor("width_factor", 0.1, "Largest horizontal shift, as a fraction."),
            _FILL,
            c.seed(),
        ),
        key_params=("height_factor", "width_factor"),
        example_input=_IMG,
    ),
]
