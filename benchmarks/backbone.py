"""A frozen pretrained backbone: the app's run against plain ``model.fit`` on the same model.

The model is Input(28x28x1) -> Pretrained Backbone (MobileNetV2 by default, alpha 0.35,
input size 32, frozen; grey->RGB, resize and preprocess_input inside the node) -> Dense(10),
built once by the app's compiler; the same model is trained alternately with plain
``model.fit`` and with ``run_training`` (events drained at 30 Hz as the GUI does, NaN watch,
probes at the default budget, no TensorBoard logs), both seeded as the app seeds a run,
several times; the medians of samples/s are compared.  Target: ratio >= 0.95.

Every run reuses one traced train function, so that the app's own costs are measured
without the noise of tracing (seconds, varying by tenths from run to run); ``--fresh``
recompiles before every run instead, as the app builds a new model for each.  A run has a
fixed cost in the app, printed in seconds: the first look at the activations (the probe
batch through the frozen backbone once, eagerly: about 0.2 s for MobileNetV2) and the copy
of the weights a fit can change.  The default run (4,096 samples x 6 epochs, about 8 s
here) is still short beside a real transfer-learning run.

``--learn`` also fine-tunes the backbone on the shipped digit images in two phases (head
first, then the backbone at the fine-tune rate) and prints each epoch's accuracy, so that a
real keras.applications fine-tuning run can be looked at (random initialisation unless a
weights file is given with ``--weights``).

    python benchmarks/backbone.py [--arch MobileNetV2] [--samples 4096] [--epochs 6] [--repeats 5] [--fresh] [--learn]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from training_overhead import app_fit, digit_like, plain_fit  # noqa: E402


def graph(arch: str, weights: str | None, trainable: str = "frozen", batchnorm: str = "inference"):
    from nnstudio.core.graph.builder import GraphBuilder

    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(28, 28, 1))
    params = {"architecture": arch, "input_size": 32, "alpha": 0.35}
    if weights:
        params["weights_file"] = weights
    else:
        params["weights"] = "none"
    h = b.add(
        "PretrainedBackbone", x, name="backbone", trainable=trainable, batchnorm=batchnorm, **params
    )
    y = b.add("Dense", h, name="digit", units=10, activation="softmax")
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    return b.graph


def bench(args: argparse.Namespace) -> float:
    from nnstudio.core.compiler import compile_model
    from nnstudio.core.training.config import TrainingConfig
    from nnstudio.core.training.data import TrainingData
    from nnstudio.core.training.optimizers import make_optimizer
    from nnstudio.core.training.run import prepare_model

    x, y = digit_like(args.samples)
    config = TrainingConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation=False,
        tensorboard=False,
        probe_budget=args.probe_budget,
        seed=1,
    )
    data = TrainingData.from_arrays(x, y)
    t = time.perf_counter()
    g = graph(args.arch, args.weights)
    model = prepare_model(g, config, data)
    print(f"{args.arch}: built and compiled in {time.perf_counter() - t:.1f} s")

    def fresh() -> None:  # a new optimizer and train function: the next fit traces again
        compile_model(model, g, make_optimizer(config, data.steps_per_epoch(args.batch_size)))

    n = len(x) * args.epochs
    plain: list[float] = []
    app: list[float] = []
    if not args.fresh:
        model.fit(x[: args.batch_size * 2], y[: args.batch_size * 2], verbose=0)  # trace once
    load = os.getloadavg()[0]
    for _ in range(args.repeats):  # alternately, so that a change of load hits both
        if args.fresh:
            fresh()
        plain.append(n / plain_fit(model, x, y, args.batch_size, args.epochs, config.seed))
        if args.fresh:
            fresh()
        app.append(n / app_fit(model, data, config)[0])
    ratio = statistics.median(app) / statistics.median(plain)
    how = (
        "each run from a fresh compile (tracing included)"
        if args.fresh
        else "one train function traced beforehand"
    )
    print(
        f"frozen {args.arch}, {len(x)} samples x {args.epochs} epochs, {how}, "
        f"{args.repeats} runs each, alternating; load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after:"
    )
    print(f"  plain fit median {statistics.median(plain):,.0f} samples/s ({_runs(plain)})")
    print(f"  app run   median {statistics.median(app):,.0f} samples/s ({_runs(app)})")
    extra = statistics.median(n / v for v in app) - statistics.median(n / v for v in plain)
    print(f"  the app's extra time per run (median): {extra:.2f} s")
    print(f"RATIO app / plain = {ratio:.3f}  (target >= 0.95)")
    return ratio


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:,.0f}" for v in values)


def learn(args: argparse.Namespace) -> None:
    """Two-phase fine-tuning on the shipped digits; prints the history."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "core" / "backbones"))
    from helpers import digits

    from nnstudio.core.training.config import TrainingConfig
    from nnstudio.core.training.data import TrainingData
    from nnstudio.core.training.run import prepare_model, run_training

    x, y = digits(48)
    xv, yv = digits(16, offset=48)
    config = TrainingConfig(
        epochs=args.learn_epochs,
        finetune_epochs=args.learn_epochs - 1,
        learning_rate=3e-3,
        finetune_learning_rate=args.finetune_rate,
        batch_size=32,
        tensorboard=False,
        probe_budget=0.0,
        seed=0,
    )
    data = TrainingData.from_arrays(x, y, val=(xv, yv))
    model = prepare_model(graph(args.arch, args.weights, "all", "train"), config, data)
    t = time.perf_counter()
    result = run_training(model, data, config)
    hist = result.history.to_json()
    print(f"fine-tune {args.arch} on the digits ({len(x)} train, {len(xv)} validation images): ")
    for i in range(len(hist["loss"])):
        phase = "head" if i == 0 else "fine-tune"
        print(
            f"  epoch {i + 1} ({phase}, lr {hist['learning_rate'][i]:.0e}): loss "
            f"{hist['loss'][i]:.3f} acc {hist['accuracy'][i]:.3f} val_acc "
            f"{hist['val_accuracy'][i]:.3f}"
        )
    print(f"  {result.status}: {result.message} in {time.perf_counter() - t:.0f} s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", default="MobileNetV2")
    p.add_argument("--weights", help="a local weights file for the backbone")
    p.add_argument("--samples", type=int, default=4096)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--epochs", type=int, default=6, help="epochs per timed run")
    p.add_argument("--fresh", action="store_true", help="recompile before every run")
    p.add_argument("--probe-budget", type=float, default=0.05, help="0: no live activations")
    p.add_argument("--learn", action="store_true", help="also fine-tune on the digits")
    p.add_argument("--learn-epochs", type=int, default=6)
    p.add_argument("--finetune-rate", type=float, default=1e-3)
    args = p.parse_args()
    bench(args)
    if args.learn:
        learn(args)


if __name__ == "__main__":
    main()
