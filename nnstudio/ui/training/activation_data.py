"""What the activations view reads from a run: the layers of ``probe`` and ``weights`` events
(one adapter, :func:`event_layers`), feature maps tiled into one image, histograms re-binned
over time.  Pure NumPy: no Qt."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from nnstudio.core.training.probes import activations_from_event, weights_from_event

COMMON_BINS = 64


def event_layers(event: Mapping[str, Any]) -> dict[str, Any]:
    """The per-layer records of a ``probe`` or ``weights`` event, by layer name.

    The job's events are plain JSON (lists for arrays); they are read back by the core's
    own parsers (:func:`~nnstudio.core.training.probes.activations_from_event`,
    :func:`~nnstudio.core.training.probes.weights_from_event`), so there is one reading of
    the event shape.  Records that are already objects pass through.
    """
    layers = event.get("layers") or {}
    if not all(isinstance(rec, Mapping) for rec in layers.values()):
        return dict(layers)
    if event.get("type") == "weights":
        return dict(weights_from_event(event))
    return dict(activations_from_event(event))


def tile_grid(channels: int) -> tuple[int, int]:
    """``(rows, cols)`` of the feature-map grid: as square as possible."""
    cols = max(1, math.ceil(math.sqrt(channels)))
    return math.ceil(channels / cols), cols


def tile_maps(maps: np.ndarray, pad: int = 1) -> np.ndarray:
    """Feature maps ``(H, W, C)`` as one ``(rows, cols)`` image, each map scaled to 0..1."""
    h, w, c = maps.shape
    rows, cols = tile_grid(c)
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad), np.nan, np.float32)
    for i in range(c):
        m = maps[..., i].astype(np.float32)
        lo, hi = float(np.nanmin(m)), float(np.nanmax(m))
        m = (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)
        r, k = divmod(i, cols)
        out[r * (h + pad) : r * (h + pad) + h, k * (w + pad) : k * (w + pad) + w] = m
    return out


def histograms_over_time(
    snapshots: list[tuple[np.ndarray, tuple[float, float]]], bins: int = COMMON_BINS
) -> tuple[np.ndarray, tuple[float, float]]:
    """Histograms with their own ranges re-binned onto one common value range.

    Returns ``(image, (lo, hi))`` where ``image[t]`` is snapshot ``t``'s histogram over
    ``bins`` equal bins of ``lo..hi`` on a log scale (``log1p`` of the counts), scaled so
    that its largest bin is 1.
    """
    lo = min(r[0] for _, r in snapshots)
    hi = max(r[1] for _, r in snapshots)
    if hi <= lo:
        hi = lo + 1.0
    image = np.zeros((len(snapshots), bins), np.float32)
    for t, (counts, (a, b)) in enumerate(snapshots):
        k = len(counts)
        centres = a + (np.arange(k) + 0.5) * (b - a) / k
        row, _ = np.histogram(centres, bins=bins, range=(lo, hi), weights=counts)
        row = np.log1p(row)  # a ReLU's pile at zero would hide everything else
        peak = row.max()
        image[t] = row / peak if peak > 0 else row
    return image, (lo, hi)
