"""Helpers for the data-layer tests (imported as ``data_helpers``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from nnstudio.core.data import DataConfig, Report, config_for_path, inspect_source


def sha(path: Path) -> str:
    """sha256 of a file, or of every file under a folder (names and bytes)."""
    h = hashlib.sha256()
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file():
                h.update(str(p.relative_to(path)).encode())
                h.update(p.read_bytes())
    else:
        h.update(path.read_bytes())
    return h.hexdigest()


def inspect(path: Path, **options: object) -> Report:
    """Inspect ``path`` and check that the inspection left it unchanged."""
    before = sha(path)
    report = inspect_source(config_for_path(str(path), **options))
    assert sha(path) == before, "the inspection modified the user's file"
    return report


def find(report: Report, text: str, severity: str | None = None):
    """The first problem whose message contains ``text``; fails with the list otherwise."""
    for p in report.problems:
        if text in p.message and (severity is None or p.severity == severity):
            return p
    listing = "\n".join(f"  {p.severity} {p.location}: {p.message}" for p in report.problems)
    raise AssertionError(f"no {severity or ''} problem containing {text!r}; found:\n{listing}")


def write_image(path: Path, size=(12, 10), mode="L", fmt=None, seed=0) -> Path:
    from PIL import Image

    rng = np.random.default_rng(seed)
    w, h = size
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    data = rng.integers(0, 256, size=(h, w, channels), dtype=np.uint8)
    img = Image.fromarray(data[..., 0] if channels == 1 else data, mode=mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format=fmt)
    return path


def image_folder(root: Path, classes=("cat", "dog"), per_class=6, **kw) -> Path:
    for ci, name in enumerate(classes):
        for i in range(per_class):
            write_image(root / name / f"{name}_{i}.png", seed=ci * 100 + i, **kw)
    return root


__all__ = ["DataConfig", "find", "image_folder", "inspect", "sha", "write_image"]
