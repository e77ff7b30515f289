"""Multiply-accumulates of a backbone node, from its application's layers (for the cost
overlay): convolutions, depthwise and dense layers counted as the cost rules count them,
element-wise layers at one FLOP per output.  Cached per architecture and size."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

_KEYS = ("architecture", "alpha", "input_size", "pooling", "preprocess")


def backbone_rule(op: Any) -> tuple[int, int]:
    """The cost rule: ``(macs, other flops)`` per sample."""
    values: Mapping[str, Any] = op.values
    return _costs(tuple(values[k] for k in _KEYS))


@functools.lru_cache(maxsize=32)
def _costs(key: tuple[Any, ...]) -> tuple[int, int]:
    import keras

    from nnstudio.core.backbones.build import application

    params = dict(zip(_KEYS, key, strict=True))
    macs = flops = 0
    with keras.StatelessScope():
        app = application(params)
        for layer in app.layers:
            kind = type(layer).__name__
            out = getattr(layer, "output", None)
            if out is None or not hasattr(out, "shape"):
                continue
            n = math.prod(d or 1 for d in out.shape[1:])
            cfg = layer.get_config()
            if kind == "Conv2D":
                cin = layer.input.shape[-1] // int(cfg.get("groups", 1) or 1)
                macs += n * math.prod(cfg["kernel_size"]) * cin
            elif kind == "DepthwiseConv2D":
                macs += n * math.prod(cfg["kernel_size"])
            elif kind == "SeparableConv2D":
                cin = layer.input.shape[-1]
                macs += (
                    layer.input.shape[1]
                    * layer.input.shape[2]
                    * cin
                    * math.prod(cfg["kernel_size"])
                    + n * cin
                )
            elif kind == "Dense":
                macs += n * layer.input.shape[-1]
            elif kind not in ("InputLayer", "ZeroPadding2D", "Reshape", "Dropout"):
                flops += n
    return int(macs), int(flops)
