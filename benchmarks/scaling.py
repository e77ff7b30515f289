"""Data-parallel scaling on CPU: samples/s of the app's run on 1 and 2 logical devices and
with 2 loopback processes, each beside a plain single-device ``model.fit`` in the same run.

Every measure runs in its own child process (the device count and the distributed runtime
are fixed per process), on the JAX backend (``--backend tensorflow`` for the one-host
cases on TensorFlow: MirroredStrategy).  The model is an MLP (32 features, 2 x 256 hidden,
10 classes) trained on random data; samples/s is the median over the epochs after the first
(the first compiles).  Logical CPU devices share the same cores, so on a CPU the figures
show the cost of the distribution machinery, not a speed-up; the ratios are app / plain.

    python benchmarks/scaling.py [--samples 8192] [--batch 256] [--epochs 4]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _graph(features: int, classes: int) -> Any:
    from nnstudio.core.graph.builder import GraphBuilder

    b = GraphBuilder()
    x = b.add("Input", name="features", shape=(features,))
    h = b.add("Dense", x, name="h1", units=256, activation="relu")
    h = b.add("Dense", h, name="h2", units=256, activation="relu")
    y = b.add("Dense", h, name="out", units=classes, activation="softmax")
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    return b.graph


def _data(samples: int, features: int = 32, classes: int = 10) -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    return rng.normal(size=(samples, features)).astype("float32"), rng.integers(0, classes, samples)


class _Timer:
    """A Keras callback: each epoch's seconds."""

    def __new__(cls) -> Any:
        import keras

        class T(keras.callbacks.Callback):
            def __init__(self) -> None:
                super().__init__()
                self.times: list[float] = []

            def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
                self.t = time.perf_counter()

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                self.times.append(time.perf_counter() - self.t)

        return T()


def _rate(samples: int, times: list[float]) -> float:
    return samples / statistics.median(times[1:] or times)


def plain(args: argparse.Namespace) -> float:
    """samples/s of a plain single-device ``model.fit`` of the same model."""
    import keras

    from nnstudio.core.compiler import build_model

    x, y = _data(args.samples)
    model = build_model(_graph(32, 10), seed=1)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = _Timer()
    model.fit(x, y, batch_size=args.batch, epochs=args.epochs, verbose=0, callbacks=[timer])
    del keras
    return _rate(args.samples, timer.times)


def app(args: argparse.Namespace, devices: int, multihost: dict[str, Any] | None) -> float:
    """samples/s of the app's run (``run_training``) on ``devices`` (or multi-host)."""
    from nnstudio.core.training.config import TrainingConfig
    from nnstudio.core.training.data import TrainingData
    from nnstudio.core.training.distribute import placement
    from nnstudio.core.training.run import prepare_model, run_training

    x, y = _data(args.samples)
    config = TrainingConfig(
        epochs=args.epochs, batch_size=args.batch, devices=devices, device="cpu",
        probe_budget=0.0, tensorboard=False, validation=False,
    )  # fmt: skip
    device = placement(config, {"multihost": multihost} if multihost else None)
    data = TrainingData.from_arrays(x, y)
    if hasattr(device, "local_data"):
        data = device.local_data(data, args.batch)
    model = prepare_model(_graph(32, 10), config, data, device)
    timer = _Timer()
    result = run_training(model, data, config, device=device, callbacks=[timer])
    if not result.ok:
        raise SystemExit(f"the run failed: {result.message}")
    return _rate(args.samples, timer.times)


def worker(args: argparse.Namespace) -> None:
    """One measure in this process; prints its JSON."""
    out: dict[str, Any] = {}
    multihost = None
    if args.process_id is not None:
        from nnstudio.core.training.multihost import Cluster, join

        join(Cluster(args.coordinator, 2, args.process_id, 120.0, 30.0))
        multihost = {"num_processes": 2, "process_id": args.process_id}
    else:
        out["plain"] = plain(args)
    out["app"] = app(args, args.devices, multihost)
    print(json.dumps(out), flush=True)
    if multihost:
        from nnstudio.core.training.multihost import leave

        leave(True)


def _child(args: argparse.Namespace, devices: int, **extra: Any) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "KERAS_BACKEND": args.backend,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    if args.backend == "jax":
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={extra.get('local', devices)}"
    cmd = [
        *(sys.executable, __file__, "--worker", "--devices", str(devices)),
        *("--samples", str(args.samples), "--batch", str(args.batch)),
        *("--epochs", str(args.epochs), "--backend", args.backend),
    ]
    if "process_id" in extra:
        cmd += ["--process-id", str(extra["process_id"]), "--coordinator", extra["coordinator"]]
    if args.backend == "tensorflow" and devices > 1:
        cmd += ["--tf-logical", str(devices)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen[str]) -> dict[str, float]:
    out, err = proc.communicate(timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"a measure failed:\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    """Run every measure and print the table."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--samples", type=int, default=8192)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--backend", default="jax", choices=("jax", "tensorflow"))
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--devices", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--process-id", type=int, help=argparse.SUPPRESS)
    p.add_argument("--coordinator", help=argparse.SUPPRESS)
    p.add_argument("--tf-logical", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        if args.tf_logical:
            import tensorflow as tf

            cpu = tf.config.list_physical_devices("CPU")[0]
            logical = [tf.config.LogicalDeviceConfiguration()] * args.tf_logical
            tf.config.set_logical_device_configuration(cpu, logical)
        worker(args)
        return
    print(
        f"backend {args.backend}, {args.samples} samples, batch {args.batch}, {os.cpu_count()} CPUs"
    )
    rows = []
    for devices in (1, 2):
        r = _result(_child(args, devices))
        rows.append((f"{devices} logical device(s)", r["app"], r["plain"]))
    if args.backend == "jax":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        where = f"127.0.0.1:{port}"
        procs = [_child(args, 2, local=1, process_id=i, coordinator=where) for i in (0, 1)]
        results = [_result(pr) for pr in procs]
        plain_rate = _result(_child(args, 1))["plain"]  # beside it, in the same run
        rows.append(("2 loopback processes", results[0]["app"], plain_rate))
    print(f"{'':26} {'app samples/s':>14} {'plain fit':>10} {'app/plain':>10}")
    for name, app_rate, plain_rate in rows:
        print(f"{name:26} {app_rate:14,.0f} {plain_rate:10,.0f} {app_rate / plain_rate:10.2f}")


if __name__ == "__main__":
    main()
