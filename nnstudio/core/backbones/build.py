"""Build a backbone node's Keras layer: its preprocessing, then the keras.applications model.

The node's layer is a ``keras.Sequential`` named after the node, filled on its first call (the
input shape decides the steps): resize to the input size, grey to RGB, 0..1 to 0..255, the
architecture's own ``preprocess_input`` as standard layers, then the application built with
``include_top=False, weights=None`` (nothing is ever downloaded).  Weights come from a local
file (:mod:`.weights`); trainability from the node's mode (:func:`apply_trainable`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.core.backbones.architectures import Architecture, get, stages

# ImageNet statistics used by keras.applications' preprocess_input
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
TORCH_MEAN = (0.485, 0.456, 0.406)
TORCH_STD = (0.229, 0.224, 0.225)
APP_ATTR = "_nnstudio_backbone"  # set on the node's Sequential: the params it was built from


class BackboneError(ValueError):
    """A backbone that cannot be built or loaded; the message names the node."""


def size_problem(params: Mapping[str, Any]) -> str | None:
    """Why the input size is refused for the architecture (``None``: it is fine)."""
    arch = get(params["architecture"])
    size = int(params["input_size"])
    if size < arch.min_size:
        return f"{arch.name} needs an input size of at least {arch.min_size} pixels; got {size}"
    return None


def has_preprocessing_switch(arch: Architecture) -> bool:
    """Whether the constructor takes ``include_preprocessing`` (its own built-in rescaling)."""
    return arch.preprocess == "builtin" and not arch.name.startswith("EfficientNetB")


def application(params: Mapping[str, Any], name: str | None = None) -> Any:
    """The keras.applications model (``include_top=False``, no weights) for ``params``."""
    import keras

    arch = get(params["architecture"])
    size = int(params["input_size"])
    kwargs: dict[str, Any] = {
        "include_top": False,
        "weights": None,
        "input_shape": (size, size, 3),
        "pooling": None if params["pooling"] == "none" else params["pooling"],
    }
    if arch.has_alpha:
        kwargs["alpha"] = float(params["alpha"])
    if has_preprocessing_switch(arch):
        kwargs["include_preprocessing"] = bool(params["preprocess"])
    if name is not None:
        kwargs["name"] = name
    return getattr(keras.applications, arch.name)(**kwargs)


def shape_layers(
    params: Mapping[str, Any], in_shape: tuple[int | None, ...], prefix: str
) -> list[Any]:
    """The steps an input of ``in_shape`` (batch first) needs: resize, grey to RGB."""
    from keras import layers

    out: list[Any] = []
    size = int(params["input_size"])
    if len(in_shape) != 4:
        raise BackboneError(
            f"a pretrained backbone takes images (batch, height, width, channels); "
            f"got {len(in_shape)} axes"
        )
    if tuple(in_shape[1:3]) != (size, size):
        out.append(layers.Resizing(size, size, name=f"{prefix}_resize"))
    channels = in_shape[3]
    if channels == 1:
        out.append(
            layers.Conv2D(
                3,
                1,
                use_bias=False,
                kernel_initializer="ones",
                trainable=False,
                name=f"{prefix}_to_rgb",
            )
        )
    elif channels != 3:
        raise BackboneError(f"a pretrained backbone takes 1 or 3 channels; got {channels}")
    return out


def preprocessing_layers(params: Mapping[str, Any], prefix: str) -> list[Any]:
    """0..1 to 0..255, then the architecture's own ``preprocess_input`` as layers."""
    from keras import layers

    out: list[Any] = []
    if params["input_range"] == "0..1":
        out.append(layers.Rescaling(255.0, name=f"{prefix}_to_255"))
    if not params["preprocess"]:
        return out
    mode = get(params["architecture"]).preprocess
    if mode == "tf":
        out.append(layers.Rescaling(1.0 / 127.5, offset=-1.0, name=f"{prefix}_preprocess"))
    elif mode == "torch":
        out.append(layers.Rescaling(1.0 / 255.0, name=f"{prefix}_preprocess_scale"))
        out.append(
            layers.Normalization(
                mean=list(TORCH_MEAN),
                variance=[s * s for s in TORCH_STD],
                name=f"{prefix}_preprocess",
            )
        )
    elif mode == "caffe":
        # RGB -> BGR and minus the mean: one fixed 1x1 convolution (weights set after build)
        out.append(layers.Conv2D(3, 1, trainable=False, name=f"{prefix}_preprocess"))
    return out


def fill(seq: Any, params: Mapping[str, Any]) -> Any:
    """Add the preprocessing and the application to the empty ``seq``; returns the app."""
    for layer in preprocessing_layers(params, seq.name):
        seq.add(layer)
    app = application(params)
    seq.add(app)
    setattr(seq, APP_ATTR, dict(params))
    return app


def fit_input(seq: Any, params: Mapping[str, Any], in_shape: tuple[int | None, ...]) -> None:
    """Put the steps that ``in_shape`` needs in front of ``seq``'s (unbuilt) layers."""
    front = shape_layers(params, in_shape, seq.name)
    if not front:
        return
    rest = [seq.pop(rebuild=False) for _ in range(len(seq.layers))][::-1]
    for layer in [*front, *rest]:
        seq.add(layer, rebuild=False)


def set_fixed_weights(seq: Any) -> None:
    """Give the caffe-mode preprocessing convolution its fixed permutation and mean."""
    import numpy as np

    for layer in seq.layers:
        if layer.name.endswith("_preprocess") and type(layer).__name__ == "Conv2D":
            kernel = np.zeros((1, 1, 3, 3), np.float32)
            for out_c in range(3):
                kernel[0, 0, 2 - out_c, out_c] = 1.0  # BGR channel c is RGB channel 2 - c
            bias = -np.asarray(CAFFE_MEAN_BGR, np.float32)
            layer.set_weights([kernel, bias])


def app_of(layer: Any) -> Any | None:
    """The keras.applications model inside a backbone node's layer (``None``: not one)."""
    if not hasattr(layer, APP_ATTR):
        return None
    return layer.layers[-1]


def apply_trainable(app: Any, arch: Architecture, mode: str, from_stage: int, bn: str) -> None:
    """Set which layers of ``app`` train: ``frozen`` (none), ``all``, or ``from_stage`` (the
    stages ``from_stage`` and later).  With ``bn == "inference"`` BatchNormalization layers
    stay frozen, which in Keras 3 keeps them in inference mode (fixed statistics)."""
    if mode == "frozen":
        app.trainable = False
        return
    app.trainable = True
    names = [layer.name for layer in app.layers]
    for layer, stage in zip(app.layers, stages(arch, names), strict=True):
        on = mode == "all" or stage >= from_stage
        if bn == "inference" and type(layer).__name__ == "BatchNormalization":
            on = False
        layer.trainable = on


def stage_count(arch: Architecture, app: Any) -> int:
    """The highest stage number of ``app``'s layers."""
    return max(stages(arch, [layer.name for layer in app.layers]), default=0)
