"""Small data and graphs for the backbone tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

DIGITS = Path(__file__).resolve().parents[3] / "resources" / "samples" / "digits"


def digits(per_class: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` images of each digit from the shipped sample, as (n, 28, 28, 1) in 0..1."""
    from PIL import Image

    xs, ys = [], []
    for label in range(10):
        files = sorted((DIGITS / str(label)).glob("*.png"))[offset : offset + per_class]
        for f in files:
            xs.append(np.asarray(Image.open(f).convert("L"), np.float32)[..., None] / 255.0)
            ys.append(label)
    return np.stack(xs), np.asarray(ys, np.int64)
