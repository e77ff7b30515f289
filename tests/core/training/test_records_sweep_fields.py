"""The sweep, trial parameters and tags of a run record: read, checked, written only when set."""

from __future__ import annotations

import json

import pytest

from nnstudio.core.project import Project, ProjectError
from nnstudio.core.training.records import RunRecord, RunRecordError

OLD = {"id": "run-1", "name": "first", "status": "completed", "history": {"loss": [1.0, 0.5]}}
TRIAL = {
    **OLD,
    "sweep": "lr-search",
    "trial_params": {"learning_rate": 0.01, "hidden_1.units": 32, "optimizer": "adam"},
    "tags": ["baseline", "fast"],
}


def test_an_older_record_round_trips_byte_identically() -> None:
    text = json.dumps(OLD)
    record = RunRecord.from_json(json.loads(text))
    assert record.sweep is None and record.trial_params is None and record.tags == ()
    assert json.dumps(record.to_json()) == text


def test_the_new_fields_are_read_typed_and_written_back_in_place() -> None:
    text = json.dumps(TRIAL)
    record = RunRecord.from_json(json.loads(text))
    assert record.sweep == "lr-search" and record.trial_params["hidden_1.units"] == 32
    assert record.tags == ("baseline", "fast") and isinstance(record.tags, tuple)
    assert record["tags"] == ("baseline", "fast") and record.get("sweep") == "lr-search"
    assert json.dumps(record.to_json()) == text


def test_set_fields_are_written_and_cleared_fields_dropped() -> None:
    record = RunRecord.from_json(dict(OLD))
    tagged = record.replace(tags=["a", "b"], sweep="s1", trial_params={"batch_size": 16})
    assert tagged.tags == ("a", "b")  # a list given in code becomes a tuple
    out = tagged.to_json()
    assert list(out)[: len(OLD)] == list(OLD)  # the file's keys keep their place
    assert out["tags"] == ["a", "b"] and out["sweep"] == "s1"
    assert out["trial_params"] == {"batch_size": 16}
    assert RunRecord.from_json(out) == tagged
    assert set(RunRecord(id="run-3", name="x").to_json()) == {"id", "name"}
    cleared = RunRecord.from_json(out).replace(tags=(), sweep=None, trial_params=None)
    back = cleared.to_json()  # keys the file had stay, with their cleared values
    assert back["tags"] == [] and back["sweep"] is None and back["trial_params"] is None


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"sweep": 3}, "sweep"),
        ({"trial_params": [1, 2]}, "trial_params"),
        ({"trial_params": "lr=0.1"}, "trial_params"),
        ({"tags": "baseline"}, "tags"),
        ({"tags": ["ok", 2]}, "tags"),
        ({"tags": None}, "tags"),
    ],
)
def test_a_bad_new_key_is_refused_by_name(change, key) -> None:
    with pytest.raises(RunRecordError) as info:
        RunRecord.from_json({**TRIAL, **change})
    assert info.value.key == key and str(info.value).startswith(f"{key}: expected")


def test_a_bad_tag_list_in_a_project_file_is_one_located_error(tmp_path) -> None:
    path = tmp_path / "p.nnstudio"
    data = Project(name="p").to_json()
    data["runs"] = [dict(TRIAL), {**OLD, "id": "run-2", "tags": [None]}]
    path.write_text(json.dumps(data))
    with pytest.raises(ProjectError, match=r"runs\[1\]\.tags: expected a list of text"):
        Project.load(path)


def test_a_project_with_trial_runs_saves_them_unchanged(tmp_path) -> None:
    path = tmp_path / "p.nnstudio"
    data = Project(name="p").to_json()
    data["runs"] = [dict(OLD), dict(TRIAL, id="run-2")]
    path.write_text(json.dumps(data))
    project = Project.load(path)
    assert [r.sweep for r in project.runs] == [None, "lr-search"]
    project.save()
    assert json.loads(path.read_text())["runs"] == data["runs"]
