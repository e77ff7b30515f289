"""One cost rule per catalog layer: multiply-accumulates and element-wise FLOPs of one sample.

A rule takes a :class:`Op` (validated parameters, per-sample input shapes by port, the
per-sample output shape) and returns ``(macs, elementwise_flops)``.  The node's FLOPs are
``2 * macs + elementwise_flops`` (1 MAC = 2 FLOPs).  What counts as a MAC and how every
element-wise op is counted is written out in :mod:`nnstudio.core.insight.cost`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from nnstudio.core.backbones.cost import backbone_rule

PerSample = tuple[int, ...]


@dataclass(frozen=True)
class Op:
    """What a rule sees of one node (shapes without the batch axis, unknown sizes as 1)."""

    values: Mapping[str, Any]
    inputs: Mapping[str, tuple[PerSample, ...]]
    out: PerSample

    @property
    def x(self) -> PerSample:
        """The first input's shape (the only one of a single-input layer)."""
        for shapes in self.inputs.values():
            if shapes:
                return shapes[0]
        return ()

    @property
    def out_size(self) -> int:
        """Elements of the output."""
        return math.prod(self.out)


Rule = Callable[[Op], tuple[int, int]]

# Element-wise FLOPs of an activation, per element.
ACTIVATION_FLOPS: dict[str, int] = {"linear": 0, "softmax": 3, "log_softmax": 3}
NORM_FLOPS = 5  # LayerNorm / GroupNorm per element: mean, subtract, square, sum, scale by 1/std
INTERPOLATION_TAPS = {
    "nearest": 0,
    "bilinear": 4,
    "bicubic": 16,
    "lanczos3": 36,
    "lanczos5": 100,
}
# Per step and direction: (gate matmuls, element-wise FLOPs per unit: biases, gate
# activations and the state update).
RECURRENT = {"SimpleRNN": (1, 2), "GRU": (3, 11), "LSTM": (4, 13)}


def activation_flops(name: Any, elements: int) -> int:
    """FLOPs of applying activation ``name`` to ``elements`` values (1 each; softmax 3)."""
    return ACTIVATION_FLOPS.get(str(name), 1) * elements


def _tail(op: Op, macs: int) -> tuple[int, int]:
    """Bias and activation on the output, after ``macs`` multiply-accumulates."""
    n = op.out_size
    bias = n if op.values.get("use_bias", True) else 0
    return macs, bias + activation_flops(op.values.get("activation", "linear"), n)


def zero(op: Op) -> tuple[int, int]:
    """Data movement, lookups and layers that are the identity at inference."""
    return 0, 0


def per_output(k: int) -> Rule:
    """``k`` FLOPs per output element."""
    return lambda op: (0, k * op.out_size)


def dense(op: Op) -> tuple[int, int]:
    """Every output unit at every position is a dot product over the input's last axis."""
    x = op.x
    positions = math.prod(x[:-1])
    return _tail(op, positions * x[-1] * int(op.values["units"]))


