"""Data-layer benchmarks: every ratio is measured in the same run.

1. A 60,000-row x 64-column CSV (plus a class column): time from choosing the file
   to the first training batch (``prepare`` + first batch: sniffing, field counts,
   parsing, every cell checked, standardization, split, tf.data), printed beside
   ``pandas.read_csv`` on the same file. Target: at most 3x.
2. A folder of 5,000 small PNGs in 10 classes: scan rate (every file decoded once
   with Pillow) and training throughput of a small CNN fed by the pipeline versus
   the same arrays in memory (``model.fit(x, y)``), after the first epoch.
   Target: at least 0.8x. The streaming pipeline (over the memory budget, decoding
   from disk every epoch) is measured too, for information.

TensorFlow is imported before any timing starts (its import is reported apart).
Run: ``python benchmarks/data.py [--rows 60000] [--images 5000] [--epochs 4] [--rounds 5]``.
The machine this was written on is shared and noisy: the training feeds alternate in
rounds and medians are taken, so that a busy moment hits every feed alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402


def best_of(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


# -- 1. CSV -------------------------------------------------------------------------


def make_csv(path: Path, rows: int, cols: int) -> None:
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.normal(size=(rows, cols)).astype(np.float32), columns=[f"f{i}" for i in range(cols)]
    )
    frame["label"] = np.array([f"class_{i}" for i in range(10)])[rng.integers(0, 10, rows)]
    frame.to_csv(path, index=False)


def bench_csv(folder: Path, rows: int, cols: int, repeat: int) -> float:
    import pandas as pd

    from nnstudio.core.data import config_for_path, inspect_source, prepare

    path = folder / "wide.csv"
    make_csv(path, rows, cols)
    size_mb = path.stat().st_size / 1e6

    def first_batch():
        config = config_for_path(str(path), target_columns=["label"])
        prepared = prepare(config, batch_size=32)
        x, y = next(iter(prepared.train))
        return prepared, x

    first_batch()  # warm-up: the first tf.data graph of the process is traced once
    # alternate the two so that a busy moment of the machine hits both alike
    pandas_times, ours_times = [], []
    for _ in range(repeat):
        t, _ = best_of(lambda: pd.read_csv(path), 1)
        pandas_times.append(t)
        t, (prepared, x) = best_of(first_batch, 1)
        ours_times.append(t)
    pandas_s, ours_s = min(pandas_times), min(ours_times)
    inspect_s, report = best_of(
        lambda: inspect_source(config_for_path(str(path), target_columns=["label"])), repeat
    )
    assert report.ok and tuple(x.shape) == (32, cols)
    ratio = ours_s / pandas_s
    print(f"CSV {rows:,} rows x {cols} numeric columns + 1 text class column ({size_mb:.0f} MB)")
    print(f"  pandas.read_csv                 {pandas_s * 1000:8.0f} ms")
    print(f"  inspect_source (report)         {inspect_s * 1000:8.0f} ms")
    print(
        f"  choose file -> first batch      {ours_s * 1000:8.0f} ms   "
        f"= {ratio:.2f}x pandas (target <= 3x)"
    )
    return ratio


# -- 2. image folder ----------------------------------------------------------------


def make_images(root: Path, n: int, size: int = 32, classes: int = 10) -> None:
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(1)
    for i in range(n):
        label = i % classes
        img = Image.new("RGB", (size, size), tuple(int(v) for v in rng.integers(0, 80, 3)))
        draw = ImageDraw.Draw(img)
        # the class is the number of bright dots: learnable, cheap to make
        for _ in range(label + 1):
            x, y = rng.integers(2, size - 4, 2)
            draw.ellipse((x, y, x + 3, y + 3), fill=(250, 250, 250))
        folder = root / f"c{label}"
        folder.mkdir(parents=True, exist_ok=True)
        img.save(folder / f"{i:05d}.png")


def small_cnn(shape, classes):
    import keras

    inputs = keras.Input(shape)
    h = keras.layers.Conv2D(16, 3, activation="relu", padding="same")(inputs)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(32, 3, activation="relu", padding="same")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Flatten()(h)
    outputs = keras.layers.Dense(classes, activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class EpochTimer:
    def __init__(self):
        import keras

        outer = self

        class _Callback(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                outer.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                outer.times.append(time.perf_counter() - outer.start)

        self.times: list[float] = []
        self.start = 0.0
        self.callback = _Callback()


def timed_fit(model, weights, epochs, **fit_kwargs) -> list[float]:
    model.set_weights(weights)
    timer = EpochTimer()
    model.fit(epochs=epochs, verbose=0, callbacks=[timer.callback], **fit_kwargs)
    return timer.times


def bench_images(folder: Path, n: int, epochs: int, rounds: int) -> float:
    from nnstudio.core.data import DataConfig, inspect_source, prepare
    from nnstudio.core.data.image_folder import clear_scan_cache

    root = folder / "images"
    make_images(root, n)
    config = DataConfig(kind="images", path=str(root), val_fraction=0.0)

    clear_scan_cache()
    scan_s, report = best_of(lambda: inspect_source(config), 1)
    assert report.ok and report.samples == n, report.format_text()

    prep_s, prepared = best_of(lambda: prepare(config, batch_size=64), 1)
    assert prepared.cached
    x, y = prepared._source.arrays("train", None)  # the same decoded arrays, in memory
    model = small_cnn(prepared.feature_shape, prepared.num_outputs)
    weights = model.get_weights()

    streamed = prepare(config, batch_size=64, cache_budget_bytes=0)
    assert streamed.streamed
    runs: dict[str, list[float]] = {"arrays": [], "pipeline": [], "streaming": []}
    first: dict[str, float] = {}
    # rounds alternate the three feeds so that machine noise hits all of them alike
    for _ in range(rounds):
        for name, kwargs in (
            ("arrays", {"x": x, "y": y, "batch_size": 64, "shuffle": True}),
            ("pipeline", {"x": prepared.train, "shuffle": False}),
            ("streaming", {"x": streamed.train, "shuffle": False}),
        ):
            times = timed_fit(model, weights, epochs, **kwargs)
            first.setdefault(name, times[0])
            runs[name] += times[1:]

    def rate(name):
        return len(y) / statistics.median(runs[name])

    fit_arrays, fit_pipe = [first["arrays"]], [first["pipeline"]]
    arrays_rate, pipe_rate, stream_rate = rate("arrays"), rate("pipeline"), rate("streaming")
    ratio = pipe_rate / arrays_rate
    print(f"image folder: {n:,} PNGs of 32x32 RGB in 10 classes")
    print(f"  scan (decode every file once)   {scan_s:8.2f} s    = {n / scan_s:,.0f} images/s")
    print(f"  prepare (decode into memory)    {prep_s:8.2f} s    = {n / prep_s:,.0f} images/s")
    print(
        f"  training, arrays in memory      {arrays_rate:8,.0f} images/s "
        f"(median of epochs 2..{epochs} x {rounds} rounds; first epoch: "
        f"{len(y) / fit_arrays[0]:,.0f})"
    )
    print(
        f"  training, pipeline (cached)     {pipe_rate:8,.0f} images/s "
        f"= {ratio:.2f}x arrays (target >= 0.8x; first epoch: {len(y) / fit_pipe[0]:,.0f})"
    )
    print(
        f"  training, pipeline (streaming)  {stream_rate:8,.0f} images/s "
        f"= {stream_rate / arrays_rate:.2f}x arrays (decodes from disk every epoch)"
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--cols", type=int, default=64)
    parser.add_argument("--images", type=int, default=5_000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5, help="CSV timings (best of)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating training rounds")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    import tensorflow as tf  # noqa: F401  (imported before timing)

    print(f"(TensorFlow import: {time.perf_counter() - start:.1f} s, not counted below)")
    with tempfile.TemporaryDirectory(prefix="nnstudio-bench-") as tmp:
        csv_ratio = bench_csv(Path(tmp), args.rows, args.cols, args.repeat)
        img_ratio = bench_images(Path(tmp), args.images, args.epochs, args.rounds)
    print(
        f"summary: CSV first batch {csv_ratio:.2f}x pandas (<= 3x: "
        f"{'ok' if csv_ratio <= 3 else 'MISSED'}); image pipeline {img_ratio:.2f}x arrays "
        f"(>= 0.8x: {'ok' if img_ratio >= 0.8 else 'MISSED'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
