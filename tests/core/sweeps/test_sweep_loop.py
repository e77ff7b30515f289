"""The search loop with stand-in trials (no Keras): the grid is covered, a seeded search
repeats itself, pruned trials are recorded as pruned, a stopped or killed sweep resumes
without redoing finished trials, and the results files say what happened."""

from __future__ import annotations

import csv
import itertools
import json

import pytest

from nnstudio.core.sweeps import (
    SweepConfig,
    SweepError,
    TrialResult,
    parse_param,
    read_trials,
    run_sweep,
)
from nnstudio.core.sweeps.search import open_study
from nnstudio.core.sweeps.targets import resolve_specs
from nnstudio.core.tasks import TaskState

UNITS = "hidden_1.units=8,16,32"
LR = "learning_rate=1e-3..1e-1:log"


def _config(*texts, **kw) -> SweepConfig:
    kw.setdefault("pruner", "none")
    kw.setdefault("epochs", 2)
    return SweepConfig(tuple(parse_param(t) for t in texts), **kw)


def test_grid_covers_the_grid_once(project, fake_jobs, tmp_path) -> None:
    config = _config(UNITS, "optimizer=adam,sgd", strategy="grid")
    state = TaskState()
    outcome = run_sweep(project, config, tmp_path / "sweep", state)
    seen = sorted((c["hidden_1.units"], c["optimizer"]) for c in fake_jobs.calls)
    assert seen == sorted(itertools.product([8, 16, 32], ["adam", "sgd"]))
    assert [t.number for t in outcome.trials] == [1, 2, 3, 4, 5, 6]
    assert all(t.status == "completed" and t.epochs == 2 for t in outcome.trials)
    assert outcome.best.params["hidden_1.units"] == 8 and not outcome.stopped
    kinds = [e["type"] for e in state.drain()]
    assert kinds.count("trial_started") == kinds.count("trial_finished") == 6
    assert kinds[0] == "sweep_started" and kinds[-1] == "sweep_finished"


def test_a_seeded_random_search_repeats_itself(project, fake_jobs, tmp_path) -> None:
    def params(seed: int, folder: str) -> list[dict]:
        config = _config(UNITS, LR, strategy="random", trials=4, seed=seed)
        return [t.params for t in run_sweep(project, config, tmp_path / folder).trials]

    first, again, other = params(1, "a"), params(1, "b"), params(2, "c")
    assert first == again and first != other
    assert all(1e-3 <= p["learning_rate"] <= 1e-1 for p in first)


def test_bayes_runs_with_the_tpe_sampler(project, fake_jobs, tmp_path) -> None:
    config = _config(LR, strategy="bayes", trials=5, seed=0)
    outcome = run_sweep(project, config, tmp_path / "sweep")
    assert len(outcome.trials) == 5 and outcome.best is not None
    assert type(open_study(tmp_path / "sweep", config).sampler).__name__ == "TPESampler"


def test_a_pruned_trial_is_recorded_as_pruned(project, fake_jobs, tmp_path, monkeypatch):
    import optuna

    # prune every trial whose val_loss passes 1.6 (lr 1e-3 and units 32 do; lr 1e-2 not)
    monkeypatch.setattr(
        "nnstudio.core.sweeps.search.make_pruner",
        lambda config, epochs=None: optuna.pruners.ThresholdPruner(upper=1.6),
    )
    config = _config("learning_rate=0.01,0.001", "hidden_1.units=8", strategy="grid")
    config = config.replace(pruner="median", epochs=3)
    outcome = run_sweep(project, config, tmp_path / "sweep")
    by_lr = {t.params["learning_rate"]: t for t in outcome.trials}
    assert by_lr[0.01].status == "completed" and by_lr[0.01].epochs == 3
    pruned = by_lr[0.001]
    assert pruned.status == "pruned" and pruned.epochs == 1
    assert pruned.message.startswith("pruned by the median pruner after epoch 1")
    states = {
        t.params["learning_rate"]: t.state.name
        for t in open_study(tmp_path / "sweep", config).trials
    }
    assert states == {0.01: "COMPLETE", 0.001: "PRUNED"}
    assert outcome.best is by_lr[0.01]


