"""The keras.applications families a "Pretrained backbone" node can be.

One :class:`Architecture` per constructor: its preprocessing (``preprocess_input`` mode, or
the model's own built-in rescaling), its minimum input size, the file names keras.applications
gives its ``include_top=False`` weights in the Keras cache, and how its layer names divide it
into stages (for "unfreeze from stage N" and the layers view).  Pure data: no Keras import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# How keras.applications.<family>.preprocess_input maps 0..255 RGB pixels:
#   tf: to [-1, 1]; caffe: RGB->BGR then minus the ImageNet mean; torch: to [0, 1] then the
#   ImageNet mean and std; builtin: the model starts with its own Rescaling/Normalization.
PREPROCESS_MODES = ("tf", "caffe", "torch", "builtin")


@dataclass(frozen=True)
class Architecture:
    """One keras.applications constructor."""

    name: str  # the constructor in keras.applications
    family: str  # palette group
    preprocess: str  # one of PREPROCESS_MODES
    min_size: int  # smallest height/width the constructor accepts
    weights: tuple[str, ...]  # candidate *_notop file names in the Keras cache ({alpha}, {size})
    stage_re: str  # regex on layer names; group 1 is the stage number
    keras_names: tuple[str, ...]  # regexes for the model name keras.applications gives
    has_alpha: bool = False
    stage_offset: int = 0  # added to the matched number (ConvNeXt counts from 0)

    def stage_of(self, layer_name: str) -> int | None:
        """The stage a layer name belongs to (``None``: the name does not say)."""
        m = re.search(self.stage_re, layer_name)
        return int(m.group(1)) + self.stage_offset if m else None

    def matches_model_name(self, name: str) -> bool:
        """Whether ``name`` is what keras.applications calls a model of this architecture."""
        return any(re.fullmatch(p, name, re.I) for p in self.keras_names)


def _resnet(depth: int, v2: bool) -> Architecture:
    name = f"ResNet{depth}{'V2' if v2 else ''}"
    low = name.lower()
    return Architecture(
        name,
        "ResNet",
        "tf" if v2 else "caffe",
        32,
        (f"{low}_weights_tf_dim_ordering_tf_kernels_notop.h5",),
        r"^conv(\d)_",
        (low,),
    )


def _efficientnet(variant: str) -> Architecture:
    return Architecture(
        f"EfficientNet{variant}",
        "EfficientNet",
        "builtin",
        32,
        (f"efficientnet{variant.lower()}_notop.h5",),
        r"^block(\d)[a-z]_",
        (f"efficientnet{variant.lower()}",),
    )


def _efficientnet_v2(variant: str) -> Architecture:
    low = variant.lower()
    return Architecture(
        f"EfficientNetV2{variant}",
        "EfficientNetV2",
        "builtin",
        32,
        (f"efficientnetv2-{low}_notop.h5",),
        r"^block(\d)[a-z]_",
        (f"efficientnetv2-{low}",),
    )


def _densenet(depth: int) -> Architecture:
    return Architecture(
        f"DenseNet{depth}",
        "DenseNet",
        "torch",
        32,
        (f"densenet{depth}_weights_tf_dim_ordering_tf_kernels_notop.h5",),
        r"^(?:conv|pool)(\d)_",
        (f"densenet{depth}",),
    )


def _convnext(size: str) -> Architecture:
    low = size.lower()
    return Architecture(
        f"ConvNeXt{size}",
        "ConvNeXt",
        "builtin",
        32,
        (f"convnext_{low}_notop.h5",),
        r"_stage_(\d)_",
        (f"convnext_{low}",),
        stage_offset=1,
    )


def _vgg(depth: int) -> Architecture:
    return Architecture(
        f"VGG{depth}",
        "VGG",
        "caffe",
        32,
        (f"vgg{depth}_weights_tf_dim_ordering_tf_kernels_notop.h5",),
        r"^block(\d)_",
        (f"vgg{depth}",),
    )


_ALL: list[Architecture] = [
    Architecture(
        "MobileNetV2",
        "MobileNet",
        "tf",
        32,
        ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_{size}_no_top.h5",),
        r"^block_(\d+)_",
        (r"mobilenetv2_[\d.]+_\d+",),
        has_alpha=True,
    ),
    Architecture(
        "MobileNetV3Small",
        "MobileNet",
        "builtin",
        32,
        ("weights_mobilenet_v3_small_224_{alpha}_float_no_top_v2.h5",),
        r"^expanded_conv_(\d+)_",
        (r"MobilenetV3small", r"MobileNetV3Small"),
        has_alpha=True,
        stage_offset=1,
    ),
    Architecture(
        "MobileNetV3Large",
        "MobileNet",
        "builtin",
        32,
        ("weights_mobilenet_v3_large_224_{alpha}_float_no_top_v2.h5",),
        r"^expanded_conv_(\d+)_",
        (r"MobilenetV3large", r"MobileNetV3Large"),
        has_alpha=True,
        stage_offset=1,
    ),
    *(_efficientnet(f"B{i}") for i in range(8)),
    *(_efficientnet_v2(v) for v in ("B0", "B1", "B2", "B3", "S", "M", "L")),
    *(_resnet(d, v2) for v2 in (False, True) for d in (50, 101, 152)),
    *(_densenet(d) for d in (121, 169, 201)),
    Architecture(
        "Xception",
        "Inception",
        "tf",
        71,
        ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5",),
        r"^block(\d+)_",
        ("xception",),
    ),
    Architecture(
        "InceptionV3",
        "Inception",
        "tf",
        75,
        ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",),
        r"^mixed(\d+)$",
        ("inception_v3",),
        stage_offset=1,
    ),
    Architecture(
        "InceptionResNetV2",
        "Inception",
        "tf",
        75,
        ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop_v2.h5",),
        r"^mixed_(\d+)[ab]?$",
        ("inception_resnet_v2",),
    ),
    *(_convnext(s) for s in ("Tiny", "Small", "Base", "Large", "XLarge")),
    *(_vgg(d) for d in (16, 19)),
]

ARCHITECTURES: dict[str, Architecture] = {a.name: a for a in _ALL}
# Width multipliers (alpha) of the MobileNets; published weights exist for some of them.
ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)


def get(name: str) -> Architecture:
    """The architecture called ``name`` (``KeyError`` with a readable message)."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise KeyError(f"unknown backbone architecture {name!r}") from None


def for_model_name(name: str) -> Architecture | None:
    """The architecture whose keras.applications model is called ``name``."""
    return next((a for a in _ALL if a.matches_model_name(name)), None)


def stages(arch: Architecture, layer_names: list[str]) -> list[int]:
    """The stage of every layer, in order: a name that does not say inherits the stage of the
    layer before it (stage 0 is the stem before the first numbered stage)."""
    out: list[int] = []
    current = 0
    for name in layer_names:
        found = arch.stage_of(name)
        if found is not None:
            current = max(current, found)
        out.append(current)
    return out
