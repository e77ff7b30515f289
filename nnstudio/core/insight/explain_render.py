"""Explanations as pictures: a heat map over the input with a colour scale (Pillow), and
the colour map the window uses too."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from nnstudio.core.atomic import atomic_write_bytes

# An "inferno"-like scale: dark (no attribution) to bright yellow (the most).
HEAT_STOPS = np.array(
    [
        [0, 0, 4],
        [40, 11, 84],
        [101, 21, 110],
        [159, 42, 99],
        [212, 72, 66],
        [245, 125, 21],
        [250, 193, 39],
        [252, 255, 164],
    ],
    dtype=np.float32,
)
MIN_SIDE = 256  # small inputs are enlarged to this many pixels
BAR_WIDTH = 18


def heat_colors(values: np.ndarray) -> np.ndarray:
    """RGB (uint8) of values in [0, 1] on the heat scale."""
    v = np.clip(np.asarray(values, np.float32), 0.0, 1.0) * (len(HEAT_STOPS) - 1)
    lo = np.floor(v).astype(np.int64).clip(0, len(HEAT_STOPS) - 2)
    t = (v - lo)[..., None]
    rgb = HEAT_STOPS[lo] * (1 - t) + HEAT_STOPS[lo + 1] * t
    return rgb.round().astype(np.uint8)


def display_rgb(x: np.ndarray) -> np.ndarray:
    """An image sample (H x W x C) as RGB uint8, scaled to its own value range."""
    a = np.asarray(x, np.float32)
    if a.ndim == 2:
        a = a[..., None]
    lo, hi = float(a.min()), float(a.max())
    a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    if a.shape[-1] == 1:
        a = np.repeat(a, 3, axis=-1)
    return (a[..., :3] * 255).round().astype(np.uint8)


def normalized(heat: np.ndarray) -> tuple[np.ndarray, float]:
    """The map scaled to [0, 1] by its largest value, and that value."""
    h = np.nan_to_num(np.asarray(heat, np.float32))
    top = float(h.max()) if h.size else 0.0
    return (h / top if top > 0 else np.zeros_like(h)), top


def overlay_rgb(x: np.ndarray, heat: np.ndarray, alpha: float = 0.6) -> np.ndarray:
    """The input in grey with the heat map blended over it (more opaque where hotter)."""
    base = display_rgb(x).astype(np.float32).mean(axis=-1, keepdims=True)
    h, _ = normalized(heat)
    colors = heat_colors(h).astype(np.float32)
    a = (alpha * np.sqrt(h))[..., None]
    return ((1 - a) * np.repeat(base, 3, axis=-1) + a * colors).round().astype(np.uint8)


def overlay_png(x: np.ndarray, heat: np.ndarray, title: str, scale_label: str) -> bytes:
    """A PNG: the input, the input with the heat map over it, and the colour bar (0 to the
    map's largest value), with ``title`` above."""
    from PIL import Image, ImageDraw

    _, top = normalized(heat)
    h, w = np.shape(heat)[:2]
    factor = max(1, int(np.ceil(MIN_SIDE / max(h, w))))
    size = (w * factor, h * factor)
    left = Image.fromarray(display_rgb(x)).resize(size, Image.Resampling.NEAREST)
    right = Image.fromarray(overlay_rgb(x, heat)).resize(size, Image.Resampling.NEAREST)
    pad, head, label_w = 8, 22, 70
    canvas = Image.new(
        "RGB", (3 * pad + 2 * size[0] + BAR_WIDTH + label_w, head + size[1] + pad), "white"
    )
    canvas.paste(left, (pad, head))
    canvas.paste(right, (2 * pad + size[0], head))
    ramp = heat_colors(np.linspace(1.0, 0.0, size[1])[:, None].repeat(BAR_WIDTH, axis=1))
    bar_x = 3 * pad + 2 * size[0]
    canvas.paste(Image.fromarray(ramp), (bar_x, head))
    draw = ImageDraw.Draw(canvas)
    draw.text((pad, 4), title, fill="black")
    text_x = bar_x + BAR_WIDTH + 4
    draw.text((text_x, head), f"{top:.3g}", fill="black")
    draw.text((text_x, head + size[1] // 2 - 6), scale_label, fill="black")
    draw.text((text_x, head + size[1] - 12), "0", fill="black")
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()


def write_overlay(
    path: str | Path, x: np.ndarray, heat: np.ndarray, title: str, scale: str
) -> None:
    """Write :func:`overlay_png` to ``path`` atomically."""
    atomic_write_bytes(path, overlay_png(x, heat, title, scale))
