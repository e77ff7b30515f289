"""Model inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.core.catalog.spec import LayerSpec, Param, ParamError

DTYPES = ("float32", "float16", "bfloat16", "int32", "int64", "bool", "string")


def _build_input(spec: LayerSpec, params: Mapping[str, Any], name: str) -> Any:
    from keras import layers

    return layers.InputLayer(shape=tuple(params["shape"]), dtype=params["dtype"], name=name)


def _read_input(spec: LayerSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    shape = config.get("batch_shape") or config.get("batch_input_shape")
    if shape is None and "shape" in config:
        shape = [None, *config["shape"]]
    if not isinstance(shape, (list, tuple)) or len(shape) < 2:
        raise ParamError(f"Input: cannot read a shape from {shape!r}")
    dtype = config.get("dtype", "float32")
    if isinstance(dtype, Mapping):
        dtype = dtype.get("config", {}).get("name", "float32")
    return {
        "shape": spec.param("shape").validate(list(shape[1:])),
        "dtype": spec.param("dtype").validate(dtype),
    }


SPECS = [
    LayerSpec(
        key="Input",
        display="Input",
        category="Input/Output",
        help=(
            "A model input: the shape of one sample (without the batch axis) and its type. "
            "Use an empty entry (null) for a dimension whose size varies, such as the length "
            "of a sequence. Every model needs at least one Input."
        ),
        params=(
            Param(
                "shape",
                "ints",
                (16,),
                "Shape of one sample, without the batch axis.",
                min=1,
                min_length=1,
                none_items=True,
                keras=None,
            ),
            Param(
                "dtype",
                "choice",
                "float32",
                "Element type of the input.",
                choices=DTYPES,
                keras=None,
            ),
        ),
        inputs=(),
        keras_classes=("InputLayer",),
        key_params=("shape",),
        build_fn=_build_input,
        read_fn=_read_input,
        example_input=(),
    ),
]
