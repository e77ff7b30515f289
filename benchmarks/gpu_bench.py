"""GPU against CPU, float32 against mixed precision, through the app's training job.

Run by ``benchmarks/gpu_check.sh`` on the JAX backend (``KERAS_BACKEND=jax``), with no
TensorFlow needed: the data are synthetic arrays of each model's input shape handed to the
job in process (the file data pipelines are ``tf.data``).  For the digits example and the
small CNN template it trains one :class:`~nnstudio.core.training.job.TrainingJob` per
(device, precision) and prints samples/s (median epoch after the first, which compiles),
then the GPU / CPU and mixed / float32 ratios.  Without a GPU it says so and runs the CPU
half.

    KERAS_BACKEND=jax python benchmarks/gpu_bench.py [--samples 8192] [--epochs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODELS = {
    "digits_cnn (example)": ROOT / "resources" / "examples" / "digits_cnn.nnstudio",
    "small_cnn (template)": ROOT / "resources" / "templates" / "small_cnn.nnstudio",
}


def synthetic(project: Any, samples: int) -> Any:
    """Random inputs of the project's Input shape and targets its output's loss takes."""
    import numpy as np

    from nnstudio.core.graph import check_graph
    from nnstudio.core.training.data import TrainingData

    graph = project.graph
    (inp,) = [n for n in graph.nodes.values() if n.key == "Input"]
    out = graph.outputs[0]
    units = check_graph(graph).shapes[out.node].shape[-1]
    rng = np.random.default_rng(0)
    x = rng.random((samples, *inp.params["shape"]), dtype="float32")
    labels = rng.integers(0, units, samples)
    if out.loss.startswith("sparse"):
        y: Any = labels
    elif "categorical" in out.loss:
        y = np.eye(units, dtype="float32")[labels]
    else:
        y = rng.random((samples, units), dtype="float32")
    val = samples // 8
    return TrainingData.from_arrays(x[val:], y[val:], val=(x[:val], y[:val]))


def measure(path: Path, device: str, precision: str, args: argparse.Namespace) -> float:
    """samples/s of one job."""
    from nnstudio.core.project import Project
    from nnstudio.core.tasks import TaskState
    from nnstudio.core.training.job import TrainingJob, execute

    project = Project.load(path)
    data = synthetic(project, args.samples)
    seconds: list[float] = []

    def listen(event: dict[str, Any]) -> None:
        if event["type"] == "epoch":
            seconds.append(float(event["epoch_seconds"]))

    config = {
        **project.training.to_json(),
        "epochs": args.epochs,
        "batch_size": args.batch,
        "tensorboard": False,
        "early_stopping": False,
    }
    with tempfile.TemporaryDirectory() as out:
        job = TrainingJob(
            project=project.to_json(),
            config=config,
            project_path=str(path),
            run_dir=out,
            device=device,
            precision=precision,
            options={"evaluate": False},
            data=data,
        )
        outcome = execute(job, TaskState(listen, keep_events=False))
        if outcome.result is None or not outcome.result.ok:
            raise SystemExit(f"{path.name} on {device} ({precision}): {outcome.message}")
        for note in outcome.result.notes:
            print(f"    note: {note}")
    return (data.num_train or 0) / statistics.median(seconds[1:] or seconds)


def main() -> None:
    """Measure and print."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--samples", type=int, default=8192)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--epochs", type=int, default=3)
    args = p.parse_args()
    import keras

    from nnstudio.core.training.devices import list_devices

    devices = list_devices()
    print(f"keras {keras.__version__} on {keras.backend.backend()}")
    for d in devices:
        print(f"  device {d.label}  mixed precision fast: {d.mixed_precision}")
    gpu = next((d for d in devices if d.platform == "gpu"), None)
    if gpu is None:
        print("NO GPU visible to this backend: running the CPU half only")
    for name, path in MODELS.items():
        print(f"{name}:")
        rates: dict[tuple[str, str], float] = {}
        plan = [("cpu", "float32"), ("cpu", "mixed")]
        if gpu is not None:
            plan = [(gpu.id, "float32"), (gpu.id, "mixed"), *plan]
        for device, precision in plan:
            rates[device, precision] = rate = measure(path, device, precision, args)
            print(f"  {device:6} {precision:8} {rate:12,.0f} samples/s")
        cpu = rates["cpu", "float32"]
        print(f"  CPU mixed / float32: {rates['cpu', 'mixed'] / cpu:.2f}x")
        if gpu is not None:
            g = rates[gpu.id, "float32"]
            print(f"  GPU / CPU (float32): {g / cpu:.1f}x")
            print(f"  GPU mixed / float32: {rates[gpu.id, 'mixed'] / g:.2f}x")


if __name__ == "__main__":
    main()
