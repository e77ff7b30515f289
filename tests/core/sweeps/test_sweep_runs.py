"""Sweeps that really train (the MLP template on the species sample, 1-epoch trials): the
command line (files, Ctrl-C, resume with the same command, bad specs) and trials recorded
as project runs carrying their sweep, pruned by the pruner."""

from __future__ import annotations

import csv
import json
import os
import signal

import pytest
from sweep_helpers import SPECIES, SPECIES_DATA

from nnstudio.cli import main
from nnstudio.core.sweeps import SweepConfig, parse_param, read_trials, run_sweep
from nnstudio.core.tasks import TaskState
from nnstudio.core.training.records import RunRecord


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _command(tmp_path, *more):
    command = ["sweep", str(tmp_path / "mlp.nnstudio"), "--param", "hidden_1.units=4,8"]
    command += ["--param", "learning_rate=0.01", "--strategy", "grid", "--epochs", "1"]
    return command + ["--out", str(tmp_path / "out"), *more]


def test_the_sweep_command_writes_a_run_folder_per_trial_and_trials_csv(
    project, tmp_path, capsys
) -> None:
    out = tmp_path / "out"
    command = _command(tmp_path, "--data", str(SPECIES), "--target", "species")
    assert main([*command, "--json"]) == 0
    printed = capsys.readouterr()
    assert "trial 1/2  hidden_1.units=" in printed.err and "trial 2/2 completed" in printed.err
    result = json.loads(printed.out)
    assert [t["status"] for t in result["trials"]] == ["completed", "completed"]
    assert result["best"] in (1, 2) and result["error"] is None
    rows = _rows(out / "trials.csv")
    assert sorted(r["hidden_1.units"] for r in rows) == ["4", "8"]
    assert all(r["epochs"] == "1" and float(r["best_val_loss"]) > 0 for r in rows)
    for n in (1, 2):
        folder = out / f"trial-{n:03d}"
        assert {"model.keras", "history.csv", "metrics.json", "trial.json"} <= {
            p.name for p in folder.iterdir()
        }
        info = json.loads((folder / "trial.json").read_text())
        assert info["number"] == n and info["config"]["epochs"] == 1
        assert info["params"] == result["trials"][n - 1]["params"]
    assert main([*command, "--quiet"]) == 0  # the grid is done: nothing runs again
    printed = capsys.readouterr()
    assert "2 trials finished (2 completed)" in printed.out and printed.err == ""


def test_ctrl_c_stops_the_sweep_and_the_same_command_resumes_it(
    project, fake_jobs, tmp_path, capsys
) -> None:
    out = tmp_path / "out"

    def ctrl_c_in_trial_2(params, epoch, state):
        if len(fake_jobs.calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # the handler asks the sweep to stop

    fake_jobs.on_epoch = ctrl_c_in_trial_2
    command = _command(tmp_path, "--epochs", "2")
    assert main(command) == 130
    printed = capsys.readouterr()
    assert "stopping after the current batch" in printed.err
    assert [r["status"] for r in _rows(out / "trials.csv")] == ["completed", "stopped"]
    first, stopped = read_trials(out)
    fake_jobs.on_epoch, fake_jobs.calls = None, []
    assert main(command) == 0
    printed = capsys.readouterr()
    assert "resuming: 1 trials already finished" in printed.err
    assert fake_jobs.calls == [stopped.params]  # only the stopped trial ran again
    assert [t.status for t in read_trials(out)] == ["completed", "completed"]
    assert read_trials(out)[0] == first


@pytest.mark.parametrize(
    ("param", "why"),
    [
        ("hidden_1.units=0..8", "hidden_1.units: units must be at least 1; got 0"),
        ("nowhere.units=1,2", "nowhere.units: the model has no layer named 'nowhere'"),
        ("learning_rate=fast", "learning_rate: learning_rate must be a number"),
        ("units", "'units': write NAME=SPEC"),
    ],
)
def test_a_bad_spec_is_one_located_error(project, tmp_path, capsys, param, why) -> None:
    code = main(["sweep", str(tmp_path / "mlp.nnstudio"), "--param", param])
    err = capsys.readouterr().err
    assert code == 2 and why in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_trials_recorded_as_project_runs_carry_their_sweep(project, tmp_path, monkeypatch):
    import optuna

    monkeypatch.setattr(  # prunes every trial at its first report
        "nnstudio.core.sweeps.search.make_pruner",
        lambda config, epochs=None: optuna.pruners.ThresholdPruner(upper=-1.0),
    )
    config = SweepConfig((parse_param("hidden_1.units=4"),), strategy="grid", epochs=3)
    state = TaskState()
    folder = tmp_path / "mlp.sweeps" / "units"
    outcome = run_sweep(project, config, folder, state, data_config=SPECIES_DATA, record_runs=True)
    (trial,) = outcome.trials
    assert trial.status == "pruned" and trial.epochs == 1, trial.message
    events = state.drain()
    finished = [e for e in events if e["type"] == "trial_finished"]
    record = RunRecord.from_json(finished[0]["trial"]["record"])
    assert record == trial.record and record.sweep == "units"
    assert record.trial_params == {"hidden_1.units": 4} and record.name == "units trial 1"
    assert record.epochs_completed == 1 and record.data == SPECIES_DATA
    assert record.evaluation is None  # trials are not evaluated unless asked
    run_folder = tmp_path / record.folder
    assert (run_folder / "model.keras").is_file() and (run_folder / "trial.json").is_file()
    assert project.runs == ()  # the caller appends the record
    assert sum(e["type"] == "epoch" for e in events) == 1
    assert read_trials(folder)[0].record is None  # trials.json keeps the run's id only
    _check_hparams(folder, run_folder / "tensorboard")


def _check_hparams(sweep_folder, session_folder) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import metadata

    experiment = EventAccumulator(str(sweep_folder))
    experiment.Reload()
    content = experiment.PluginTagToContent("hparams")[metadata.EXPERIMENT_TAG]
    names = [h.name for h in metadata.parse_experiment_plugin_data(content).hparam_infos]
    assert names == ["hidden_1.units"]
    session = EventAccumulator(str(session_folder))
    session.Reload()
    start = session.PluginTagToContent("hparams")[metadata.SESSION_START_INFO_TAG]
    info = metadata.parse_session_start_info_plugin_data(start)
    assert info.hparams["hidden_1.units"].number_value == 4
