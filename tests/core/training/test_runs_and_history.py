"""History files, run records saved and reloaded with the project, run folders."""

from __future__ import annotations

import datetime as dt
import json

import keras
import numpy as np
import pytest
from training_helpers import mlp_graph

from nnstudio.core.project import Project
from nnstudio.core.training import runs
from nnstudio.core.training.config import TrainingConfig
from nnstudio.core.training.evaluation import evaluate
from nnstudio.core.training.history import History
from nnstudio.core.training.run import run_training


def test_history_pads_new_columns_and_finds_best() -> None:
    h = History()
    h.append({"loss": 1.0, "accuracy": 0.5})
    h.append({"loss": 0.5, "accuracy": 0.7, "val_loss": 0.9})
    h.append({"loss": 0.7, "accuracy": 0.6, "val_loss": 0.8, "learning_rate": 0.1})
    assert h.epochs == 3
    assert h.data["val_loss"] == [None, 0.9, 0.8]
    assert h.best() == {"loss": 0.5, "accuracy": 0.7, "val_loss": 0.8}
    assert h.final()["loss"] == 0.7 and h.final()["learning_rate"] == 0.1
    assert h.best_epoch("accuracy") == 1 and h.best_epoch("missing") is None
    h.truncate(1)
    assert h.epochs == 1 and h.data["val_loss"] == [None]


def test_history_csv_round_trip(tmp_path) -> None:
    h = History({"loss": [1.25, 0.5], "val_loss": [None, 0.75]})
    h.save_csv(tmp_path / "history.csv")
    text = (tmp_path / "history.csv").read_text()
    assert text.splitlines()[0] == "epoch,loss,val_loss"
    assert text.splitlines()[1] == "1,1.25,"
    assert History.load_csv(tmp_path / "history.csv").to_json() == h.to_json()


@pytest.fixture
def trained(blob_data, make_model):
    config = TrainingConfig(epochs=3, batch_size=32)
    model = make_model(config, blob_data)
    return run_training(model, blob_data, config), config


def test_run_recorded_saved_and_reloaded_with_the_project(tmp_path, trained, blob_data):
    result, config = trained
    graph = mlp_graph()
    project = Project(graph=graph, name="Blobs")
    project.save(tmp_path / "blobs.nnstudio")
    evaluation = evaluate(result.model, blob_data)
    now = dt.datetime(2025, 3, 4, 5, 6, 7)
    record = runs.record_run(
        project,
        result,
        config,
        data=blob_data,
        graph_outputs=graph.outputs,
        evaluation=evaluation,
        now=now,
    )
    second = runs.record_run(project, result, config, data=blob_data, now=now)
    assert record["id"] == "run-20250304-050607" and second["id"] == "run-20250304-050607-2"
    assert record["dir"] == "blobs.runs/run-20250304-050607"
    project.save()

    loaded = Project.load(tmp_path / "blobs.nnstudio")
    saved = loaded.runs[0]
    assert saved["status"] == "completed" and saved["epochs_completed"] == 3
    assert saved["history"] == result.history.to_json()
    assert saved["config"] == config.to_json()
    assert saved["final"]["val_accuracy"] == result.history.data["val_accuracy"][-1]
    assert saved["best"]["val_loss"] == min(result.history.data["val_loss"])
    assert saved["outputs"][0]["loss"] == "sparse_categorical_crossentropy"
    assert saved["evaluation"]["split"] == "validation"
    assert len(saved["evaluation"]["confusion"]) == 3
    folder = tmp_path / "blobs.runs" / "run-20250304-050607"
    assert sorted(p.name for p in folder.iterdir()) == [
        "history.csv",
        "metrics.json",
        "model.keras",
    ]
    assert History.load_csv(folder / "history.csv").to_json() == result.history.to_json()
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["epochs_completed"] == 3 and metrics["final"] == result.final()
    assert metrics["validation"]["accuracy"] == pytest.approx(evaluation.metrics["accuracy"])

    assert runs.latest_run(loaded)["id"] == "run-20250304-050607-2"
    path = runs.run_model_path(loaded, saved)
    reloaded = keras.models.load_model(path)
    x = blob_data.val[0]
    np.testing.assert_allclose(
        reloaded.predict(x, verbose=0), result.model.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_rename_delete_compare(tmp_path, trained) -> None:
    result, config = trained
    project = Project(graph=mlp_graph(), name="Blobs")
    project.save(tmp_path / "p.nnstudio")
    a = runs.record_run(project, result, config)
    b = runs.record_run(project, result, config.replace(learning_rate=0.1))
    runs.rename_run(project, a["id"], "  baseline ")
    assert runs.find_run(project, a["id"])["name"] == "baseline"
    with pytest.raises(runs.RunError, match="needs a name"):
        runs.rename_run(project, a["id"], " ")
    table = runs.compare_runs(project.runs)
    assert [r["name"] for r in table["runs"]] == ["baseline", b["name"]]
    assert {row["metric"] for row in table["rows"]} >= {"loss", "val_loss", "accuracy"}
    folder = runs.run_dir(project, b)
    assert folder.is_dir()
    runs.delete_run(project, b["id"])
    assert not folder.exists() and [r["id"] for r in project.runs] == [a["id"]]
    with pytest.raises(runs.RunError, match="no run"):
        runs.delete_run(project, b["id"])


def test_unsaved_project_runs_go_to_the_user_data_dir(tmp_path, monkeypatch, trained) -> None:
    result, config = trained
    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path / "data"))
    project = Project(graph=mlp_graph(), name="My model")
    record = runs.record_run(project, result, config)
    folder = tmp_path / "data" / "runs" / "My_model" / record["id"]
    assert record["dir"] == str(folder)
    assert runs.run_model_path(project, record) == folder / "model.keras"
    assert (folder / "model.keras").is_file()


def test_a_run_without_a_complete_epoch_writes_no_model(tmp_path, blob_data, make_model):
    from nnstudio.core.training.state import RunState

    config = TrainingConfig(epochs=2, batch_size=16)
    state = RunState()
    state.request_stop()
    result = run_training(make_model(config, blob_data), blob_data, config, state)
    assert result.status == "stopped" and result.epochs_completed == 0
    project = Project(graph=mlp_graph(), name="p")
    project.save(tmp_path / "p.nnstudio")
    record = runs.record_run(project, result, config)
    assert not runs.run_model_path(project, record).exists()
    assert (runs.run_dir(project, record) / "metrics.json").is_file()
    assert runs.latest_run(project) is None