def test_a_stopped_sweep_resumes_without_redoing_finished_trials(project, fake_jobs, tmp_path):
    config = _config(UNITS, LR, trials=3, seed=4)
    folder = tmp_path / "sweep"
    state = TaskState(keep_events=False)

    def stop_in_trial_2(params, epoch, trial_state):
        if len(fake_jobs.calls) == 2 and epoch == 0:
            state.request_stop("stopped by the test")

    fake_jobs.on_epoch = stop_in_trial_2
    first = run_sweep(project, config, folder, state)
    assert first.stopped and [t.status for t in first.trials] == ["completed", "stopped"]
    assert first.trials[1].epochs == 1 and "resume" in first.message
    interrupted = first.trials[1].params
    fake_jobs.on_epoch, fake_jobs.calls = None, []
    again = run_sweep(project, config, folder)
    assert not again.stopped and [t.status for t in again.trials] == ["completed"] * 3
    assert fake_jobs.calls[0] == interrupted and len(fake_jobs.calls) == 2
    assert again.trials[0] == first.trials[0] and again.trials[1].params == interrupted
    fake_jobs.calls = []
    assert len(run_sweep(project, config, folder).trials) == 3 and fake_jobs.calls == []
    more = run_sweep(project, config.replace(trials=4), folder)  # a larger budget goes on
    assert len(more.trials) == 4 and len(fake_jobs.calls) == 1


def test_a_trial_left_running_by_a_killed_sweep_runs_again(project, fake_jobs, tmp_path):
    config = _config(UNITS, LR, trials=2, seed=0)
    folder = tmp_path / "sweep"
    study = open_study(folder, resolve_specs(project, config))
    trial = study.ask()  # what a process killed mid-trial leaves in the journal
    trial.set_user_attr("slot", 1)
    values = {"hidden_1.units": trial.suggest_categorical("hidden_1.units", [8, 16, 32])}
    values["learning_rate"] = trial.suggest_float("learning_rate", 1e-3, 1e-1, log=True)
    outcome = run_sweep(project, config, folder)
    assert fake_jobs.calls[0] == values and len(outcome.trials) == 2
    assert outcome.trials[0].number == 1 and outcome.trials[0].params == values


