"""``nnstudio evaluate``: a trained run sliced by a group, from a project file, a run folder
under ``<project>.runs/`` or a standalone run folder (``data.json``); clean one-line errors."""

from __future__ import annotations

import json
import shutil

import pytest
from test_fairness_groups import write_people

from nnstudio.cli import main
from nnstudio.cli_commands import evaluate as evaluate_cli
from nnstudio.core.data import DataConfig, prepare
from nnstudio.core.insight import fairness
from nnstudio.core.insight.fairness_run import locate_run, slice_prepared


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A project with one 1-epoch run of a tiny MLP on a CSV grouped by an unused column."""
    from nnstudio.core.project import Project
    from nnstudio.core.tasks import TaskState
    from nnstudio.core.templates import build_template
    from nnstudio.core.training.job import TrainingJob, execute

    root = tmp_path_factory.mktemp("fair")
    project = build_template("mlp")
    project.training = {"epochs": 1, "batch_size": 32, "learning_rate": 0.05}
    project.data = DataConfig(
        kind="csv",
        path=str(write_people(root / "people.csv", n=240)),
        target_columns=["label"],
        feature_columns=["x", "code"],
        missing="drop",
    )
    path = project.save(root / "fair.nnstudio")
    project = Project.load(path)
    job = TrainingJob.for_project(project, config=project.training.to_json(), fit_to_data=True)
    outcome = execute(job, TaskState())
    assert outcome.record is not None, outcome.message
    project.add_run(outcome.record)
    project.save()
    return path, outcome.record


def test_evaluate_a_project_prints_the_table_and_the_gaps(trained, capsys):
    path, _ = trained
    assert main(["evaluate", str(path), "--by", "region"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("validation split by region: ")
    header = out[2].split()
    assert header == ["group", "support", "accuracy", "precision", "recall", "pos.", "rate"]
    groups = [line.split()[0] for line in out[4:7]]
    assert groups == ["east", "north", "south"]
    assert any(line.startswith("demographic parity difference") for line in out)
    assert any(line.startswith("worst-group accuracy") for line in out)


def test_the_json_agrees_with_the_runs_own_evaluation(trained, capsys):
    path, record = trained
    run_folder = path.parent / record.folder
    assert main(["evaluate", str(run_folder), "--by", "region", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["by"] == "region" and data["mode"] == "binary"
    assert sum(g["support"] for g in data["groups"]) == data["samples"]
    assert data["samples"] == record.evaluation["samples"]
    accuracy = record.evaluation["metrics"]["accuracy"]
    assert data["overall"]["accuracy"] == pytest.approx(accuracy, abs=1e-6)
    worst = min(data["groups"], key=lambda g: g["accuracy"])
    assert data["gaps"]["worst_group"] == worst["group"]
    rates = [g["positive_rate"] for g in data["groups"]]
    assert data["gaps"]["demographic_parity_difference"] == pytest.approx(max(rates) - min(rates))
    assert data["small_groups"] == [g["group"] for g in data["groups"] if g["support"] < 30]


def test_a_standalone_run_folder_reads_its_data_json(trained, tmp_path):
    path, record = trained
    folder = tmp_path / "run"
    folder.mkdir()
    shutil.copy(path.parent / record.folder / "model.keras", folder / "model.keras")
    data = record.data or json.loads(path.read_text())["data"]
    data = {**data, "path": str(path.parent / "people.csv")}
    (folder / "data.json").write_text(json.dumps({"data": data, "data_hash": record.data_hash}))
    source = locate_run(folder)
    assert source.model_path == folder / "model.keras" and source.data["path"].endswith(
        "people.csv"
    )


def test_errors_are_one_line(trained, capsys):
    path, _ = trained
    assert main(["evaluate", str(path), "--by", "age"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert 'there is no column "age"; the columns are "x", "code", "region", "label"' in err
    assert main(["evaluate", str(path), "--by", "region", "--run", "run-1"]) == 2
    assert "no run with id 'run-1' (its runs: run-" in capsys.readouterr().err
    assert main(["evaluate", str(path.parent / "nothing"), "--by", "region"]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["evaluate", str(path.parent), "--by", "region"]) == 2
    assert "no model.keras" in capsys.readouterr().err


def test_a_regressor_is_refused(tmp_path):
    csv_path = tmp_path / "r.csv"
    csv_path.write_text("a,b\n" + "".join(f"{i},{i * 0.5}\n" for i in range(40)))
    prepared = prepare(DataConfig(kind="csv", path=str(csv_path)), batch_size=8)
    with pytest.raises(fairness.FairnessError, match="need a classifier; .* regression"):
        slice_prepared(None, prepared, "a")


def test_the_cli_default_is_the_core_default():
    assert evaluate_cli.MIN_SUPPORT == fairness.MIN_SUPPORT


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "cannot be read"),
        (b"\xff\xfe\x00garbage", "cannot be read"),
        (b'["a list"]', "names no data source"),
        (b'{"data": 3}', "names no data source"),
    ],
)
def test_a_broken_data_json_is_one_clear_error(tmp_path, content, message):
    (tmp_path / "model.keras").write_bytes(b"PK")
    (tmp_path / "data.json").write_bytes(content)
    with pytest.raises(fairness.FairnessError, match=message) as err:
        locate_run(tmp_path)
    assert "\n" not in str(err.value)


def test_a_file_that_is_no_project_is_refused(tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(fairness.FairnessError, match="not a run folder or a .nnstudio"):
        locate_run(other)
    bad = tmp_path / "bad.nnstudio"
    bad.write_text("{")
    with pytest.raises(fairness.FairnessError, match="bad.nnstudio"):
        locate_run(bad)


def test_a_damaged_model_file_is_one_clear_error(tmp_path):
    from nnstudio.core.insight.fairness_run import slice_run

    csv_path = write_people(tmp_path / "people.csv", holes=False)
    (tmp_path / "model.keras").write_bytes(b"PK\x03\x04 not really a zip")
    data = {"kind": "csv", "path": str(csv_path), "target_columns": ["label"]}
    (tmp_path / "data.json").write_text(json.dumps({"data": data}))
    with pytest.raises(fairness.FairnessError, match="model.keras") as err:
        slice_run(locate_run(tmp_path), "region")
    assert "\n" not in str(err.value)