def conv(op: Op) -> tuple[int, int]:
    """Each output element: a window of ``kernel`` taps over all input channels / groups."""
    cin = op.x[-1]
    groups = int(op.values.get("groups", 1) or 1)
    taps = math.prod(op.values["kernel_size"])
    return _tail(op, op.out_size * taps * (cin // groups))


def depthwise(op: Op) -> tuple[int, int]:
    """Each output element: one window of ``kernel`` taps over one input channel."""
    return _tail(op, op.out_size * math.prod(op.values["kernel_size"]))


def separable(op: Op) -> tuple[int, int]:
    """Depthwise (per channel, ``depth_multiplier`` outputs) then a 1x1 pointwise conv."""
    cin = op.x[-1]
    mid = cin * int(op.values["depth_multiplier"])
    positions = math.prod(op.out[:-1])
    taps = math.prod(op.values["kernel_size"])
    return _tail(op, positions * mid * taps + positions * mid * int(op.values["filters"]))


def conv_transpose(op: Op) -> tuple[int, int]:
    """Each input position scatters a ``kernel`` window of all filters."""
    x = op.x
    taps = math.prod(op.values["kernel_size"])
    return _tail(op, math.prod(x[:-1]) * x[-1] * taps * int(op.values["filters"]))


def pool(op: Op) -> tuple[int, int]:
    """``k`` FLOPs (comparisons or adds) per output element, ``k`` the window size."""
    return 0, math.prod(op.values["pool_size"]) * op.out_size


def global_pool(op: Op) -> tuple[int, int]:
    """One FLOP per input element."""
    return 0, math.prod(op.x)


def activation_layer(op: Op) -> tuple[int, int]:
    """The activation on every element."""
    return 0, activation_flops(op.values["activation"], op.out_size)


def normalization(op: Op) -> tuple[int, int]:
    """Layer/group norm: statistics and normalising (5 per element), scale and offset."""
    extra = int(bool(op.values.get("scale", True))) + int(bool(op.values.get("center", True)))
    return 0, (NORM_FLOPS + extra) * op.out_size


def resize(op: Op) -> tuple[int, int]:
    """Interpolation: 2 FLOPs per tap per output element (area: input pixels per output)."""
    mode = str(op.values.get("interpolation", "nearest"))
    if mode == "area":
        x = op.x
        taps = max(1, math.ceil(math.prod(x[:-1]) / max(1, math.prod(op.out[:-1]))))
    else:
        taps = INTERPOLATION_TAPS.get(mode, 4)
    return 0, 2 * taps * op.out_size


def merge(extra: int = 0) -> Rule:
    """(inputs - 1) FLOPs per output element, plus ``extra`` (Average: the divide)."""

    def rule(op: Op) -> tuple[int, int]:
        n = len(op.inputs.get("in", ()))
        return 0, (max(n - 1, 0) + extra) * op.out_size

    return rule


def recurrent(key: str) -> Rule:
    """Per step and direction: ``gates`` matmuls of (features + units) x units, and the
    element-wise work of :data:`RECURRENT`; two directions when bidirectional."""
    gates, per_unit = RECURRENT[key]

    def rule(op: Op) -> tuple[int, int]:
        steps, features = (op.x[0], op.x[-1]) if len(op.x) >= 2 else (1, op.x[-1])
        units = int(op.values["units"])
        directions = 2 if op.values.get("bidirectional") else 1
        macs = directions * steps * gates * units * (features + units)
        flops = directions * steps * per_unit * units
        if directions == 2 and op.values.get("merge_mode") in ("sum", "mul", "ave"):
            flops += op.out_size * (2 if op.values["merge_mode"] == "ave" else 1)
        return macs, flops

    return rule


def multi_head_attention(op: Op) -> tuple[int, int]:
    """Projections of query, key and value, scores, softmax, weighted sum, output projection."""
    v = op.values
    q = op.inputs["query"][0]
    val = op.inputs["value"][0]
    k = op.inputs["key"][0] if op.inputs.get("key") else val
    heads, dk = int(v["num_heads"]), int(v["key_dim"])
    dv = int(v["value_dim"] or dk)
    tq, tk, tv = math.prod(q[:-1]), math.prod(k[:-1]), math.prod(val[:-1])
    dout = op.out[-1]
    proj = tq * q[-1] * heads * dk + tk * k[-1] * heads * dk + tv * val[-1] * heads * dv
    scores = heads * tq * tk
    macs = proj + scores * dk + scores * dv + tq * heads * dv * dout
    flops = 3 * scores + tq * heads * dk  # softmax, and scaling the query by 1/sqrt(dk)
    if v.get("use_bias", True):
        flops += tq * heads * dk + tk * heads * dk + tv * heads * dv + tq * dout
    return macs, flops


def attention(op: Op) -> tuple[int, int]:
    """Dot-product scores (or additive: add, tanh, sum), softmax, weighted sum of values."""
    q = op.inputs["query"][0]
    val = op.inputs["value"][0]
    tq, tv, d = math.prod(q[:-1]), math.prod(val[:-1]), q[-1]
    scores = tq * tv
    macs = scores * val[-1]
    flops = 3 * scores + (scores if op.values.get("use_scale") else 0)
    if op.values.get("score_mode") == "concat":
        flops += 3 * scores * d
    else:
        macs += scores * d
    return macs, flops


RULES: dict[str, Rule] = {
    "Input": zero,
    "Dense": dense,
    "Activation": activation_layer,
    "ReLU": per_output(1),
    "LeakyReLU": per_output(1),
    "Softmax": per_output(3),
    "Dropout": zero,
    "SpatialDropout1D": zero,
    "SpatialDropout2D": zero,
    "GaussianNoise": zero,
    "BatchNormalization": per_output(2),
    "LayerNormalization": normalization,
    "GroupNormalization": normalization,
    "Conv1D": conv,
    "Conv2D": conv,
    "Conv3D": conv,
    "SeparableConv2D": separable,
    "DepthwiseConv2D": depthwise,
    "Conv2DTranspose": conv_transpose,
    "MaxPooling1D": pool,
    "MaxPooling2D": pool,
    "AveragePooling1D": pool,
    "AveragePooling2D": pool,
    "GlobalAveragePooling1D": global_pool,
    "GlobalAveragePooling2D": global_pool,
    "GlobalMaxPooling1D": global_pool,
    "GlobalMaxPooling2D": global_pool,
    "Flatten": zero,
    "Reshape": zero,
    "Permute": zero,
    "RepeatVector": zero,
    "UpSampling2D": resize,
    "ZeroPadding2D": zero,
    "Cropping2D": zero,
    "SimpleRNN": recurrent("SimpleRNN"),
    "LSTM": recurrent("LSTM"),
    "GRU": recurrent("GRU"),
    "Embedding": zero,
    "MultiHeadAttention": multi_head_attention,
    "Attention": attention,
    "Add": merge(),
    "Subtract": merge(),
    "Multiply": merge(),
    "Average": merge(1),
    "Maximum": merge(),
    "Minimum": merge(),
    "Concatenate": zero,
    "Rescaling": per_output(2),
    "Normalization": per_output(2),
    "Resizing": resize,
    "RandomFlip": zero,
    "RandomRotation": zero,
    "RandomZoom": zero,
    "RandomTranslation": zero,
    "PretrainedBackbone": backbone_rule,
}
