"""What a sweep costs over N plain ``model.fit`` calls: throughput ratio, sweep / plain.

A grid sweep of N small trials (an MLP on ~20k digit-like 28x28 images, ``hidden_1.units``
varied) runs through ``run_sweep`` — the data prepared once, then each trial one
TrainingJob: build, compile, train with live reporting and probes at the default budget,
pruning checks, the run folder (model.keras, history, metrics, trial.json, TensorBoard
HParams), trials.csv (``--evaluate``: each trial's evaluation too) — and against it the same
data is prepared once and the same N models are built, compiled and trained with plain
``model.fit``, in the same process, alternately, several times; the median of each side's
wall time is compared (the same samples are trained on both sides, so the ratio of times is
the throughput ratio).  Also printed: the ratio of the time inside ``fit`` alone (the
trials' from their ``end`` events).  Target: ratio >= 0.95.

    python benchmarks/sweep.py [--samples 20000] [--trials 3] [--epochs 2] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from training_overhead import digit_like, mlp_graph  # noqa: E402

UNITS = (64, 96, 128, 160, 192, 224, 256, 288)


def make_project(folder: Path, samples: int, args: argparse.Namespace):
    """The benchmark's project (the MLP, an .npz of digit-like images) saved in ``folder``."""
    from nnstudio.core.data import config_for_path
    from nnstudio.core.project import Project

    x, y = digit_like(samples)
    data = folder / "digits.npz"
    np.savez(data, x=x, y=y)
    project = Project(mlp_graph())
    project.data = config_for_path(data)
    project.training = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": 1e-3,
        "seed": 1,
    }
    project.save(folder / "bench.nnstudio")
    return project


def sweep_once(project, folder: Path, args: argparse.Namespace) -> tuple[float, float]:
    """One grid sweep of ``args.trials`` trials; (wall seconds, seconds inside ``fit``)."""
    from nnstudio.core.sweeps import SweepConfig, parse_param, run_sweep
    from nnstudio.core.tasks import TaskState

    fit_seconds = 0.0

    def listen(event: dict) -> None:
        nonlocal fit_seconds
        if event["type"] == "end":
            fit_seconds += event["elapsed"]

    units = ",".join(str(u) for u in UNITS[: args.trials])
    config = SweepConfig(
        (parse_param(f"hidden_1.units={units}"),), strategy="grid", evaluate=args.evaluate
    )
    start = time.perf_counter()
    outcome = run_sweep(project, config, folder, TaskState(listen, keep_events=False))
    seconds = time.perf_counter() - start
    statuses = {t.status for t in outcome.trials}
    assert statuses == {"completed"} and len(outcome.trials) == args.trials, outcome.message
    return seconds, fit_seconds


def plain_once(project, args: argparse.Namespace) -> tuple[float, float, Any]:
    """The same data prepared once and the same models built, compiled and trained with
    plain ``fit``; (wall seconds, seconds inside ``fit``, the prepared data)."""
    import keras

    from nnstudio.core.compiler import build_model, compile_model
    from nnstudio.core.data import prepare

    start, fit_seconds = time.perf_counter(), 0.0
    prepared = prepare(project.data, batch_size=args.batch_size, seed=1)
    for units in UNITS[: args.trials]:
        graph = project.graph.copy()
        graph.node_by_name("hidden_1").params["units"] = units
        model = build_model(graph, seed=1)
        compile_model(model, graph, keras.optimizers.Adam(1e-3))
        fit_start = time.perf_counter()
        model.fit(
            prepared.train,
            validation_data=prepared.val,
            epochs=args.epochs,
            shuffle=False,  # shuffled by the pipeline, as in the trials
            verbose=0,
        )
        fit_seconds += time.perf_counter() - fit_start
    return time.perf_counter() - start, fit_seconds, prepared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--trials", type=int, default=3, choices=range(1, len(UNITS) + 1))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--evaluate", action="store_true", help="evaluate every trial too")
    args = parser.parse_args()
    import keras

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = make_project(root, args.samples, args)
        _, _, prepared = plain_once(project, argparse.Namespace(**{**vars(args), "trials": 1}))
        print(
            f"keras {keras.__version__} ({keras.backend.backend()}), {args.samples:,} samples "
            f"({prepared.train_size:,} for training), batch {args.batch_size}, "
            f"{args.trials} trials x {args.epochs} epoch(s), {args.repeats} repeats"
        )
        sweeps, fits, plains, plain_fits = [], [], [], []
        for i in range(args.repeats):
            wall, fit = sweep_once(project, root / f"sweep-{i}", args)
            sweeps.append(wall)
            fits.append(fit)
            wall, fit, _ = plain_once(project, args)
            plains.append(wall)
            plain_fits.append(fit)
    samples = prepared.train_size * args.epochs * args.trials
    plain, sweep, fit, plain_fit = (
        statistics.median(v) for v in (plains, sweeps, fits, plain_fits)
    )
    print(
        f"plain fit: median {plain:.2f} s, {samples / plain:,.0f} samples/s "
        f"(runs: {', '.join(f'{v:.2f}' for v in plains)})"
    )
    print(
        f"sweep:     median {sweep:.2f} s, {samples / sweep:,.0f} samples/s "
        f"(runs: {', '.join(f'{v:.2f}' for v in sweeps)}; inside fit {fit:.2f} s)"
    )
    print(f"throughput ratio sweep / plain = {plain / sweep:.3f}  (target >= 0.95)")
    print(
        f"training only: ratio {plain_fit / fit:.3f} (time inside fit: plain {plain_fit:.2f} s, "
        f"trials {fit:.2f} s)"
    )


if __name__ == "__main__":
    main()
