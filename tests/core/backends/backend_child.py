"""Run in a child process with ``KERAS_BACKEND`` set: the training job, a pause and a stop
within an epoch, evaluation, records, explanations, export and predict on that backend;
prints one JSON summary.

``python backend_child.py WORK_DIR [--formats keras,savedmodel] [--without-tensorflow]``

``--without-tensorflow`` makes TensorFlow (and tf2onnx) impossible to import or find, as on
a machine that has only JAX: the data path, the exports and predict must do without it.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import numpy as np

BLOCKED = ("tensorflow", "tf2onnx", "tf_keras")


def block_tensorflow() -> None:
    """Make the blocked packages unimportable and invisible to ``find_spec``."""
    import importlib.abc
    import importlib.util

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):  # noqa: ANN001
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named '{name}'", name=name)
            return None

    real = importlib.util.find_spec

    def find_spec(name, package=None):  # noqa: ANN001
        return None if name.split(".")[0] in BLOCKED else real(name, package)

    sys.meta_path.insert(0, Blocker())
    importlib.util.find_spec = find_spec


ROOT = Path(__file__).resolve().parents[3]
SPECIES = ROOT / "resources" / "samples" / "species.csv"


def _job(work: Path, name: str, **config):
    from nnstudio.core.templates import build_template
    from nnstudio.core.training.job import TrainingJob

    project = build_template("mlp")
    project.save(work / f"{name}.nnstudio")
    return project, TrainingJob.for_project(
        project,
        config={"batch_size": 16, "learning_rate": 0.01, "probe_budget": 0.5, **config},
        data_config={"kind": "csv", "path": str(SPECIES), "target_columns": ["species"]},
        fit_to_data=True,
    )


def _train_and_stop(work: Path) -> dict:
    """One job: live probes, stopped in the middle of the second epoch (the first epoch's
    weights are kept), evaluated, recorded in the project."""
    from nnstudio.core.export.source import load_model_file
    from nnstudio.core.tasks import TaskState
    from nnstudio.core.training.job import execute

    _, job = _job(work, "run", epochs=5)
    norms: dict[int, dict[str, float]] = {}
    state: TaskState

    def listen(event: dict) -> None:
        if event["type"] == "weights":
            norms[event["epoch"]] = {k: v["norm"] for k, v in event["layers"].items()}
        if event["type"] == "batch" and event["epoch"] == 0 and event["batch"] == 1:
            state.request_pause()  # resumed from another thread, as the window does
            threading.Timer(0.2, state.resume).start()
        if event["type"] == "batch" and event["epoch"] == 1 and event["batch"] == 2:
            state.request_stop("stopped by the test")

    state = TaskState(listen)
    outcome = execute(job, state)
    events = state.drain()
    kinds = [e["type"] for e in events]
    folder = Path(job.project_path).parent / outcome.record["dir"]
    model = load_model_file(folder / "model.keras")
    kept = {
        layer.name: float(np.linalg.norm(np.concatenate([w.ravel() for w in layer.get_weights()])))
        for layer in model.layers
        if layer.get_weights()
    }
    return {
        "status": outcome.status,
        "message": outcome.message,
        "epochs": kinds.count("epoch"),
        "probes": kinds.count("probe"),
        "paused": [(e["epoch"], e["batch"]) for e in events if e["type"] in ("paused", "resumed")],
        "grad_norms": [
            v.get("grad_norm")
            for e in events
            if e["type"] == "weights"
            for v in e["layers"].values()
        ],
        "evaluation": outcome.evaluation.metrics if outcome.evaluation else None,
        "record": {k: outcome.record.get(k) for k in ("backend", "status", "epochs_completed")},
        "history_rows": len((folder / "history.csv").read_text().strip().splitlines()) - 1,
        "kept": kept,
        "epoch0": norms.get(0),
        "epoch1": norms.get(1),
        "folder": str(folder),
        "warnings": [e["text"] for e in events if e["type"] == "log" and e.get("level") != "info"],
    }


def _export(folder: Path, out: Path, formats: list[str]) -> dict:
    from nnstudio.core.export.pipeline import export_model
    from nnstudio.core.export.predict import predict_file
    from nnstudio.core.export.source import source_from_path

    report = export_model(source_from_path(folder), formats, out)
    results = {
        r.format: {
            "error": r.error,
            "diff": r.verification.max_abs_diff if r.verification else None,
        }
        for r in report.results
    }
    rows = [",".join(r.split(",")[:4]) for r in SPECIES.read_text().splitlines()[:6]]
    sample = out / "sample.csv"
    sample.write_text("\n".join(rows) + "\n")
    predictions = predict_file(out / "model.keras", sample)
    return {"results": results, "predicted_rows": len(predictions.rows())}


def _explain(folder: Path) -> dict:
    """Input gradients of the class score on jax, against a finite difference."""
    from nnstudio.core.export.source import load_model_file
    from nnstudio.core.insight.explain_backend import score_gradients

    model = load_model_file(folder / "model.keras")
    rows = [r.split(",")[:4] for r in SPECIES.read_text().splitlines()[1:5]]
    x = np.asarray(rows, np.float32)
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    preds, grads = score_gradients(model, x, np.zeros((4, 3), np.float32), predicted=True)
    w = np.zeros_like(preds)
    w[np.arange(4), preds.argmax(1)] = 1.0
    eps = 1e-2
    up, down = x.copy(), x.copy()
    up[0, 0] += eps
    down[0, 0] -= eps
    score = lambda v: float((np.asarray(model(v, training=False)) * w).sum())  # noqa: E731
    numeric = (score(up) - score(down)) / (2 * eps)
    return {"shape": list(grads.shape), "grad": float(grads[0, 0]), "numeric": numeric}


def main() -> None:
    if "--without-tensorflow" in sys.argv:
        block_tensorflow()
    import keras

    work = Path(sys.argv[1])
    formats = (
        sys.argv[sys.argv.index("--formats") + 1].split(",") if "--formats" in sys.argv else []
    )
    summary: dict = {"backend": keras.backend.backend(), "seconds": {}}
    summary["tensorflow_loaded"] = "tensorflow" in sys.modules
    t0 = time.perf_counter()
    summary["train"] = _train_and_stop(work)
    summary["explain"] = _explain(Path(summary["train"]["folder"]))
    t1 = time.perf_counter()
    if formats:
        summary["export"] = _export(Path(summary["train"]["folder"]), work / "exports", formats)
    summary["seconds"] = {"train": t1 - t0, "export": time.perf_counter() - t1}
    summary["tensorflow_loaded"] = summary["tensorflow_loaded"] or "tensorflow" in sys.modules
    print("SUMMARY " + json.dumps(summary))


if __name__ == "__main__":
    main()
