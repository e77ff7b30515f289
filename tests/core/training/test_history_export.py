"""Grouping runs and exporting every run's history to one long-format CSV or JSON file."""

from __future__ import annotations

import csv
import json

import pytest

from nnstudio.core.graph.commands import History
from nnstudio.core.graph.model import EditRefused
from nnstudio.core.project import Project
from nnstudio.core.project_commands import SetRunTags
from nnstudio.core.training.history_export import (
    COLUMNS,
    HistoryExportError,
    export_histories,
    group_of,
    history_rows,
    run_groups,
)
from nnstudio.core.training.records import RunRecord

RUNS = [
    RunRecord(id="a", sweep="lr", tags=("base",), history={"loss": [1.0, 0.5], "val_loss": [1.5]}),
    RunRecord(id="b", sweep="lr", history={"loss": [0.9, None, 0.25]}),
    RunRecord(id="c", tags=("fast", "base"), history={"accuracy": [0.5]}),
]


def test_runs_group_by_sweep_by_first_tag_or_not_at_all() -> None:
    assert run_groups(RUNS, "sweep") == {"a": "lr", "b": "lr", "c": None}
    assert run_groups(RUNS, "tag") == {"a": "base", "b": None, "c": "fast"}
    assert set(run_groups(RUNS, "none").values()) == {None}
    with pytest.raises(ValueError, match="group by 'colour'"):
        group_of(RUNS[0], "colour")


def test_rows_are_long_format_without_missing_values() -> None:
    rows = list(history_rows(RUNS, run_groups(RUNS, "sweep")))
    assert rows[:3] == [
        ("a", "lr", 1, "loss", 1.0),
        ("a", "lr", 2, "loss", 0.5),
        ("a", "lr", 1, "val_loss", 1.5),
    ]
    assert ("b", "lr", 3, "loss", 0.25) in rows and len(rows) == 6  # the None is left out
    assert rows[-1] == ("c", "", 1, "accuracy", 0.5)


def test_csv_export_reads_back(tmp_path) -> None:
    path = tmp_path / "histories.csv"
    assert export_histories(RUNS, path, by="tag") == 6
    with path.open(newline="") as fh:
        table = list(csv.reader(fh))
    assert tuple(table[0]) == COLUMNS
    assert table[1] == ["a", "base", "1", "loss", "1.0"]
    assert ["c", "fast", "1", "accuracy", "0.5"] in table


def test_json_export_reads_back_and_matches_the_rows(tmp_path) -> None:
    path = tmp_path / "histories.json"
    export_histories(RUNS, path)
    data = json.loads(path.read_text())
    assert data["columns"] == list(COLUMNS)
    assert [tuple(r) for r in data["rows"]] == list(history_rows(RUNS, run_groups(RUNS, "sweep")))


def test_a_failed_export_leaves_the_old_file_and_says_why(tmp_path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("old\n")
    with pytest.raises(HistoryExportError, match="choose a .csv or .json"):
        export_histories(RUNS, tmp_path / "h.xlsx")
    with pytest.raises(HistoryExportError, match="cannot write it"):
        export_histories(RUNS, tmp_path / "no-such-folder" / "h.csv")
    assert path.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["h.csv"]


def test_set_run_tags_is_one_undo_step_with_tidy_tags() -> None:
    project = Project(runs=[r.to_json() for r in RUNS])
    history = History()
    history.push(SetRunTags(project, "b", [" slow ", "", "slow", "base"]))
    assert project.runs[1].tags == ("slow", "base")
    assert run_groups(project.runs, "tag")["b"] == "slow"
    history.undo()
    assert project.runs[1].tags == () and "tags" not in project.runs[1].to_json()
    history.redo()
    assert project.to_json()["runs"][1]["tags"] == ["slow", "base"]
    with pytest.raises(EditRefused, match="no run"):
        SetRunTags(project, "zz", [])
    with pytest.raises(EditRefused, match="list of text"):
        SetRunTags(project, "a", "base")
