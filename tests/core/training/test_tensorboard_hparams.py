"""HParams data for sweeps and the writer's independence from TensorFlow."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nnstudio.core.training.tensorboard import (
    EventWriter,
    write_hparams,
    write_hparams_config,
)

PARAMS = [
    {"name": "hidden.units", "kind": "choice", "choices": [8, 16, 32]},
    {"name": "learning_rate", "kind": "float", "low": 1e-4, "high": 1e-2},
    {"name": "batch_size", "kind": "int", "low": 8, "high": 64},
    {"name": "optimizer", "kind": "choice", "choices": ["adam", "sgd"]},
]


def _accumulator(path: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(path))
    acc.Reload()
    return acc


def test_the_experiment_lists_the_swept_parameters_and_metrics(tmp_path) -> None:
    from tensorboard.plugins.hparams import api_pb2, metadata

    write_hparams_config(tmp_path, PARAMS, ["val_loss", "val_accuracy"])
    content = _accumulator(tmp_path).PluginTagToContent("hparams")[metadata.EXPERIMENT_TAG]
    experiment = metadata.parse_experiment_plugin_data(content)
    infos = {h.name: h for h in experiment.hparam_infos}
    assert list(infos) == [p["name"] for p in PARAMS]
    assert [v.number_value for v in infos["hidden.units"].domain_discrete.values] == [8, 16, 32]
    assert [v.string_value for v in infos["optimizer"].domain_discrete.values] == ["adam", "sgd"]
    assert infos["learning_rate"].type == api_pb2.DATA_TYPE_FLOAT64
    assert infos["learning_rate"].domain_interval.min_value == pytest.approx(1e-4)
    assert infos["batch_size"].domain_interval.max_value == 64
    assert [m.name.tag for m in experiment.metric_infos] == ["val_loss", "val_accuracy"]


def test_a_trial_session_holds_its_values_metrics_and_status(tmp_path) -> None:
    from tensorboard.plugins.hparams import api_pb2, metadata

    trial = tmp_path / "trial-1" / "tensorboard"
    hparams = {"hidden.units": 16, "learning_rate": 0.003, "optimizer": "sgd", "shuffle": True}
    write_hparams(trial, hparams, {"val_loss": 0.25, "val_accuracy": 0.9}, trial_id="trial-1")
    acc = _accumulator(trial)
    content = acc.PluginTagToContent("hparams")
    start = metadata.parse_session_start_info_plugin_data(content[metadata.SESSION_START_INFO_TAG])
    assert start.group_name == "trial-1"
    assert start.hparams["hidden.units"].number_value == 16
    assert start.hparams["optimizer"].string_value == "sgd"
    assert start.hparams["shuffle"].bool_value is True
    end = metadata.parse_session_end_info_plugin_data(content[metadata.SESSION_END_INFO_TAG])
    assert end.status == api_pb2.STATUS_SUCCESS
    assert acc.Scalars("val_loss")[0].value == pytest.approx(0.25)
    assert acc.Scalars("val_accuracy")[0].value == pytest.approx(0.9)


def test_bad_parameter_descriptions_are_refused_by_name(tmp_path) -> None:
    with pytest.raises(ValueError, match="'x'.*kind"):
        write_hparams_config(tmp_path, [{"name": "x", "kind": "log"}], ["loss"])
    with pytest.raises(ValueError, match="'y'.*at least one"):
        write_hparams_config(tmp_path, [{"name": "y", "kind": "choice", "choices": []}], [])
    with pytest.raises(ValueError, match="status"):
        write_hparams(tmp_path, {"a": 1}, {}, status="odd")


def test_a_non_finite_metric_is_left_out(tmp_path) -> None:
    write_hparams(tmp_path, {"a": 1}, {"loss": float("nan"), "val_loss": 1.5})
    assert _accumulator(tmp_path).Tags()["scalars"] == ["val_loss"]


def test_the_writer_runs_without_tensorflow_or_keras(tmp_path) -> None:
    """Importing the module and writing every kind of record imports neither."""
    script = textwrap.dedent(
        f"""
        import sys
        from nnstudio.core.training import tensorboard as tb
        with tb.EventWriter({str(tmp_path / "w")!r}) as w:
            w.scalars({{"loss": 1.0}}, 1, "batch_")
            w.histogram("dense/kernel/histogram", [0.1, 0.2, 0.3], 0)
        tb.write_hparams_config({str(tmp_path)!r}, [{{"name": "a", "kind": "int",
                                "low": 1, "high": 3}}], ["loss"])
        tb.write_hparams({str(tmp_path / "t")!r}, {{"a": 2}}, {{"loss": 0.5}})
        heavy = sorted(m for m in ("tensorflow", "keras", "jax") if m in sys.modules)
        print("HEAVY", heavy)
        """
    )
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "HEAVY []" in out.stdout
    assert len(list((tmp_path / "w").glob("events.out.tfevents.*"))) == 1


def test_an_event_file_reads_back_even_before_close(tmp_path) -> None:
    writer = EventWriter(tmp_path)
    writer.scalars({"loss": 2.0, "accuracy": 0.5}, 3, "epoch_")
    writer.flush()
    acc = _accumulator(tmp_path)
    assert sorted(acc.Tags()["scalars"]) == ["epoch_accuracy", "epoch_loss"]
    assert acc.Scalars("epoch_loss")[0].step == 3
    writer.close()
    writer.close()
    assert writer.closed
