"""What the app's run costs over plain ``model.fit``: throughput ratio, app / plain.

The same data (~60k digit-like 28x28 images, 10 classes) and the same compiled model (an MLP
and the small CNN template) are trained alternately with plain ``model.fit`` and with
``run_training`` — live reporting drained by a consumer thread at 30 Hz (as the GUI does),
NaN watch, activation probes at the default 5 % budget and the TensorBoard logs (on by
default: scalars every batch, weight histograms and the graph) — several times each in one
process; the median throughput of each is compared.  Target: ratio >= 0.95.  The app's run
is also timed without TensorBoard logs (``app run, no TB``), so their cost shows under the
same load; ``--no-tensorboard`` leaves that second measure out and times the app without them.
Since run-to-run noise is larger than the logs' cost, each model also reports the share of a
run's time spent inside the TensorBoard logger's own hooks (a measure that load hardly moves).

    python benchmarks/training_overhead.py [--samples 60000] [--repeats 3] [--epochs 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def digit_like(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` 28x28x1 images: 10 smooth class templates, shifted and noisy."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28] / 27.0
    templates = []
    for _ in range(10):
        img = np.zeros((28, 28))
        for _ in range(3):
            cx, cy, s = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.05, 0.2)
            img += np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * s * s))
        templates.append(img / img.max())
    y = rng.integers(0, 10, size=n)
    x = np.empty((n, 28, 28, 1), np.float32)
    shifts = rng.integers(-2, 3, size=(n, 2))
    for i in range(n):
        x[i, ..., 0] = np.roll(templates[y[i]], tuple(shifts[i]), axis=(0, 1))
    x += rng.normal(scale=0.2, size=x.shape).astype(np.float32)
    return x, y.astype(np.int64)


def mlp_graph():
    from nnstudio.core.graph.builder import GraphBuilder

    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(28, 28, 1))
    h = b.add("Flatten", x, name="flatten")
    h = b.add("Dense", h, name="hidden_1", units=128, activation="relu")
    h = b.add("Dense", h, name="hidden_2", units=64, activation="relu")
    y = b.add("Dense", h, name="digit", units=10, activation="softmax")
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    return b.graph


def cnn_graph():
    from nnstudio.core.templates import build_template

    return build_template("small_cnn").graph


def plain_fit(model, x, y, batch_size: int, epochs: int, seed: int | None = None) -> float:
    """Seconds of a plain ``model.fit``; with ``seed``, seeded first as the app's run is
    (``keras.utils.set_random_seed``, which also clears TensorFlow's kernel cache: the
    next step instantiates its functions again)."""
    import keras

    start = time.perf_counter()
    if seed is not None:
        keras.utils.set_random_seed(seed)
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, shuffle=True)
    return time.perf_counter() - start


def app_fit(model, data, config, log_dir: str | None = None) -> tuple[float, int]:
    """``run_training`` with a consumer draining the events at 30 Hz (and TensorBoard logs
    into ``log_dir`` when given); (seconds, probes)."""
    from nnstudio.core.training.run import run_training
    from nnstudio.core.training.state import RunState

    state = RunState()
    done = threading.Event()
    probes = 0

    def consume() -> None:
        nonlocal probes
        while not done.is_set():
            probes += sum(e["type"] == "probe" for e in state.drain())
            time.sleep(1 / 30)
        probes += sum(e["type"] == "probe" for e in state.drain())

    consumer = threading.Thread(target=consume)
    consumer.start()
    start = time.perf_counter()
    result = run_training(model, data, config, state, log_dir=log_dir)
    seconds = time.perf_counter() - start
    done.set()
    consumer.join()
    assert result.status == "completed", result.message
    return seconds, probes


def tb_hook_share(graph, data, config) -> str:
    """One app run with TB logs, timing the logger's hooks: a line with their share."""
    from nnstudio.core.training import tensorboard_callback as tbc
    from nnstudio.core.training.run import prepare_model

    spent = {"batch": 0.0, "epoch": 0.0, "begin": 0.0}
    hooks = {"on_train_batch_end": "batch", "on_epoch_end": "epoch", "on_train_begin": "begin"}
    originals = {name: getattr(tbc.TensorBoardLogger, name) for name in hooks}

    def timed(name: str):
        def hook(self, *a, **k):
            t = time.perf_counter()
            originals[name](self, *a, **k)
            spent[hooks[name]] += time.perf_counter() - t

        return hook

    logs = tempfile.mkdtemp(prefix="nnstudio-bench-tb-")
    try:
        for name in hooks:
            setattr(tbc.TensorBoardLogger, name, timed(name))
        model = prepare_model(graph, config, data)
        seconds, _ = app_fit(model, data, config, logs)
    finally:
        for name, hook in originals.items():
            setattr(tbc.TensorBoardLogger, name, hook)
        shutil.rmtree(logs, ignore_errors=True)
    return (
        f"TB logger hooks: batches {spent['batch'] * 1e3:.1f} ms, epoch ends "
        f"{spent['epoch'] * 1e3:.1f} ms, graph {spent['begin'] * 1e3:.1f} ms = "
        f"{sum(spent.values()) / seconds * 100:.2f} % of a {seconds:.1f} s run"
    )


