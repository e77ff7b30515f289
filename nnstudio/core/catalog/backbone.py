"""The "Pretrained backbone" node: a keras.applications model (``include_top=False``) with its
own preprocessing, as one node.  The work is done in :mod:`nnstudio.core.backbones`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.core.backbones import architectures as archs
from nnstudio.core.backbones import probe
from nnstudio.core.catalog.spec import LayerSpec, Param

KEY = "PretrainedBackbone"
TRAINABLE_MODES = ("frozen", "all", "from_stage")


def _build(spec: LayerSpec, params: Mapping[str, Any], name: str) -> Any:
    return probe.build_node(params, name)


def _call(spec: LayerSpec, layer: Any, inputs: Mapping[str, Any]) -> Any:
    return probe.call_node(layer, inputs["in"])


def _read(spec: LayerSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    from nnstudio.core.backbones.reading import read_config

    return read_config(spec, config)


def _issues(params: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    from nnstudio.core.backbones.checks import param_issues

    return param_issues(params)


SPECS = [
    LayerSpec(
        key=KEY,
        display="Pretrained Backbone",
        category="Pretrained",
        help=(
            "A keras.applications network (MobileNet, EfficientNet, ResNet, DenseNet, "
            "Xception, Inception, ConvNeXt, VGG) without its classifier, used as the feature "
            "extractor of a new model. It resizes the images to the input size, turns grey "
            "into RGB, applies the architecture's own preprocessing and loads its weights "
            "from a local file (never downloaded). Frozen, it trains only what follows it."
        ),
        params=(
            Param(
                "architecture",
                "choice",
                "MobileNetV2",
                "Which keras.applications network.",
                choices=tuple(archs.ARCHITECTURES),
            ),
            Param(
                "alpha",
                "choice",
                1.0,
                "Width multiplier of the MobileNets (ignored by the others); published "
                "weights exist for 0.35-1.4 (V2) and 0.75/1.0 (V3).",
                choices=archs.ALPHAS,
            ),
            Param(
                "input_size",
                "int",
                96,
                "Height and width the images are resized to (at least 32; 71 for Xception, "
                "75 for the Inceptions). Published weights were trained at 224.",
                min=32,
                max=1024,
            ),
            Param(
                "pooling",
                "choice",
                "avg",
                "avg/max: one feature vector per image; none: the last feature map "
                "(batch, h, w, channels).",
                choices=("avg", "max", "none"),
            ),
            Param(
                "input_range",
                "choice",
                "0..1",
                "Range of the incoming pixels: the app's image data is 0..1.",
                choices=("0..1", "0..255"),
            ),
            Param(
                "preprocess",
                "bool",
                True,
                "Apply the architecture's own preprocess_input (part of the model, so "
                "exports take raw pixels).",
            ),
            Param(
                "weights",
                "choice",
                "auto",
                "auto: the chosen weights file, else the standard file in the Keras cache "
                "(~/.keras/models) if one is there; none: random initialisation.",
                choices=("auto", "none"),
            ),
            Param(
                "weights_file",
                "str",
                "",
                "A local .weights.h5 or .h5 file with this architecture's weights "
                "(include_top=False). Weights only: no model or code is read.",
            ),
            Param(
                "trainable",
                "choice",
                "frozen",
                "frozen: the backbone keeps its weights (only the head trains); all: every "
                "layer fine-tunes; from_stage: the stages from unfreeze_from on fine-tune.",
                choices=TRAINABLE_MODES,
            ),
            Param(
                "unfreeze_from",
                "int",
                4,
                "With trainable = from_stage: the first stage that trains, by the layer "
                "names of the architecture (ResNet conv4_* is stage 4, MobileNetV2 block_12 "
                "is 12, EfficientNet block5* is 5); earlier stages stay frozen.",
                min=0,
                max=32,
            ),
            Param(
                "batchnorm",
                "choice",
                "inference",
                "inference: BatchNormalization keeps its statistics while fine-tuning "
                "(recommended); train: it updates them.",
                choices=("inference", "train"),
            ),
        ),
        key_params=("architecture", "input_size"),
        keras_classes=("NNStudioBackbone",),
        input_rank=4,
        axes=("batch", "height", "width", "channels"),
        example_input=((32, 32, 3),),
        shape_hint="Give it images (height, width, 1 or 3 channels).",
        build_fn=_build,
        call_fn=_call,
        read_fn=_read,
        param_issues=_issues,
    )
]
