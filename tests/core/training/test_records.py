"""Typed run records: read once, written back identically, changed only through the project."""

from __future__ import annotations

import json

import pytest

from nnstudio.core.graph import EditRefused
from nnstudio.core.project import Project, ProjectError
from nnstudio.core.training.records import RunRecord, RunRecordError, RunStatus

RAW = {
    "status": "diverged",
    "id": "run-1",
    "future_key": {"a": [1, 2]},
    "name": "first",
    "epochs_completed": 0,
    "dir": "p.runs/run-1",
    "best": {"loss": 0.5},
    "evaluation": None,
}


def test_a_record_is_typed_and_written_back_identically() -> None:
    record = RunRecord.from_json(json.loads(json.dumps(RAW)))
    assert record.status is RunStatus.DIVERGED and record.folder == "p.runs/run-1"
    assert record.epochs_completed == 0 and record.extra == {"future_key": {"a": [1, 2]}}
    out = record.to_json()
    assert out == RAW and list(out) == list(RAW)  # same keys, same order, nothing added
    assert json.dumps(out) == json.dumps(RAW)
    renamed = record.replace(name="second").to_json()
    assert list(renamed) == list(RAW) and renamed["name"] == "second"


def test_a_record_built_in_code_writes_only_what_was_set() -> None:
    record = RunRecord(id="run-9", status=RunStatus.STOPPED, history={"loss": [1.0]})
    assert record.to_json() == {"id": "run-9", "status": "stopped", "history": {"loss": [1.0]}}
    assert record["status"] == "stopped" and record.get("dir") == "" and "dir" in record
    assert record.get("nothing", 3) == 3 and "nothing" not in record


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"id": 3}, "id"),
        ({"status": "running"}, "status"),
        ({"epochs_completed": "2"}, "epochs_completed"),
        ({"epochs_completed": True}, "epochs_completed"),
        ({"history": []}, "history"),
        ({"dir": None}, "dir"),
        ({"elapsed_s": "fast"}, "elapsed_s"),
    ],
)
def test_a_bad_key_is_refused_by_name(change, key) -> None:
    with pytest.raises(RunRecordError) as info:
        RunRecord.from_json({**RAW, **change})
    assert info.value.key == key and key in str(info.value)


def test_a_bad_record_in_a_file_is_one_located_project_error(tmp_path) -> None:
    path = tmp_path / "p.nnstudio"
    data = Project(name="p").to_json()
    data["runs"] = [dict(RAW), {**RAW, "id": "run-2", "status": "sideways"}]
    path.write_text(json.dumps(data))
    with pytest.raises(ProjectError, match=r"runs\[1\]\.status: 'sideways' is not a run status"):
        Project.load(path)


def test_project_runs_are_records_changed_only_through_its_api(tmp_path) -> None:
    path = tmp_path / "p.nnstudio"
    data = Project(name="p").to_json()
    data["runs"] = [dict(RAW)]
    path.write_text(json.dumps(data))
    project = Project.load(path)
    (run,) = project.runs
    assert isinstance(project.runs, tuple) and isinstance(run, RunRecord)
    seen: list[tuple[str, tuple[RunRecord, ...]]] = []
    project.subscribe(lambda event, payload: seen.append((event, payload)))
    project.add_run({"id": "run-2", "status": "completed"})
    project.replace_run(project.runs[0].replace(name="renamed"))
    removed = project.remove_run("run-2")
    assert removed.status is RunStatus.COMPLETED
    assert [e for e, _ in seen] == ["runs_changed"] * 3
    assert seen[-1][1] == project.runs and project.runs[0].name == "renamed"
    with pytest.raises(EditRefused, match="already exists"):
        project.add_run({"id": "run-1"})
    with pytest.raises(EditRefused, match="no run"):
        project.remove_run("run-2")
    with pytest.raises(EditRefused, match="no run"):
        project.replace_run(RunRecord(id="nope"))
    with pytest.raises(EditRefused, match="status"):
        project.add_run({"id": "run-3", "status": 1})
    project.save()
    assert json.loads(path.read_text())["runs"] == [{**RAW, "name": "renamed"}]


def test_run_commands_undo_with_events() -> None:
    from nnstudio.core.graph.commands import History
    from nnstudio.core.project_commands import AddRun, RemoveRun, RenameRun

    project = Project(runs=[RAW])
    events: list[str] = []
    project.subscribe(lambda event, payload: events.append(event))
    history = History()
    history.push(AddRun(project, {"id": "run-0"}))
    history.push(RenameRun(project, "run-1", "kept"))
    history.push(RemoveRun(project, "run-1"))
    assert [r.id for r in project.runs] == ["run-0"]
    history.undo()
    assert [(r.id, r.name) for r in project.runs] == [("run-1", "kept"), ("run-0", "")]
    history.undo()
    history.undo()
    assert project.runs == (RunRecord.from_json(RAW),) and len(events) == 6
    with pytest.raises(EditRefused):
        AddRun(project, {"id": ""})
