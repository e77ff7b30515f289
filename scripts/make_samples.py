"""Regenerate the sample datasets in ``resources/samples/`` (deterministic).

Everything is generated here, nothing is downloaded; the output is CC0 (see
``resources/samples/README.md``):

- ``digits/``: 10 classes x 64 handwritten-looking digits, 28x28 grayscale PNG,
  rendered with Pillow's bundled default font (or DejaVu Sans) under random
  affine distortion, stroke width, blur and noise.
- ``species.csv``: a made-up flower data set, 4 numeric measurements and a
  string ``species`` column (3 classes, 100 rows each).
- ``housing.csv``: made-up house prices (regression): 5 numbers, a
  ``district`` text column and the target ``price_100k``.
- ``waveforms.npz``: 600 noisy windows of 64 steps (sine, square, sawtooth),
  arrays ``x`` (600, 64, 1) float32, ``y`` (600,) int64 and ``class_names``.
- ``tokens.npz``: 800 token-id sequences of 32 steps from a made-up 200-word
  vocabulary; the class (``negative``/``positive``) is whether "positive" words
  outnumber "negative" ones: ``x`` (800, 32) int32, ``y`` (800,) int64,
  ``class_names``.
- ``two_inputs.npz``: 600 samples for a two-input model: ``measurements``
  (600, 8) float32 and ``context`` (600, 4) float32 (one-hot of four contexts)
  and a regression target ``target`` (600,) float32 that needs both.

Run: ``python scripts/make_samples.py [--out resources/samples]``.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "resources" / "samples"
SEED = 20240601
DIGIT_IMAGES_PER_CLASS = 64
DIGIT_SIZE = 28
SCALE = 4  # render at 4x, then downsample


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: a scalable system font
        for path in (
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "DejaVuSans.ttf",
        ):
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return ImageFont.load_default()


def render_digit(digit: int, rng: np.random.Generator) -> Image.Image:
    """One 28x28 grayscale digit, white on black, distorted at random."""
    return render_glyph(str(digit), rng)


def render_glyph(
    text: str,
    rng: np.random.Generator,
    font_for: Callable[[int], ImageFont.ImageFont | ImageFont.FreeTypeFont] = _font,
) -> Image.Image:
    """One 28x28 grayscale glyph (``font_for(size)`` gives its font), white on black,
    distorted at random: rotation, shear, scale, shift, stroke, blur, contrast, noise."""
    big = DIGIT_SIZE * SCALE
    canvas = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(canvas)
    font = font_for(int(rng.uniform(0.62, 0.8) * big))
    stroke = int(rng.integers(0, 3)) * SCALE // 2
    box = draw.textbbox((0, 0), text, font=font, stroke_width=stroke)
    w, h = box[2] - box[0], box[3] - box[1]
    draw.text(
        ((big - w) / 2 - box[0], (big - h) / 2 - box[1]),
        text,
        fill=255,
        font=font,
        stroke_width=stroke,
        stroke_fill=255,
    )
    # random affine: rotation, shear, scale, translation (about the centre)
    angle = np.deg2rad(rng.uniform(-14, 14))
    shear = rng.uniform(-0.25, 0.25)
    scale = rng.uniform(0.85, 1.1)
    tx, ty = rng.uniform(-2.5, 2.5, size=2) * SCALE
    cos, sin = np.cos(angle), np.sin(angle)
    a = np.array([[cos, -sin + shear], [sin, cos]]) / scale
    c = big / 2
    offset = np.array([c, c]) - a @ np.array([c + tx, c + ty])
    coeffs = (a[0, 0], a[0, 1], offset[0], a[1, 0], a[1, 1], offset[1])
    canvas = canvas.transform((big, big), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR)
    canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.0, 1.5) * SCALE / 2))
    small = canvas.resize((DIGIT_SIZE, DIGIT_SIZE), Image.Resampling.LANCZOS)
    pixels = np.asarray(small, np.float32)
    pixels = pixels * rng.uniform(0.8, 1.0) + rng.normal(0.0, 6.0, pixels.shape)
    pixels = np.clip(np.round(pixels / 4) * 4, 0, 255).astype(np.uint8)  # quantized: smaller PNGs
    return Image.fromarray(pixels, mode="L")


def make_digits(out: Path, rng: np.random.Generator) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".digits-", dir=out))
    try:
        for digit in range(10):
            folder = tmp / str(digit)
            folder.mkdir()
            for i in range(DIGIT_IMAGES_PER_CLASS):
                render_digit(digit, rng).save(folder / f"{digit}_{i:03d}.png", optimize=True)
        os.chmod(tmp, 0o755)  # mkdtemp makes it private
        target = out / "digits"
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _csv(header: list[str], rows: list[list[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def make_species(out: Path, rng: np.random.Generator) -> None:
    """Three made-up flower species; 4 measurements in cm."""
    species = {
        # name: means and standard deviations of (sepal_length, sepal_width,
        #       petal_length, petal_width)
        "aurelia": ((5.0, 3.4, 1.5, 0.25), (0.35, 0.38, 0.17, 0.1)),
        "borealis": ((5.9, 2.8, 4.3, 1.3), (0.5, 0.31, 0.47, 0.2)),
        "cerulea": ((6.6, 3.0, 5.6, 2.0), (0.63, 0.32, 0.55, 0.27)),
    }
    rows: list[list[object]] = []
    for name, (mean, std) in species.items():
        values = rng.normal(mean, std, size=(100, 4))
        values = np.clip(values, 0.1, None)
        for v in values:
            rows.append([f"{x:.1f}" for x in v] + [name])
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    header = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    _write_text(out / "species.csv", _csv(header, rows))


def make_housing(out: Path, rng: np.random.Generator) -> None:
    """Made-up house prices; the target ``price_100k`` is in units of 100,000."""
    n = 500
    districts = np.array(["centre", "north", "south"])
    district = districts[rng.choice(3, size=n, p=[0.3, 0.35, 0.35])]
    area = np.round(rng.gamma(9.0, 11.0, n) + 25, 1)
    rooms = np.clip(np.round(area / 28 + rng.normal(0, 0.8, n)), 1, 9).astype(int)
    age = np.round(rng.uniform(0, 90, n)).astype(int)
    distance = np.round(rng.gamma(2.0, 3.0, n), 2)
    garden = np.where(rng.random(n) < 0.45, np.round(rng.gamma(2.0, 60.0, n)), 0.0)
    base = {"centre": 160.0, "north": 90.0, "south": 70.0}
    price = (
        np.array([base[d] for d in district])
        + 2.4 * area
        + 9.0 * rooms
        - 0.9 * age
        + 0.004 * (age - 45) ** 2 * 3
        - 14.0 * np.log1p(distance)
        + 0.12 * garden
        + rng.normal(0, 22.0, n)
    )
    price = np.round(np.clip(price, 40, None) / 100.0, 3)  # in units of 100k
    header = ["area_m2", "rooms", "age_years", "distance_km", "garden_m2", "district", "price_100k"]
    rows = [
        [f"{area[i]:.1f}", rooms[i], age[i], f"{distance[i]:.2f}", f"{garden[i]:.0f}",
         district[i], f"{price[i]:.3f}"]
        for i in range(n)
    ]  # fmt: skip
    _write_text(out / "housing.csv", _csv(header, rows))


def make_waveforms(out: Path, rng: np.random.Generator) -> None:
    """Noisy windows of three wave shapes: the class is the shape."""
    steps, per_class = 64, 200
    names = np.array(["sine", "square", "sawtooth"])
    t = np.arange(steps, dtype=np.float64)
    xs, ys = [], []
    for label in range(3):
        for _ in range(per_class):
            period = rng.uniform(12, 40)
            phase = rng.uniform(0, 1)
            amp = rng.uniform(0.5, 1.5)
            cycle = (t / period + phase) % 1.0
            if label == 0:
                wave = np.sin(2 * np.pi * cycle)
            elif label == 1:
                wave = np.where(cycle < 0.5, 1.0, -1.0)
            else:
                wave = 2.0 * cycle - 1.0
            wave = amp * wave + rng.uniform(-0.3, 0.3) + rng.normal(0, 0.15, steps)
            xs.append(wave)
            ys.append(label)
    order = rng.permutation(len(xs))
    x = np.asarray(xs, np.float32)[order][..., None]
    y = np.asarray(ys, np.int64)[order]
    _write_npz(out / "waveforms.npz", {"x": x, "y": y, "class_names": names})


TOKEN_VOCAB = 200
TOKEN_STEPS = 32
POSITIVE_WORDS = range(2, 12)  # token ids 2..11; 0 is padding
NEGATIVE_WORDS = range(12, 22)


def make_tokens(out: Path, rng: np.random.Generator) -> None:
    """Token-id sequences; the class is whether positive words outnumber negative ones."""
    n = 800
    xs, ys = [], []
    for i in range(n):
        label = i % 2
        length = int(rng.integers(16, TOKEN_STEPS + 1))
        seq = rng.integers(22, TOKEN_VOCAB, size=length)  # neutral words
        strong, weak = int(rng.integers(3, 7)), int(rng.integers(0, 3))
        pos, neg = (strong, weak) if label else (weak, strong)
        slots = rng.choice(length, size=pos + neg, replace=False)
        seq[slots[:pos]] = rng.choice(POSITIVE_WORDS, size=pos)
        seq[slots[pos:]] = rng.choice(NEGATIVE_WORDS, size=neg)
        row = np.zeros(TOKEN_STEPS, np.int32)
        row[:length] = seq
        xs.append(row)
        ys.append(label)
    order = rng.permutation(n)
    x = np.asarray(xs, np.int32)[order]
    y = np.asarray(ys, np.int64)[order]
    names = np.array(["negative", "positive"])
    _write_npz(out / "tokens.npz", {"x": x, "y": y, "class_names": names})


def make_two_inputs(out: Path, rng: np.random.Generator) -> None:
    """Two inputs, one regression target: a context-dependent weighting of the measurements."""
    n = 600
    measurements = rng.normal(0.0, 1.0, size=(n, 8)).astype(np.float32)
    which = rng.integers(0, 4, size=n)
    context = np.eye(4, dtype=np.float32)[which]
    weights = rng.normal(0.0, 1.0, size=(4, 8))  # one weighting of the measurements per context
    bias = np.array([0.0, 1.0, -1.0, 0.5])
    target = (measurements * weights[which]).sum(axis=1) / 2 + bias[which]
    target = (target + rng.normal(0.0, 0.1, size=n)).astype(np.float32)
    _write_npz(
        out / "two_inputs.npz",
        {"measurements": measurements, "context": context, "target": target},
    )


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like ``numpy.savez_compressed`` but byte-for-byte reproducible (fixed zip dates)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, array in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    make_digits(out, np.random.default_rng(SEED))
    make_species(out, np.random.default_rng(SEED + 1))
    make_housing(out, np.random.default_rng(SEED + 2))
    make_waveforms(out, np.random.default_rng(SEED + 3))
    make_tokens(out, np.random.default_rng(SEED + 4))
    make_two_inputs(out, np.random.default_rng(SEED + 5))
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote samples to {out} ({total / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
