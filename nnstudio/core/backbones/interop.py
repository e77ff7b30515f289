"""Import and code generation of backbone nodes.

Import: a nested model in a Keras config that is a keras.applications model (or a backbone
node's own ``Sequential`` around one) becomes one ``PretrainedBackbone`` node instead of
being flattened into its hundreds of layers.  Code: the node as the keras.applications call.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from nnstudio.core.backbones.architectures import get
from nnstudio.core.backbones.reading import find_application

CLASS = "NNStudioBackbone"  # the pseudo class the catalog spec reads back
_NESTED = ("Functional", "Sequential", "Model")


def collapse_backbones(top: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the serialized model ``top`` whose top-level nested backbones are marked as
    :data:`CLASS` layers (their config kept whole for the node's reader)."""
    out = copy.deepcopy(dict(top))
    cfg = out.get("config")
    if not isinstance(cfg, dict):
        return out
    layers = cfg.get("layers")
    if not isinstance(layers, list):
        return out
    for entry in layers:
        if not isinstance(entry, dict) or entry.get("class_name") not in _NESTED:
            continue
        inner = entry.get("config")
        if isinstance(inner, Mapping) and find_application(inner) is not None:
            entry["class_name"] = CLASS
    return out


def code_lines(
    params: Mapping[str, Any],
    name: str,
    var: str,
    source: str,
    in_shape: tuple[int | None, ...],
    indent: str = "    ",
) -> list[str]:
    """Readable Python for one backbone node: the keras.applications call, then the node's
    own ``keras.Sequential`` (its preprocessing steps and the application, the layout
    NN Studio builds, so weights saved from the app load into it), applied to ``source``."""
    from nnstudio.core.backbones.build import (
        CAFFE_MEAN_BGR,
        TORCH_MEAN,
        TORCH_STD,
        has_preprocessing_switch,
    )

    arch = get(params["architecture"])
    size = int(params["input_size"])
    pooling = None if params["pooling"] == "none" else params["pooling"]
    args = ["include_top=False", "weights=None", f"input_shape=({size}, {size}, 3)"]
    args.append(f"pooling={pooling!r}")
    if arch.has_alpha:
        args.append(f"alpha={float(params['alpha'])!r}")
    if has_preprocessing_switch(arch):
        args.append(f"include_preprocessing={bool(params['preprocess'])}")
    base = f"{var}_base"
    steps: list[str] = []
    if tuple(in_shape[1:3]) != (size, size):
        steps.append(f"layers.Resizing({size}, {size}, name={name + '_resize'!r})")
    if in_shape[-1] == 1:
        steps.append(
            'layers.Conv2D(3, 1, use_bias=False, kernel_initializer="ones", '
            f"trainable=False, name={name + '_to_rgb'!r})"
        )
    if params["input_range"] == "0..1":
        steps.append(f"layers.Rescaling(255.0, name={name + '_to_255'!r})")
    mode = arch.preprocess if params["preprocess"] else "builtin"
    pre = name + "_preprocess"
    if mode == "tf":
        steps.append(f"layers.Rescaling(1 / 127.5, offset=-1.0, name={pre!r})")
    elif mode == "torch":
        steps.append(f"layers.Rescaling(1 / 255.0, name={pre + '_scale'!r})")
        var_ = [round(v * v, 6) for v in TORCH_STD]
        steps.append(
            f"layers.Normalization(mean={list(TORCH_MEAN)}, variance={var_}, name={pre!r})"
        )
    elif mode == "caffe":
        steps.append(f"layers.Conv2D(3, 1, trainable=False, name={pre!r})")
    lines = [
        f"# {name}: pretrained {arch.name} (keras.applications) and its preprocessing",
        f"{base} = keras.applications.{arch.name}(",
        *(f"{indent}{a}," for a in args),
        ")",
    ]
    if params["weights"] != "none" and params.get("weights_file"):
        lines.append(f"{base}.load_weights({str(params['weights_file'])!r})")
    if params["trainable"] == "frozen":
        lines.append(f"{base}.trainable = False")
    elif params["trainable"] == "from_stage":
        lines.append(f"# unfreeze from stage {params['unfreeze_from']}: set in NN Studio")
    node = f"{var}_node"
    lines.append(f"{node} = keras.Sequential(")
    lines.append(f"{indent}[")
    lines += [f"{indent * 2}{step}," for step in steps]
    lines.append(f"{indent * 2}{base},")
    lines.append(f"{indent}],")
    lines.append(f"{indent}name={name!r},")
    lines.append(")")
    training = ", training=False" if params["trainable"] == "frozen" else ""
    lines.append(f"{var} = {node}({source}{training})")
    if mode == "caffe":
        kernel = [[[[1.0 if i == 2 - o else 0.0 for o in range(3)] for i in range(3)]]]
        bias = [-m for m in CAFFE_MEAN_BGR]
        lines.append(f"{node}.get_layer({pre!r}).set_weights(")
        lines.append(
            f"{indent}[keras.ops.convert_to_tensor({kernel}), keras.ops.convert_to_tensor({bias})]"
        )
        lines.append(")")
    return lines
