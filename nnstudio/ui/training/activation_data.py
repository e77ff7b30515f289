"""What the activations view reads from a run: the layers of ``probe`` and ``weights`` events
(one adapter, :func:`event_layers`), feature maps tiled into one image, histograms re-binned
over time.  Pure NumPy: no Qt."""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np

COMMON_BINS = 64
_ARRAYS = ("hist", "heat", "maps")
_DEFAULTS = {"heat": None, "maps": None, "dead": None, "grad_norm": None, "kind": "other"}


def event_layers(event: Mapping[str, Any]) -> dict[str, Any]:
    """The per-layer records of a ``probe`` or ``weights`` event, by layer name.

    Each record has the attributes of the core's ``LayerActivation`` / ``LayerWeights``
    (``hist``, ``hist_range``, ``heat``, ``maps``, ``grad_norm``, ...).  Records that are
    already objects pass through; plain JSON dicts (lists for arrays) become read-only
    namespaces with NumPy arrays, so either event shape can be shown.
    """
    out: dict[str, Any] = {}
    for name, rec in (event.get("layers") or {}).items():
        if not isinstance(rec, Mapping):
            out[name] = rec
            continue
        fields: dict[str, Any] = {**_DEFAULTS, "name": name, **rec}
        for key in _ARRAYS:
            if fields.get(key) is not None:
                fields[key] = np.asarray(fields[key], dtype=np.float64)
        fields["hist_range"] = tuple(float(v) for v in fields.get("hist_range", (0.0, 1.0)))
        fields["shape"] = tuple(fields.get("shape", ()))
        out[name] = SimpleNamespace(**fields)
    return out


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
