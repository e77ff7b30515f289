"""Issue 11: converted colour modes are reported (what, how); a truncated JPEG says so."""

from __future__ import annotations

import io

import numpy as np
from data_helpers import find, inspect


def _save(path, img, fmt="PNG"):
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format=fmt)


def test_converted_colour_modes_are_reported_with_how(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    root = tmp_path / "imgs"
    rgb = rng.integers(0, 256, (8, 8, 3), np.uint8)
    for cls in ("a", "b"):
        for i in range(3):
            _save(root / cls / f"rgb{i}.png", Image.fromarray(rgb, "RGB"))
        _save(root / cls / "alpha.png", Image.fromarray(np.dstack([rgb, rgb[..., :1]]), "RGBA"))
        _save(root / cls / "grey.png", Image.fromarray(rgb[..., 0], "L"))
        _save(root / cls / "pal.png", Image.fromarray(rgb, "RGB").convert("P"))
        _save(root / cls / "cmyk.jpg", Image.fromarray(rgb, "RGB").convert("CMYK"), "JPEG")
        deep = Image.fromarray(rgb[..., 0].astype(np.uint16) * 257)
        _save(root / cls / "deep.png", deep)
    report = inspect(root)
    assert report.details["color_mode"] == "rgb"
    assert "alpha (transparency) dropped" in find(report, "mode RGBA").message
    assert "grey copied" in find(report, "mode L ").message
    assert "palette colours expanded" in find(report, "mode P ").message
    assert "CMYK converted to RGB" in find(report, "mode CMYK").message
    sixteen = [p for p in report.problems if "16-bit values scaled to 8 bits" in p.message]
    assert sixteen and sixteen[0].severity == "info"
    assert not any("mode RGB " in p.message for p in report.problems)


def test_a_truncated_jpeg_says_truncated(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(1)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), np.uint8), "RGB").save(buf, "JPEG")
    data = buf.getvalue()
    root = tmp_path / "imgs"
    for cls in ("a", "b"):
        for i in range(3):
            (root / cls).mkdir(parents=True, exist_ok=True)
            (root / cls / f"{i}.jpg").write_bytes(data)
    (root / "a" / "cut_header.jpg").write_bytes(data[:40])
    (root / "a" / "cut_body.jpg").write_bytes(data[: len(data) // 2])
    report = inspect(root)
    for name in ("cut_header.jpg", "cut_body.jpg"):
        problem = next(p for p in report.problems if name in p.location)
        assert "truncated" in problem.message, problem
        assert "not in any known image format" not in problem.message
