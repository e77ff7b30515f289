"""Debiased exponential moving average, exactly as TensorBoard's scalar smoothing.

With smoothing weight ``w`` (0 = none) and values ``x_1..x_t``::

    last_t = w * last_(t-1) + (1 - w) * x_t        (last_0 = 0)
    smoothed_t = last_t / (1 - w ** t)             (debiasing: no pull towards 0 at the start)

Non-finite values are passed through and leave the average unchanged (TensorBoard does the
same).  :class:`Ema` smooths a stream one value at a time; :func:`smooth` a whole series at
once, vectorised, for redrawing a long curve when the weight changes.  Pure NumPy: no Qt.
"""

from __future__ import annotations

import math

import numpy as np

MAX_WEIGHT = 0.999
_BLOCK_GAIN = 1e4  # the largest w**-k inside one block (keeps the cumulative sums exact)
_NEGLIGIBLE = 1e-15  # kernel terms below this share are dropped


class Ema:
    """Streaming debiased EMA: ``push(value)`` returns the smoothed value so far."""

    def __init__(self, weight: float) -> None:
        self.weight = check_weight(weight)
        self.last = 0.0
        self.count = 0

    def push(self, value: float) -> float:
        """Add one value; return its smoothed value (the value itself if not finite)."""
        if not math.isfinite(value):
            return value
        w = self.weight
        self.last = w * self.last + (1.0 - w) * value
        self.count += 1
        return self.last / (1.0 - w**self.count) if w > 0 else self.last

    def reset(self) -> None:
        """Forget every value."""
        self.last = 0.0
        self.count = 0


def check_weight(weight: float) -> float:
    """``weight`` as a float in ``0..MAX_WEIGHT`` (a ``ValueError`` otherwise)."""
    w = float(weight)
    if not 0.0 <= w <= MAX_WEIGHT:
        raise ValueError(f"smoothing weight {w} is outside 0..{MAX_WEIGHT}")
    return w


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """The debiased EMA of every value of ``values`` (same length, float64)."""
    w = check_weight(weight)
    x = np.asarray(values, dtype=np.float64)
    out = x.copy()
    finite = np.isfinite(x)
    xs = x[finite]
    if w == 0.0 or xs.size == 0:
        return out
    last = _ema_blocks(xs, w) if math.log(_BLOCK_GAIN) / -math.log(w) >= 64 else _ema_kernel(xs, w)
    count = np.arange(1, xs.size + 1, dtype=np.float64)
    out[finite] = last / -np.expm1(count * math.log(w))  # 1 - w**t, exact for small t
    return out


def _ema_kernel(x: np.ndarray, w: float) -> np.ndarray:
    """``last_t`` by convolution with the truncated kernel ``(1 - w) w**k`` (small ``w``)."""
    k = max(1, math.ceil(math.log(_NEGLIGIBLE) / math.log(w)))
    kernel = (1.0 - w) * w ** np.arange(k, dtype=np.float64)
    return np.convolve(x, kernel)[: x.size]


def _ema_blocks(x: np.ndarray, w: float) -> np.ndarray:
    """``last_t`` block by block: inside a block ``last_j = w**(j+1) L + (1-w) w**j
    cumsum(x_k w**-k)``, with ``w**-k`` at most ``_BLOCK_GAIN``."""
    size = int(math.log(_BLOCK_GAIN) / -math.log(w))
    j = np.arange(size, dtype=np.float64)
    up, down = w**-j, w**j
    out = np.empty_like(x)
    last = 0.0
    for start in range(0, x.size, size):
        block = x[start : start + size]
        n = block.size
        acc = w * down[:n] * last + (1.0 - w) * down[:n] * np.cumsum(block * up[:n])
        out[start : start + n] = acc
        last = float(acc[-1])
    return out
