"""The target policy: what a source's training targets are.

``targets = "labels"`` (the default) reads targets from the source (a CSV
column, a targets array, an image's folder); ``targets = "inputs"`` makes every
sample its own target (autoencoders, denoising): the task is
:data:`RECONSTRUCTION`, ``y`` is ``x`` in every split, and no classification
head is ever suggested for it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: the values of :attr:`DataConfig.targets`
TARGET_SOURCES = ("labels", "inputs")
#: the task of a source whose targets are its inputs
RECONSTRUCTION = "reconstruction"


def reconstructs(config: Any) -> bool:
    """True when ``config`` asks for the inputs as targets."""
    return getattr(config, "targets", "labels") == "inputs"


def placeholder_targets(n: int) -> np.ndarray:
    """Split bookkeeping for a reconstruction source: one 0 per sample (the
    real targets are the inputs, substituted by the pipeline)."""
    return np.zeros(int(n), np.int32)


def unit_range(value_range: tuple[float, float] | None) -> bool:
    """True when inputs lie in [0, 1] (so a sigmoid output and binary
    cross-entropy fit their reconstruction)."""
    if value_range is None:
        return False
    low, high = value_range
    return bool(np.isfinite(low) and np.isfinite(high) and low >= 0.0 and high <= 1.0)


def reconstruction_head(
    feature_shape: tuple[int, ...], value_range: tuple[float, float] | None
) -> dict[str, Any]:
    """The output that reconstructs inputs of ``feature_shape``: its shape,
    activation, loss and metrics (sigmoid + binary cross-entropy for inputs in
    [0, 1], linear + MSE otherwise)."""
    shape = tuple(int(d) for d in feature_shape)
    units = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if unit_range(value_range):
        activation, loss = "sigmoid", "binary_crossentropy"
    else:
        activation, loss = "linear", "mse"
    return {
        "shape": shape,
        "units": units,
        "activation": activation,
        "loss": loss,
        "metrics": ["mae"],
    }


def value_range(x: Any, limit_bytes: int = 64 * 1024 * 1024) -> tuple[float, float] | None:
    """(min, max) of the finite values of ``x`` (read in blocks of samples, at
    most ``limit_bytes`` of them); ``None`` for an empty or non-numeric array."""
    arr = x
    if getattr(arr, "dtype", None) is None or arr.dtype.kind not in "biuf" or len(arr) == 0:
        return None
    per = max(1, int(np.prod(arr.shape[1:], dtype=np.int64)) * arr.dtype.itemsize)
    step = max(1, min(len(arr), limit_bytes // per))
    low, high = np.inf, -np.inf
    for start in range(0, len(arr), step):
        block = np.asarray(arr[start : start + step], np.float64)
        finite = block[np.isfinite(block)]
        if finite.size:
            low, high = min(low, float(finite.min())), max(high, float(finite.max()))
    if not np.isfinite(low):
        return None
    return low, high