def bench(name: str, graph, x, y, args) -> float:
    import keras

    from nnstudio.core.compiler import compile_model
    from nnstudio.core.training.config import TrainingConfig
    from nnstudio.core.training.data import TrainingData
    from nnstudio.core.training.run import prepare_model

    config = TrainingConfig(
        epochs=args.epochs, batch_size=args.batch_size, validation=False, probe_budget=0.05, seed=1
    )
    data = TrainingData.from_arrays(x, y)
    model = prepare_model(graph, config, data)
    # warm up: trace the train function once, outside the timings
    model.fit(
        x[: args.batch_size * 4],
        y[: args.batch_size * 4],
        batch_size=args.batch_size,
        epochs=1,
        verbose=0,
    )
    plain, app, probes, no_tb = [], [], [], []
    n = len(x) * args.epochs
    logs = tempfile.mkdtemp(prefix="nnstudio-bench-tb-")

    def fresh() -> None:
        compile_model(model, graph, keras.optimizers.Adam(1e-3))  # fresh optimizer state
        model.fit(
            x[: args.batch_size * 4],
            y[: args.batch_size * 4],
            batch_size=args.batch_size,
            epochs=1,
            verbose=0,
        )

    try:
        for i in range(args.repeats):
            plain.append(n / plain_fit(model, x, y, args.batch_size, args.epochs, config.seed))
            log_dir = None if args.no_tensorboard else os.path.join(logs, f"{name}-{i}")
            seconds, count = app_fit(model, data, config, log_dir)
            app.append(n / seconds)
            probes.append(count)
            fresh()
            if not args.no_tensorboard:
                no_tb.append(n / app_fit(model, data, config)[0])
                fresh()
    finally:
        shutil.rmtree(logs, ignore_errors=True)
    ratio = statistics.median(app) / statistics.median(plain)
    print(
        f"{name}: plain fit median {statistics.median(plain):,.0f} samples/s "
        f"(runs: {', '.join(f'{v:,.0f}' for v in plain)})"
    )
    print(
        f"{name}: app run   median {statistics.median(app):,.0f} samples/s "
        f"(runs: {', '.join(f'{v:,.0f}' for v in app)}; probes per run: {probes})"
    )
    if no_tb:
        print(
            f"{name}: app run, no TB median {statistics.median(no_tb):,.0f} samples/s "
            f"(runs: {', '.join(f'{v:,.0f}' for v in no_tb)}); ratio no TB / plain = "
            f"{statistics.median(no_tb) / statistics.median(plain):.3f}"
        )
    if not args.no_tensorboard:
        print(f"{name}: {tb_hook_share(graph, data, config)}")
    tb = "without" if args.no_tensorboard else "with"
    print(f"{name}: throughput ratio app ({tb} TB logs) / plain = {ratio:.3f}  (target >= 0.95)")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument(
        "--no-tensorboard", action="store_true", help="time the app's run without TB logs"
    )
    args = parser.parse_args()
    import keras

    x, y = digit_like(args.samples)
    print(
        f"keras {keras.__version__} ({keras.backend.backend()}), {args.samples:,} samples, "
        f"batch {args.batch_size}, {args.epochs} epoch(s) x {args.repeats} repeats each"
    )
    graphs = {"mlp": mlp_graph, "cnn": cnn_graph}
    ratios = {name: bench(name, graphs[name](), x, y, args) for name in args.models.split(",")}
    print("summary: " + ", ".join(f"{k} {v:.3f}" for k, v in ratios.items()))


if __name__ == "__main__":
    main()
