"""Read a backbone node's parameters back from a Keras config: the node's own
``Sequential`` (preprocessing + application) or a bare keras.applications model (import)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nnstudio.core.backbones.architectures import (
    ALPHAS,
    Architecture,
    for_model_name,
    stages,
)
from nnstudio.core.catalog.spec import LayerSpec, ParamError

_WEIGHTED = {
    "Conv2D",
    "DepthwiseConv2D",
    "SeparableConv2D",
    "Dense",
    "BatchNormalization",
    "LayerNormalization",
}


def _depth(v: float, divisor: int = 8) -> int:
    """keras.applications.mobilenet_v3's channel rounding."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _v3_alpha(arch: Architecture, layers: list[Mapping[str, Any]]) -> float:
    last = 96 if arch.name.endswith("Small") else 160
    conv = next((lay for lay in layers if lay.get("name") == "conv_1"), None)
    filters = (conv or {}).get("config", {}).get("filters")
    for alpha in ALPHAS:
        if _depth(_depth(last * alpha) * 6) == filters:
            return alpha
    return 1.0


def find_application(config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The config of the keras.applications model in ``config`` (itself, or the last layer
    of a node's Sequential); ``None`` when there is none."""
    name = str(config.get("name", ""))
    layers = config.get("layers")
    if not isinstance(layers, list):
        return None
    if for_model_name(name) is not None:
        return config
    for entry in reversed(layers):
        if isinstance(entry, Mapping) and entry.get("class_name") == "Functional":
            inner = entry.get("config") or {}
            if for_model_name(str(inner.get("name", ""))) is not None:
                return inner
    return None


def _layer_entries(app: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for entry in app.get("layers") or []:
        if not isinstance(entry, Mapping):
            raise ValueError("a layer entry is not an object")
        cfg = dict(entry.get("config") or {})
        cfg.setdefault("name", entry.get("name"))
        out.append({"class_name": entry.get("class_name"), "name": cfg["name"], "config": cfg})
    return out


def _trainability(arch: Architecture, app: Mapping[str, Any], defaults: dict[str, Any]) -> None:
    layers = _layer_entries(app)
    if app.get("trainable") is False:
        defaults["trainable"] = "frozen"
        return
    names = [str(lay["name"]) for lay in layers]
    weighted = [
        (lay, st)
        for lay, st in zip(layers, stages(arch, names), strict=True)
        if lay["class_name"] in _WEIGHTED
    ]
    bns = [lay for lay, _ in weighted if lay["class_name"] == "BatchNormalization"]
    others = [(lay, st) for lay, st in weighted if lay["class_name"] != "BatchNormalization"]
    on = [st for lay, st in others if lay["config"].get("trainable", True)]
    if not on:
        defaults["trainable"] = "frozen"
        return
    if any(lay["config"].get("trainable", True) for lay in bns):
        defaults["batchnorm"] = "train"
    if len(on) == len(others):
        defaults["trainable"] = "all"
    else:
        defaults["trainable"] = "from_stage"
        defaults["unfreeze_from"] = min(on)


def read_config(spec: LayerSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    """The node's parameters from ``config``; :class:`ParamError` when it holds no
    keras.applications model this catalog knows (or a config that cannot be read)."""
    try:
        return _read(spec, config)
    except ParamError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise ParamError(f"Pretrained Backbone: the nested model cannot be read ({exc})") from None


def _read(spec: LayerSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    app = find_application(config)
    if app is None:
        raise ParamError("Pretrained Backbone: no keras.applications model found")
    arch = for_model_name(str(app.get("name")))
    assert arch is not None
    values = spec.defaults()
    values["architecture"] = arch.name
    layers = _layer_entries(app)
    shape = layers[0]["config"].get("batch_shape") or layers[0]["config"].get("batch_input_shape")
    if shape and len(shape) == 4 and shape[1]:
        values["input_size"] = int(shape[1])
    last = layers[-1]["class_name"]
    values["pooling"] = {"GlobalAveragePooling2D": "avg", "GlobalMaxPooling2D": "max"}.get(
        str(last), "none"
    )
    if arch.name == "MobileNetV2":
        m = re.match(r"mobilenetv2_([\d.]+)_", str(app.get("name")))
        values["alpha"] = float(m.group(1)) if m else 1.0
    elif arch.has_alpha:
        values["alpha"] = _v3_alpha(arch, layers)
    own = [str(e.get("config", {}).get("name", "")) for e in config.get("layers") or []]
    values["input_range"] = "0..1" if any(n.endswith("_to_255") for n in own) else "0..255"
    if arch.preprocess == "builtin":
        values["preprocess"] = any(
            lay["class_name"] in ("Rescaling", "Normalization") for lay in layers[1:3]
        )
    else:
        values["preprocess"] = any("_preprocess" in n for n in own)
    _trainability(arch, app, values)
    return spec.validate_params(values)[0]
