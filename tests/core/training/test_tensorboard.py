"""Every run writes TensorBoard logs into its run folder; TensorBoard's own reader loads them."""

from __future__ import annotations

from pathlib import Path

import pytest
from training_helpers import blobs, mlp_graph

from nnstudio.cli import main
from nnstudio.core.project import Project
from nnstudio.core.tasks import TaskState
from nnstudio.core.templates import build_template
from nnstudio.core.training.config import TrainingConfig
from nnstudio.core.training.job import TrainingJob, execute

ROOT = Path(__file__).resolve().parents[3]
SPECIES = ROOT / "resources" / "samples" / "species.csv"
STEPS = 6  # 192 training samples in batches of 32
WEIGHTS = ["hidden/kernel", "hidden/bias", "out/kernel", "out/bias"]


def _read(path: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(path), size_guidance={"histograms": 0, "scalars": 0})
    acc.Reload()
    return acc


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``(log folder, model, data)`` of a 2-epoch run of the blob MLP (with validation)."""
    from nnstudio.core.training.data import TrainingData
    from nnstudio.core.training.run import prepare_model, run_training

    x, y = blobs(256)
    data = TrainingData.from_arrays(x[:192], y[:192], val=(x[192:], y[192:]))
    config = TrainingConfig(epochs=2, batch_size=32, probe_budget=0.0)
    log_dir = tmp_path_factory.mktemp("run") / "tensorboard"
    model = prepare_model(mlp_graph(), config, data)
    with pytest.MonkeyPatch.context() as mp:  # every batch: the counts are exact
        mp.setattr("nnstudio.core.training.tensorboard_callback.BATCH_BUDGET", None)
        result = run_training(model, data, config, log_dir=log_dir)
    assert result.status == "completed", result.message
    return log_dir, model, data


@pytest.fixture
def logged(trained) -> Path:
    return trained[0]


def test_scalars_per_batch_and_per_epoch_like_keras(logged) -> None:
    train = _read(logged / "train")
    assert set(train.Tags()["scalars"]) == {
        "batch_loss",
        "batch_accuracy",
        "epoch_loss",
        "epoch_accuracy",
        "epoch_learning_rate",
    }
    assert [e.step for e in train.Scalars("batch_loss")] == list(range(1, 2 * STEPS + 1))
    assert [e.step for e in train.Scalars("epoch_loss")] == [0, 1]
    assert train.Scalars("epoch_learning_rate")[0].value == pytest.approx(1e-3)
    validation = _read(logged / "validation")
    assert set(validation.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy"}
    assert [e.step for e in validation.Scalars("epoch_accuracy")] == [0, 1]
    assert not validation.Tags()["graph"]


def test_weight_histograms_per_layer_weight_and_epoch(logged) -> None:
    train = _read(logged / "train")
    assert sorted(train.Tags()["histograms"]) == sorted(f"{w}/histogram" for w in WEIGHTS)
    kernel = train.Histograms("hidden/kernel/histogram")
    assert [e.step for e in kernel] == [0, 1]
    assert kernel[0].histogram_value.num == 4 * 16  # every weight of the 4x16 kernel
    assert sum(kernel[0].histogram_value.bucket) == 4 * 16


def test_the_graph_has_one_node_per_layer_with_its_class_and_shape(logged) -> None:
    graph = _read(logged / "train").Graph()
    nodes = {n.name: n for n in graph.node}
    assert list(nodes) == ["features", "hidden", "out"]
    assert [n.op for n in graph.node] == ["InputLayer", "Dense", "Dense"]
    assert list(nodes["hidden"].input) == ["features"] and list(nodes["out"].input) == ["hidden"]
    assert nodes["hidden"].attr["output_shape"].s == b"(None, 16)"
    dims = nodes["out"].attr["_output_shapes"].list.shape[0].dim
    assert [d.size for d in dims] == [-1, 3]
    assert nodes["hidden"].attr["params"].i == 4 * 16 + 16


def test_batch_scalars_keep_to_their_time_budget(tmp_path) -> None:
    """With no time to spare, the first batch and each epoch's last one are written, and a
    run stopped mid-epoch still logs the batch it got to."""
    from types import SimpleNamespace

    from nnstudio.core.training.tensorboard_callback import TensorBoardLogger

    logger = TensorBoardLogger(tmp_path, batch_budget=0.0, histograms=False)
    logger.set_model(SimpleNamespace(layers=[], optimizer=None, get_config=dict))
    logger.on_train_begin()
    for epoch in range(2):
        for batch in range(5):
            logger.on_train_batch_end(batch, {"loss": 1.0 / (epoch * 5 + batch + 1)})
        logger.on_epoch_end(epoch, {"loss": 0.5})
    logger.on_train_batch_end(0, {"loss": 0.1})
    logger.on_train_batch_end(1, {"loss": 0.1})
    logger.close()
    steps = [e.step for e in _read(tmp_path / "train").Scalars("batch_loss")]
    assert steps == [1, 5, 10, 12]
    assert _read(tmp_path / "train").Scalars("batch_loss")[1].value == pytest.approx(0.2)


def test_a_branching_graph_keeps_its_connections() -> None:
    from nnstudio.core.compiler import build_model
    from nnstudio.core.graph.builder import GraphBuilder
    from nnstudio.core.training.tensorboard import graph_def
    from nnstudio.core.training.tensorboard_callback import model_nodes

    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(4,))
    left = b.add("Dense", x, name="left", units=3)
    right = b.add("Dense", x, name="right", units=3)
    total = b.add("Add", [left, right], name="total")
    b.output(total, "mse", [])
    graph = graph_def(model_nodes(build_model(b.graph)))
    inputs = {n.name: list(n.input) for n in graph.node}
    assert inputs == {"x": [], "left": ["x"], "right": ["x"], "total": ["left", "right"]}


def _project(tmp_path: Path, **training) -> Project:
    project = build_template("mlp")
    project.training = {"epochs": 2, "batch_size": 32, "probe_budget": 0.0, **training}
    project.save(tmp_path / "mlp.nnstudio")
    return project


def _job(project: Project, **options) -> TrainingJob:
    data = {"kind": "csv", "path": str(SPECIES), "target_columns": ["species"]}
    config = project.training.to_json()
    return TrainingJob.for_project(
        project, config=config, data_config=data, fit_to_data=True, **options
    )


def test_a_stopped_run_keeps_its_logs_in_its_run_folder(tmp_path) -> None:
    project = _project(tmp_path)

    def stop_in_epoch_two(event) -> None:
        if event["type"] == "batch" and event["epoch"] == 1 and event["batch"] == 1:
            state.request_stop()

    state = TaskState(stop_in_epoch_two, keep_events=False)
    outcome = execute(_job(project), state)
    assert outcome.status == "stopped", outcome.message
    folder = tmp_path / outcome.record.folder
    assert Path(outcome.log_dir) == folder / "tensorboard"
    assert (folder / "model.keras").is_file() and (folder / "metrics.json").is_file()
    train = _read(folder / "tensorboard" / "train")
    assert [e.step for e in train.Scalars("epoch_loss")] == [0]  # the completed epoch only
    batches = len(train.Scalars("batch_loss"))
    assert batches >= len(train.Scalars("epoch_loss")) + 1  # and the batches of the second
    assert train.Tags()["graph"]
    assert [p.name for p in tmp_path.glob("mlp.runs/*")] == [outcome.record.id]


def test_the_setting_off_writes_no_logs(tmp_path, trained) -> None:
    from nnstudio.core.training.run import run_training

    _, model, data = trained
    config = TrainingConfig(epochs=1, batch_size=32, probe_budget=0.0, tensorboard=False)
    result = run_training(model, data, config, log_dir=tmp_path / "tensorboard")
    assert result.status == "completed", result.message
    assert list(tmp_path.iterdir()) == []


def test_a_failed_run_keeps_the_logs_it_wrote(tmp_path, trained) -> None:
    import keras

    from nnstudio.core.training.run import run_training

    _, model, data = trained

    class BreakInEpochTwo(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 1 and batch == 2:
                raise RuntimeError("a broken callback")

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

    config = TrainingConfig(epochs=3, batch_size=32, probe_budget=0.0)
    result = run_training(
        model, data, config, callbacks=[BreakInEpochTwo()], log_dir=tmp_path / "tb"
    )
    assert result.status == "failed" and "broken callback" in result.message
    train = _read(tmp_path / "tb" / "train")
    assert [e.step for e in train.Scalars("epoch_loss")] == [0]
    assert train.Scalars("batch_loss")[-1].step == STEPS + 3  # the batch it failed in


def test_cli_out_writes_the_logs_there(tmp_path) -> None:
    path = _project(tmp_path, epochs=1).path
    out = tmp_path / "out"
    args = ["train", str(path), "--data", str(SPECIES), "--target", "species", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    assert (out / "metrics.json").is_file()
    assert [e.step for e in _read(out / "tensorboard" / "train").Scalars("epoch_loss")] == [0]


def test_cli_no_tensorboard_turns_the_setting_off(tmp_path, monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(
        "nnstudio.cli_commands.train._train", lambda project, config, *a: seen.append(config) or 0
    )
    args = ["train", str(_project(tmp_path).path), "--data", str(SPECIES)]
    assert main(args) == 0
    assert main([*args, "--no-tensorboard"]) == 0
    assert [c.tensorboard for c in seen] == [True, False]


def test_the_setting_is_on_by_default_and_round_trips() -> None:
    assert TrainingConfig().tensorboard is True
    assert TrainingConfig.from_json({"epochs": 3}).tensorboard is True  # an older file
    off = TrainingConfig(tensorboard=False)
    assert TrainingConfig.from_json(off.to_json()).tensorboard is False
    from nnstudio.core.training.config import ConfigError

    with pytest.raises(ConfigError, match="training.tensorboard"):
        TrainingConfig(tensorboard="yes")  # type: ignore[arg-type]
