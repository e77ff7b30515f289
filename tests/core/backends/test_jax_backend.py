"""The jax backend end to end, in one child process with ``KERAS_BACKEND=jax`` (Keras fixes
its backend per process) where TensorFlow cannot be imported, as on a JAX-only machine: a
training job with live probes and gradient norms, a pause and a stop in the middle of an
epoch that keep the last complete epoch, evaluation, the run record, explanations,
``.keras`` export and predict, and the TensorFlow formats refused with one clear line.
(The TensorFlow worker that writes them when TensorFlow is installed: test_tf_worker.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("jax")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


@pytest.fixture(scope="module")
def summary(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [
            sys.executable,
            str(HERE / "backend_child.py"),
            str(work),
            "--formats",
            "keras,savedmodel,onnx",
            "--without-tensorflow",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("SUMMARY "))
    return json.loads(line.removeprefix("SUMMARY "))


def test_the_run_trains_on_jax_with_probes_and_gradient_norms(summary) -> None:
    run = summary["train"]
    assert summary["backend"] == "jax" and summary["tensorflow_loaded"] is False
    assert run["probes"] >= 2  # the first one and at least one during training
    assert run["grad_norms"] and all(g is not None and g > 0 for g in run["grad_norms"])
    assert run["warnings"] == []  # no probe switched itself off
    assert run["evaluation"] and run["evaluation"]["accuracy"] > 0.4


def test_pause_and_a_stop_within_an_epoch_keep_the_last_complete_epoch(summary) -> None:
    run = summary["train"]
    assert run["status"] == "stopped" and "epoch 2, batch 3" in run["message"]
    assert run["epochs"] == 1 and run["history_rows"] == 1
    assert run["paused"] == [[0, 1], [0, 1]]  # paused and resumed within the first epoch
    assert run["record"] == {"backend": "jax", "status": "stopped", "epochs_completed": 1}
    assert run["epoch1"] is None  # the broken epoch never reported its end
    assert run["kept"] == pytest.approx(run["epoch0"], rel=1e-5)  # saved = end of epoch 1


def test_keras_export_and_predict_on_jax(summary) -> None:
    export = summary["export"]
    assert export["results"]["keras"] == {"error": None, "diff": 0.0}
    assert export["predicted_rows"] == 5


def test_tensorflow_formats_are_refused_without_tensorflow(summary) -> None:
    results = summary["export"]["results"]
    for key, title in (("savedmodel", "TensorFlow SavedModel"), ("onnx", "ONNX")):
        assert results[key]["error"] == (
            f"{title} is written by TensorFlow, which is not installed here (this process "
            "runs Keras on jax): export .keras, or install tensorflow-cpu and export the "
            "saved .keras again"
        )


def test_explanations_take_input_gradients_on_jax(summary) -> None:
    explain = summary["explain"]
    assert explain["shape"] == [4, 4]
    assert explain["grad"] == pytest.approx(explain["numeric"], rel=0.05, abs=1e-3)