def test_trials_csv_and_json_hold_every_trial(project, fake_jobs, tmp_path) -> None:
    folder = tmp_path / "sweep"
    config = _config("hidden_1.units=8,16", "optimizer=adam", strategy="grid")
    outcome = run_sweep(project, config, folder)
    with open(folder / "trials.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:4] == ["number", "status", "hidden_1.units", "optimizer"]
    assert {"value", "final_val_loss", "best_val_loss", "final_loss", "epochs", "folder"} <= set(
        rows[0]
    )
    assert [r["number"] for r in rows] == ["1", "2"] and {r["status"] for r in rows} == {
        "completed"
    }
    for row, trial in zip(rows, outcome.trials, strict=True):
        assert row["hidden_1.units"] == str(trial.params["hidden_1.units"])
        assert float(row["best_val_loss"]) == pytest.approx(trial.best["val_loss"], rel=1e-5)
        assert float(row["value"]) == pytest.approx(trial.value, rel=1e-5)
        assert row["epochs"] == "2" and row["folder"].endswith(f"trial-{trial.number:03d}")
    assert read_trials(folder) == outcome.trials
    assert (
        TrialResult.from_json(json.loads(json.dumps(outcome.trials[0].to_json())))
        == (outcome.trials[0])
    )


def test_damaged_results_are_refused_with_the_file(tmp_path) -> None:
    assert read_trials(tmp_path) == []
    (tmp_path / "trials.json").write_text('{"trials": [{"number": 1, "status": "great"}]}')
    with pytest.raises(SweepError, match="trials.json: trial 1: status 'great'"):
        read_trials(tmp_path)
    (tmp_path / "trials.json").write_text("{not json")
    with pytest.raises(SweepError, match="trials.json: cannot be read"):
        read_trials(tmp_path)


def test_another_search_in_the_same_folder_is_refused(project, fake_jobs, tmp_path) -> None:
    folder = tmp_path / "sweep"
    run_sweep(project, _config("hidden_1.units=8", strategy="grid"), folder)
    with pytest.raises(SweepError, match="this folder holds another sweep"):
        run_sweep(project, _config("hidden_1.units=16", strategy="grid"), folder)


def test_the_budget_and_the_metric(project, fake_jobs, tmp_path) -> None:
    config = _config(UNITS, time_limit_s=1e-9)
    outcome = run_sweep(project, config, tmp_path / "a")
    assert outcome.trials == [] and outcome.message == "time limit reached"
    with pytest.raises(SweepError, match="metric: this model does not log 'val_mae'"):
        run_sweep(project, _config(UNITS, metric="val_mae"), tmp_path / "b")


def test_a_data_failure_ends_the_sweep(project, fake_jobs, tmp_path, monkeypatch) -> None:
    from nnstudio.core.training.job import RunOutcome

    monkeypatch.setattr(
        "nnstudio.core.training.job.execute",
        lambda job, state: RunOutcome(error="The data cannot be used: gone", stage="data"),
    )
    outcome = run_sweep(project, _config(UNITS, trials=3), tmp_path / "sweep")
    assert outcome.error == "The data cannot be used: gone"
    assert [t.status for t in outcome.trials] == ["failed"]


def test_a_trial_state_follows_the_sweep_state() -> None:
    from nnstudio.core.sweeps.trial import TrialState

    sweep = TaskState()
    trial = TrialState(sweep)
    trial.emit({"type": "batch"})
    assert [e["type"] for e in sweep.drain()] == ["batch"]  # events go on to the sweep
    sweep.request_pause()
    assert trial.pause_requested
    sweep.resume()
    assert not trial.pause_requested and not trial.stop_requested
    sweep.request_stop("stopped by Ctrl-C")
    assert trial.stop_requested and trial.stop_reason == "stopped by Ctrl-C"
    pruned = TrialState(TaskState())
    pruned.prune("pruned by the median pruner")
    assert pruned.stop_requested and pruned.pruned and not pruned.parent.stop_requested


def test_a_folder_that_cannot_be_written_is_one_clean_error(
    project, fake_jobs, tmp_path, monkeypatch
) -> None:
    import errno

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SweepError, match="the sweep's folder cannot be written"):
        run_sweep(project, _config(UNITS), blocker / "sweep")
    folder = tmp_path / "sweep"

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("nnstudio.core.sweeps.runner.write_results", full_disk)
    outcome = run_sweep(project, _config(UNITS, trials=3), folder)
    assert outcome.error.endswith("results could not be written (No space left on device)")
    assert len(outcome.trials) == 1


@pytest.mark.parametrize("name", ["trials.json", "sweep.json", "journal.log"])
def test_a_damaged_sweep_folder_is_refused_cleanly_or_resumed(
    project, fake_jobs, tmp_path, name
) -> None:
    import random

    config = _config(UNITS, trials=2, seed=0)
    folder = tmp_path / "sweep"
    run_sweep(project, config, folder)
    good = (folder / name).read_bytes()
    rng = random.Random(name)
    damaged = [good[: len(good) // 2], b"\x00\xff" * 8, b"[]", b'{"trials": 3}']
    damaged += [bytes(b ^ 0xFF if rng.random() < 0.05 else b for b in good)]
    for data in damaged:
        (folder / name).write_bytes(data)
        try:
            outcome = run_sweep(project, config, folder)
        except SweepError as exc:
            assert str(exc).startswith(str(folder)), exc
        else:
            assert outcome.error is None and len(outcome.trials) >= 1
