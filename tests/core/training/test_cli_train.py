"""``nnstudio train``: run files, project records, --data fitting, errors, torch, Ctrl-C."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nnstudio.cli import main
from nnstudio.core.graph.commands import SetParams
from nnstudio.core.project import Project
from nnstudio.core.templates import build_template

ROOT = Path(__file__).resolve().parents[3]
SPECIES = ROOT / "resources" / "samples" / "species.csv"
NNSTUDIO = Path(sys.executable).with_name("nnstudio")


def _project(tmp_path: Path, epochs: int = 2, **training) -> Path:
    project = build_template("mlp")
    project.training = {"epochs": epochs, "batch_size": 32, "learning_rate": 0.01, **training}
    return project.save(tmp_path / "mlp.nnstudio")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_train_with_out_writes_the_run_files(tmp_path, capsys) -> None:
    path = _project(tmp_path)
    before = path.read_bytes()
    out = tmp_path / "run"
    code = main(
        [
            "train",
            str(path),
            "--data",
            str(SPECIES),
            "--epochs",
            "3",
            "--batch-size",
            "16",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert sorted(p.name for p in out.iterdir()) == [
        "data.json",
        "history.csv",
        "metrics.json",
        "model.keras",
        "tensorboard",  # the TensorBoard logs (on by default)
    ]
    info = json.loads((out / "data.json").read_text())
    assert info["class_names"] == ["aurelia", "borealis", "cerulea"]
    assert info["data_hash"] and info["preprocessing"]
    rows = _rows(out / "history.csv")
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(rows[0])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_completed"] == 3 and metrics["status"] == "completed"
    assert metrics["final"]["val_accuracy"] == pytest.approx(float(rows[-1]["val_accuracy"]))
    assert metrics["best"]["val_loss"] == pytest.approx(min(float(r["val_loss"]) for r in rows))
    assert "completed 3 epochs" in printed.out and f"run written to {out}" in printed.out
    assert path.read_bytes() == before  # --out leaves the project alone


def test_train_records_the_run_in_the_project_and_data_fits_the_head(tmp_path, capsys):
    project = build_template("mlp")
    head = project.graph.node_by_name("species")
    SetParams(project.graph, head.id, {"units": 5}).redo()  # does not fit 3 classes
    project.training = {"epochs": 2}
    path = project.save(tmp_path / "p.nnstudio")
    code = main(["train", str(path), "--data", str(SPECIES), "--target", "species"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "fitted to the data: species: units=3" in err
    saved = Project.load(path)
    assert saved.graph.node_by_name("species").params["units"] == 5  # fitted for the run only
    (run,) = saved.runs
    assert run["status"] == "completed" and run["epochs_completed"] == 2
    assert run["data"]["path"] == str(SPECIES) and run["class_names"]
    folder = tmp_path / run["dir"]
    assert (folder / "model.keras").is_file()
    import keras

    assert keras.models.load_model(folder / "model.keras").output_shape == (None, 3)


def test_train_errors_are_one_line(tmp_path, capsys) -> None:
    path = _project(tmp_path)
    assert main(["train", str(path), "--target", "species"]) == 2
    assert "--target needs --data" in capsys.readouterr().err
    assert main(["train", str(path)]) == 2
    assert "has no data source: pass --data PATH" in capsys.readouterr().err
    assert main(["train", str(path), "--data", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["train", str(path), "--data", str(SPECIES), "--epochs", "0"]) == 2
    assert "training.epochs" in capsys.readouterr().err
    assert main(["train", str(path), "--data", str(SPECIES), "--device", "gpu:7"]) == 2
    assert "device 'gpu:7' is not available" in capsys.readouterr().err
    assert main(["train", str(path), "--backend", "jax"]) == 2  # keras loaded with TF here
    assert "already loaded with the tensorflow backend" in capsys.readouterr().err


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **extra}
    env.pop("KERAS_BACKEND", None)
    env.update(extra)
    return env


def test_train_on_the_torch_backend(tmp_path) -> None:
    pytest.importorskip("torch")
    path = _project(tmp_path)
    out = tmp_path / "torch_run"
    proc = subprocess.run(
        [
            str(NNSTUDIO),
            "train",
            str(path),
            "--data",
            str(SPECIES),
            "--epochs",
            "2",
            "--out",
            str(out),
            "--backend",
            "torch",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=_env(KERAS_BACKEND="torch"),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["backend"] == "torch" and metrics["epochs_completed"] == 2
    assert len(_rows(out / "history.csv")) == 2 and (out / "model.keras").is_file()


def test_ctrl_c_stops_after_the_batch_and_keeps_complete_epochs(tmp_path) -> None:
    path = _project(tmp_path, epochs=100000, batch_size=8)
    out = tmp_path / "interrupted"
    proc = subprocess.Popen(
        [str(NNSTUDIO), "train", str(path), "--data", str(SPECIES), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        deadline = time.monotonic() + 120
        line = ""
        while "Epoch 3/" not in line:
            line = proc.stderr.readline()
            assert line or proc.poll() is None, "nnstudio train ended early"
            assert time.monotonic() < deadline
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr[-3000:]
    assert "stopping after the current batch" in stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "stopped" and metrics["epochs_completed"] >= 3
    assert len(_rows(out / "history.csv")) == metrics["epochs_completed"]
    assert "Stopped by Ctrl-C" in stdout and (out / "model.keras").is_file()
