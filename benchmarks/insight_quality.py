"""Data-quality scan benchmark: the duplicate scan of 60,000 CSV rows and of 5,000 images.

- rows: a synthetic CSV (60,000 rows x 20 numeric features + a 3-class label) with 300
  exact copies and 100 rows whose features repeat with another label; timed: the
  inspection (read and check), then the quality scan alone (row hashes, duplicates,
  conflicts, leakage across the split, class weights, the file lines of what was found);
- images: 5,000 synthetic 32x32 PNGs in two class folders, with brightened copies (every
  50th), JPEG re-encodes (every 70th) and identical files in the other class (every 100th);
  timed: the inspection's own scan of the folder, then the quality scan alone (sha256 and
  perceptual hash of each file, the all-pairs Hamming search, clusters, leakage).

Each is run ``--repeat`` times (fresh scan caches) and the best and the median printed with
what was found, against the target "in seconds". Everything is generated into a temporary
folder. Run: ``python benchmarks/insight_quality.py [--rows 60000] [--images 5000]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_csv(path: Path, n: int) -> None:
    import pandas as pd

    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 20)).round(4)
    y = rng.integers(0, 3, n)
    x[1000:1300], y[1000:1300] = x[0:300], y[0:300]  # exact copies
    x[2000:2100], y[2000:2100] = x[100:200], (y[100:200] + 1) % 3  # label conflicts
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(20)])
    frame["label"] = np.array(["a", "b", "c"])[y]
    frame.to_csv(path, index=False)


def make_images(root: Path, n: int) -> int:
    from PIL import Image, ImageEnhance

    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        (root / name).mkdir(parents=True, exist_ok=True)
    written = 0
    for i in range(n):
        cls = "ab"[i % 2]
        image = Image.fromarray(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8))
        image = image.resize((32, 32), Image.BILINEAR)
        image.save(root / cls / f"img{i}.png")
        written += 1
        if i % 50 == 0:
            ImageEnhance.Brightness(image).enhance(1.15).save(root / cls / f"img{i}_bright.png")
            written += 1
        if i % 70 == 0:
            image.save(root / cls / f"img{i}_again.jpg", quality=90)
            written += 1
        if i % 100 == 0:
            image.save(root / "ab"[(i + 1) % 2] / f"img{i}_copy.png")
            written += 1
    return written


def timed(path: Path, repeat: int) -> tuple[list[float], list[float], object]:
    from nnstudio.core.data import config_for_path
    from nnstudio.core.data.image_folder import clear_scan_cache
    from nnstudio.core.data.inspection import load_source
    from nnstudio.core.data.progress import TaskState
    from nnstudio.core.data.quality import scan_quality

    inspect_s, scan_s, quality = [], [], None
    for _ in range(repeat):
        clear_scan_cache()
        start = time.perf_counter()
        loaded = load_source(config_for_path(str(path)), TaskState())
        middle = time.perf_counter()
        quality = scan_quality(loaded)
        end = time.perf_counter()
        inspect_s.append(middle - start)
        scan_s.append(end - middle)
    return inspect_s, scan_s, quality


def show(title: str, inspect_s: list[float], scan_s: list[float], quality: object) -> None:
    print(f"\n{title}")
    print(
        f"  inspection:   best {min(inspect_s):6.2f} s   median {statistics.median(inspect_s):6.2f} s"
    )
    print(f"  quality scan: best {min(scan_s):6.2f} s   median {statistics.median(scan_s):6.2f} s")
    for p in quality.problems:  # type: ignore[attr-defined]
        print(f"  found {p.kind}: {p.count} samples in {p.n_groups} groups")
    for note in quality.notes:  # type: ignore[attr-defined]
        print(f"  note: {note}")
    verdict = "ok" if min(scan_s) < 10 else "SLOW"
    print(f"  target: in seconds (< 10 s) -> {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--images", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    run(args.rows, args.images, args.repeat)


def run(rows: int, images: int, repeat: int) -> None:
    """The duplicate scan of ``rows`` CSV rows and of ``images`` image files, printed."""
    import imagehash  # noqa: F401  (imported once, outside the timings)
    import pandas  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="nnstudio-quality-") as tmp:
        csv_path = Path(tmp) / "rows.csv"
        make_csv(csv_path, rows)
        show(f"CSV: {rows:,} rows x 20 features", *timed(csv_path, repeat))
        root = Path(tmp) / "images"
        written = make_images(root, images)
        show(f"images: {written:,} PNG/JPEG files of 32x32", *timed(root, repeat))


if __name__ == "__main__":
    main()
