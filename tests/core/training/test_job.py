"""One training job for the window and the CLI: plain data in (JSON round trip), events out,
the same guards on both sides (a failed evaluation, a full disk, numpy overflow)."""

from __future__ import annotations

import errno
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from training_helpers import mlp_graph

from nnstudio.cli import main
from nnstudio.core.project import Project
from nnstudio.core.tasks import TaskState
from nnstudio.core.templates import build_template
from nnstudio.core.training.job import JobError, RunOutcome, TrainingJob, execute

ROOT = Path(__file__).resolve().parents[3]
SPECIES = ROOT / "resources" / "samples" / "species.csv"


def _job(tmp_path: Path, **options) -> TrainingJob:
    project = build_template("mlp")
    project.save(tmp_path / "mlp.nnstudio")
    return TrainingJob.for_project(
        project,
        config={"epochs": 2, "batch_size": 32, "learning_rate": 0.01},
        data_config={"kind": "csv", "path": str(SPECIES), "target_columns": ["species"]},
        fit_to_data=True,
        **options,
    )


def _cli_project(tmp_path: Path) -> Path:
    project = build_template("mlp")
    project.training = {"epochs": 2, "batch_size": 32, "learning_rate": 0.01}
    return project.save(tmp_path / "mlp.nnstudio")


def test_a_job_round_trips_through_json_text(tmp_path) -> None:
    job = _job(tmp_path, device="cpu", precision="float32", options={"trial": 3})
    text = json.dumps(job.to_json())
    again = TrainingJob.from_json(json.loads(text))
    assert again == job and again.to_json() == job.to_json()
    assert again.project["graph"] == Project.load(tmp_path / "mlp.nnstudio").graph.to_json()


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ([], "JSON object"),
        ({"config": {}}, "project: missing"),
        ({"project": {}, "record": "yes"}, "record"),
        ({"project": {}, "precision": "int4"}, "precision"),
        ({"project": {}, "job_format": 99}, "newer"),
    ],
)
def test_a_damaged_job_is_refused_with_the_key(data, why) -> None:
    with pytest.raises(JobError, match=why):
        TrainingJob.from_json(data)


def test_execute_runs_a_job_read_back_from_json(tmp_path) -> None:
    job = TrainingJob.from_json(json.loads(json.dumps(_job(tmp_path).to_json())))
    state = TaskState()
    outcome = execute(job, state)
    assert outcome.status == "completed", outcome.message
    assert outcome.evaluation is not None and outcome.record is not None
    assert outcome.record["data"]["path"] == str(SPECIES)
    assert (tmp_path / outcome.record["dir"] / "model.keras").is_file()
    events = state.drain()
    texts = [e["text"] for e in events if e["type"] == "log"]
    assert texts[0] == "Preparing the data…" and "Evaluating…" in texts
    assert [e["type"] for e in events].count("epoch") == 2 and events[-1]["type"] != "start"
    json.dumps(outcome.to_json())  # the outcome's summary is plain data


def test_execute_never_raises_and_says_which_step_failed(tmp_path) -> None:
    job = _job(tmp_path)
    job.data_config = {"kind": "csv", "path": str(tmp_path / "missing.csv")}
    outcome = execute(job)
    assert outcome.result is None and outcome.stage == "data" and outcome.status == "failed"
    job = _job(tmp_path, device="gpu:9")
    outcome = execute(job)
    assert outcome.stage == "device" and "gpu:9" in outcome.message


def _failing_evaluation(monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise ValueError("the evaluation broke")

    monkeypatch.setattr("nnstudio.core.training.evaluation.evaluate", broken)


def test_a_failed_evaluation_keeps_the_run_in_the_job(tmp_path, monkeypatch) -> None:
    _failing_evaluation(monkeypatch)
    outcome = execute(_job(tmp_path))
    assert outcome.status == "completed" and outcome.evaluation is None
    assert outcome.record is not None
    assert outcome.notes == ["The evaluation failed: ValueError: the evaluation broke"]


def test_a_failed_evaluation_keeps_the_run_in_the_cli(tmp_path, monkeypatch, capsys) -> None:
    _failing_evaluation(monkeypatch)
    out = tmp_path / "run"
    code = main(
        ["train", str(_cli_project(tmp_path)), "--data", str(SPECIES)]
        + ["--target", "species", "--out", str(out), "--quiet"]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "The evaluation failed: ValueError: the evaluation broke" in printed.err
    assert (out / "model.keras").is_file() and "Traceback" not in printed.err


def _full_disk(monkeypatch) -> None:
    import keras

    def no_space(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(keras.Model, "save", no_space)


@pytest.mark.parametrize("to_out", [True, False])
def test_a_full_disk_is_one_clean_cli_error(tmp_path, monkeypatch, capsys, to_out) -> None:
    _full_disk(monkeypatch)
    path = _cli_project(tmp_path)
    before = path.read_bytes()
    extra = ["--out", str(tmp_path / "run")] if to_out else []
    code = main(
        ["train", str(path), "--data", str(SPECIES), "--target", "species", "--quiet"] + extra
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "nnstudio: error: The run could not be written" in err
    assert "No space left on device" in err and "Traceback" not in err
    assert path.read_bytes() == before  # no record of a run that is not on disk


def test_an_unexpected_error_is_one_line_and_verbose_shows_the_traceback(
    tmp_path, monkeypatch, capsys
) -> None:
    def crash(*args, **kwargs):
        raise RuntimeError("something unforeseen")

    monkeypatch.setattr("nnstudio.cli_commands.train._train", crash)
    path = str(_cli_project(tmp_path))
    assert main(["train", path, "--data", str(SPECIES)]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "nnstudio: error: RuntimeError: something unforeseen (run with --verbose for the details)"
    ]
    assert main(["train", path, "--data", str(SPECIES), "--verbose"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "something unforeseen" in err


def test_numpy_overflow_while_a_run_diverges_warns_nothing(tmp_path, monkeypatch) -> None:
    """A diverging run overflows in numpy statistics (simulated here in the epoch events);
    the run says it diverged; no RuntimeWarning reaches the terminal."""
    from nnstudio.core.training import callbacks

    original = callbacks.RunCallback.on_epoch_end

    def overflowing(self, epoch, logs=None):
        np.float32(3e38) * np.float32(10)  # what a diverging loss does to float32 statistics
        return original(self, epoch, logs)

    monkeypatch.setattr(callbacks.RunCallback, "on_epoch_end", overflowing)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        outcome = execute(_job(tmp_path))
    assert outcome.status == "completed", outcome.message
    assert not [w for w in seen if issubclass(w.category, RuntimeWarning)]


def test_the_window_and_the_cli_share_the_outcome_type() -> None:
    from nnstudio.cli_commands import train

    assert RunOutcome().status == "failed" and "execute" in train._train.__code__.co_names
    assert mlp_graph().outputs  # the helpers' graph is usable by a job too
