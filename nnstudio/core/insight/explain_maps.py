"""Array helpers of the explanations: baselines, resizing a map, the kind of an input."""

from __future__ import annotations

from typing import Any

import numpy as np

BASELINES = ("zeros", "blurred", "mean")
BLUR_SIGMA = 0.1  # of the larger spatial side (or of the sequence length)


class ExplainError(ValueError):
    """An explanation that cannot be made (the message says why, in one line)."""


def input_kind(sample_shape: tuple[int, ...]) -> str:
    """``image`` (H, W, C), ``sequence`` (steps, features) or ``tabular`` (features)."""
    if len(sample_shape) == 3:
        return "image"
    if len(sample_shape) == 2:
        return "sequence"
    if len(sample_shape) == 1:
        return "tabular"
    raise ExplainError(f"inputs of shape {list(sample_shape)} cannot be explained")


def _kernel(sigma: float) -> np.ndarray:
    radius = max(1, int(round(3 * sigma)))
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    return (k / k.sum()).astype(np.float32)


def _blur_axis(a: np.ndarray, axis: int, kernel: np.ndarray) -> np.ndarray:
    pad = len(kernel) // 2
    widths = [(0, 0)] * a.ndim
    widths[axis] = (pad, pad)
    padded = np.pad(a, widths, mode="edge")
    moved = np.moveaxis(padded, axis, -1)
    windows = np.lib.stride_tricks.sliding_window_view(moved, len(kernel), axis=-1)
    return np.moveaxis(windows @ kernel, -1, axis)


def blurred(x: np.ndarray) -> np.ndarray:
    """A Gaussian blur of each sample of ``x`` (batch first) over its spatial axes (images:
    height and width; sequences: the steps; rows: unchanged)."""
    x = np.asarray(x, np.float32)
    kind = input_kind(tuple(x.shape[1:]))
    axes = {"image": (1, 2), "sequence": (1,), "tabular": ()}[kind]
    if not axes:
        return x.copy()
    sigma = max(1.0, BLUR_SIGMA * max(x.shape[a] for a in axes))
    out = x
    for axis in axes:
        out = _blur_axis(out, axis, _kernel(sigma))
    return out.astype(np.float32)


def make_baseline(kind: str | np.ndarray, x: np.ndarray, data: np.ndarray | None) -> np.ndarray:
    """The integrated-gradients baseline for each sample of ``x``: ``zeros``, ``blurred``
    (the sample blurred), ``mean`` (the mean sample of ``data``) or an array."""
    x = np.asarray(x, np.float32)
    if not isinstance(kind, str):
        base = np.asarray(kind, np.float32)
        try:
            return np.broadcast_to(base, x.shape).astype(np.float32)
        except ValueError:
            raise ExplainError(
                f"a baseline of shape {list(base.shape)} does not fit inputs {list(x.shape)}"
            ) from None
    if kind == "zeros":
        return np.zeros_like(x)
    if kind == "blurred":
        return blurred(x)
    if kind == "mean":
        if data is None or len(data) == 0:
            raise ExplainError("the 'mean' baseline needs data (e.g. the validation split)")
        mean = np.asarray(data, np.float32).mean(axis=0)
        if mean.shape != x.shape[1:]:
            raise ExplainError(f"data samples {list(mean.shape)} do not fit {list(x.shape[1:])}")
        return np.broadcast_to(mean, x.shape).astype(np.float32)
    raise ExplainError(f"unknown baseline {kind!r} (one of: {', '.join(BASELINES)})")


def resize_map(cam: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
    """A 2-D (or 1-D) map resized bilinearly (linearly) to ``size``."""
    cam = np.asarray(cam, np.float32)
    if cam.shape == tuple(size):
        return cam
    if cam.ndim == 1:
        src = (np.arange(cam.size) + 0.5) / cam.size
        dst = (np.arange(size[0]) + 0.5) / size[0]
        return np.interp(dst, src, cam).astype(np.float32)
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(cam))  # float32: mode "F"
    return np.asarray(image.resize((size[1], size[0]), Image.Resampling.BILINEAR), np.float32)


def spearman(a: Any, b: Any) -> float:
    """Spearman's rank correlation of two arrays (flattened; ties ranked in order)."""
    ra = np.argsort(np.argsort(np.ravel(a), kind="stable"), kind="stable").astype(np.float64)
    rb = np.argsort(np.argsort(np.ravel(b), kind="stable"), kind="stable").astype(np.float64)
    ra -= ra.mean()
    rb -= rb.mean()
    den = float(np.sqrt((ra**2).sum() * (rb**2).sum()))
    return float((ra * rb).sum() / den) if den else 0.0
