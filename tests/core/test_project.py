"""The project file: round trips, migration, refusal of newer files, hostile input, atomicity."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from nnstudio.core import atomic
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.project import FORMAT_VERSION, Project, ProjectError


def _project() -> Project:
    b = GraphBuilder()
    x = b.add("Input", shape=(28, 28, 1), pos=(1.5, 2))
    c = b.add("Conv2D", x, filters=8, kernel_size=(5, 5), padding="same")
    y = b.add("Dense", b.add("Flatten", c), units=3, activation="softmax")
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    return Project(
        graph=b.graph,
        name="Demo",
        description="d",
        training={"epochs": 3},
        data={"kind": "csv", "path": "x.csv"},
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_round_trip_is_exact(tmp_path) -> None:
    p = _project()
    path = p.save(tmp_path / "demo.nnstudio")
    q = Project.load(path)
    assert q.to_json() == p.to_json()
    assert q.graph.nodes["n1"].pos == (1.5, 2.0)
    assert q.graph.nodes["n2"].params["kernel_size"] == (5, 5)
    # Saving again gives the same bytes.
    first = path.read_bytes()
    q.save()
    assert path.read_bytes() == first


def test_unknown_keys_survive(tmp_path) -> None:
    path = tmp_path / "p.nnstudio"
    data = _project().to_json()
    data["plugin_settings"] = {"colour": "teal"}
    data["graph"]["nodes"][0]["note"] = "keep me"
    path.write_text(json.dumps(data))
    q = Project.load(path)
    q.save()
    again = json.loads(path.read_text())
    assert again["plugin_settings"] == {"colour": "teal"}
    assert again["graph"]["nodes"][0]["note"] == "keep me"


def test_version_one_file_migrates(tmp_path) -> None:
    v1 = {
        "format_version": 1,
        "app_version": "0.0.1",
        "name": "Old",
        "extra_key": 1,
        "layers": [
            {"id": "a", "class": "Input", "name": "inp", "config": {"shape": [4]}, "x": 5, "y": 6},
            {"id": "b", "class": "Dense", "name": "out", "config": {"units": 2}, "x": 9, "y": 6},
        ],
        "connections": [{"from": "a", "to": "b", "port": "in"}],
        "outputs": [{"layer": "b", "loss": "mse", "metrics": ["mae"]}],
    }
    path = tmp_path / "old.nnstudio"
    path.write_text(json.dumps(v1))
    p = Project.load(path)
    assert p.graph.nodes["a"].pos == (5.0, 6.0)
    assert p.graph.nodes["b"].params["units"] == 2
    assert [(o.node, o.loss, o.metrics) for o in p.graph.outputs] == [("b", "mse", ["mae"])]
    assert p.extra == {"extra_key": 1}
    assert p.to_json()["format_version"] == FORMAT_VERSION


def test_newer_file_is_refused_clearly(tmp_path) -> None:
    data = _project().to_json()
    data.update(
        format_version=FORMAT_VERSION + 3, min_reader_version=FORMAT_VERSION + 1, app_version="9.0"
    )
    path = tmp_path / "new.nnstudio"
    path.write_text(json.dumps(data))
    with pytest.raises(ProjectError, match="saved by NN Studio 9.0 and needs a newer"):
        Project.load(path)


def test_newer_file_readable_by_us_keeps_its_keys(tmp_path) -> None:
    data = _project().to_json()
    data.update(format_version=FORMAT_VERSION + 1, future={"a": 1})
    path = tmp_path / "f.nnstudio"
    path.write_text(json.dumps(data))
    assert Project.load(path).extra["future"] == {"a": 1}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b'{"format_version": 2, "graph": {"nodes": [', "line 1"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"name": "x"}', "no valid format_version"),
        (
            b'{"format_version": 2, "graph": {"nodes": [{"id": "a", "type": "Bogus"}]}}',
            r"graph.nodes\[0\].type: unknown layer type 'Bogus'",
        ),
        (
            b'{"format_version": 2, "graph": {"nodes": [{"id": "a", "type": "Dense", "pos": "x"}]}}',
            r"graph.nodes\[0\].pos",
        ),
        (
            b'{"format_version": 2, "graph": {"nodes": [], "edges": [{"from": "a", "to": "b"}]}}',
            r"graph.edges\[0\].from: no node",
        ),
        (
            b'{"format_version": 2, "graph": {"nodes": [{"id": "a", "type": "Dense", '
            b'"params": {"units": {"x": 1}}}]}}',
            r"params.units",
        ),
        (b'{"format_version": 2, "x": NaN}', "NaN is not allowed"),
        (b'{"format_version": 2, "x": 1e999}', "out of range"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"format_version": 2, "runs": "no"}', "runs"),
        (b'{"format_version": true}', "format_version"),
    ],
)
def test_malformed_and_hostile_files_give_clear_errors(tmp_path, content, message) -> None:
    path = tmp_path / "bad.nnstudio"
    path.write_bytes(content)
    with pytest.raises(ProjectError, match=message):
        Project.load(path)


def test_missing_file_and_folder(tmp_path) -> None:
    with pytest.raises(ProjectError, match="no such file"):
        Project.load(tmp_path / "nope.nnstudio")
    with pytest.raises(ProjectError, match="is a folder"):
        Project.load(tmp_path)


def test_oversized_file_is_refused_before_reading(tmp_path, monkeypatch) -> None:
    from nnstudio.core import project as project_module

    path = _project().save(tmp_path / "big.nnstudio")
    size = path.stat().st_size
    Project.load(path)  # under the default cap
    monkeypatch.setattr(project_module, "MAX_FILE_BYTES", size - 1)
    with pytest.raises(ProjectError, match="too large") as caught:
        Project.load(path)  # the real entry point honours the patched cap
    assert caught.value.file == "big.nnstudio"
    monkeypatch.setattr(project_module, "MAX_FILE_BYTES", size)
    Project.load(path)


def test_failed_save_leaves_previous_file_byte_identical(tmp_path, monkeypatch) -> None:
    path = _project().save(tmp_path / "p.nnstudio")
    before = _sha(path)
    changed = _project()
    changed.name = "Changed"

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(ProjectError, match="No space left"):
        changed.save(path)
    monkeypatch.undo()
    assert _sha(path) == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.nnstudio"]  # no temp file left


def test_failed_write_midway_leaves_previous_file(tmp_path, monkeypatch) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    real_fsync = os.fsync

    def failing_fsync(fd):
        raise OSError(5, "I/O error")

    monkeypatch.setattr(atomic.os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        atomic.atomic_write_bytes(path, b"new content")
    monkeypatch.setattr(atomic.os, "fsync", real_fsync)
    assert path.read_bytes() == b"old"
    assert len(list(tmp_path.iterdir())) == 1


def test_read_only_folder_save_fails_cleanly(tmp_path, monkeypatch) -> None:
    # Simulated: the tests may run as root, which ignores folder permissions.
    path = _project().save(tmp_path / "p.nnstudio")
    before = _sha(path)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", denied)
    with pytest.raises(ProjectError, match="could not save .*Permission denied"):
        _project().save(path)
    assert _sha(path) == before


def test_atomic_dir_replaces_and_restores(tmp_path) -> None:
    target = tmp_path / "saved"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic.atomic_dir(target) as tmp:
        (tmp / "new.txt").write_text("new")
        raise RuntimeError("converter failed")
    assert (target / "old.txt").read_text() == "old"
    with atomic.atomic_dir(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved"]


# -- nothing left behind, nothing lost (issue 11) ----------------------------------------------


def _age(path: Path, seconds: float) -> None:
    old = path.stat().st_mtime - seconds
    os.utime(path, (old, old))


def test_save_removes_stale_temporaries_of_its_own_naming_only(tmp_path) -> None:
    path = _project().save(tmp_path / "p.nnstudio")
    stale = tmp_path / ".p.nnstudio.k2j3h4g5.nnstudio"
    fresh = tmp_path / ".p.nnstudio.a1b2c3d4.nnstudio"
    other_target = tmp_path / ".q.nnstudio.a1b2c3d4.nnstudio"
    lookalikes = [tmp_path / ".p.nnstudio.bak", tmp_path / ".p.nnstudio.ABCDEFGH.nnstudio"]
    for f in [stale, fresh, other_target, *lookalikes]:
        f.write_bytes(b"x" * 100)
    for f in [stale, other_target, *lookalikes]:
        _age(f, 3600)
    Project.load(path).save()
    assert not stale.exists()
    assert fresh.exists() and other_target.exists()  # too young / another target's
    assert all(f.exists() for f in lookalikes)  # not our exact naming


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_stale_temporary_held_open_is_kept(tmp_path) -> None:
    path = _project().save(tmp_path / "p.nnstudio")
    held = tmp_path / ".p.nnstudio.zz11yy22.nnstudio"
    held.write_bytes(b"partial")
    _age(held, 3600)
    with open(held, "rb"):
        assert atomic.remove_stale_temporaries(path) == []
        assert held.exists()
    assert atomic.remove_stale_temporaries(path) == [held]


def test_recovery_folder_sweep_removes_stale_files_and_folders(tmp_path) -> None:
    tmp_file = tmp_path / ".s1.nnstudio-recovery.abcdefgh.nnstudio-recovery"
    tmp_dir = tmp_path / ".run-1.q1w2e3r4.tmp"
    keep = [tmp_path / "s1.nnstudio-recovery", tmp_path / "s1.lock", tmp_path / ".hidden.txt"]
    tmp_file.write_text("{}")
    tmp_dir.mkdir()
    (tmp_dir / "model.keras").write_bytes(b"k")
    for f in keep:
        f.write_text("keep")
    for f in [tmp_file, tmp_dir, *keep]:
        _age(f, 3600)
    removed = atomic.clean_stale_temporaries(tmp_path)
    assert sorted(removed) == sorted([tmp_file, tmp_dir])
    assert all(f.exists() for f in keep)
    assert atomic.clean_stale_temporaries(tmp_path / "missing") == []


def test_unknown_keys_survive_in_edges_and_outputs(tmp_path) -> None:
    from nnstudio.core.graph.commands import History, SetOutput

    path = tmp_path / "p.nnstudio"
    data = _project().to_json()
    data["graph"]["edges"][0]["style"] = {"dash": True}
    data["graph"]["outputs"][0]["threshold"] = 0.7
    path.write_text(json.dumps(data))
    q = Project.load(path)
    # An edit of the output keeps what this version does not know about it.
    node = q.graph.outputs[0].node
    History().push(SetOutput(q.graph, node, "mse", 1.0, ["mae"]))
    q.save()
    again = json.loads(path.read_text())
    assert again["graph"]["edges"][0]["style"] == {"dash": True}
    assert again["graph"]["outputs"][0]["threshold"] == 0.7
    assert again["graph"]["outputs"][0]["loss"] == "mse"


def _v1_file(path: Path) -> bytes:
    v1 = {
        "format_version": 1,
        "name": "Old",
        "layers": [{"id": "a", "class": "Input", "config": {"shape": [4]}}],
    }
    path.write_text(json.dumps(v1))
    return path.read_bytes()


def test_first_save_of_a_migrated_file_keeps_a_backup(tmp_path) -> None:
    path = tmp_path / "old.nnstudio"
    original = _v1_file(path)
    p = Project.load(path)
    assert p.migrated_from == 1 and any("old.nnstudio.bak" in w for w in p.warnings)
    p.save()
    backup = tmp_path / "old.nnstudio.bak"
    assert backup.read_bytes() == original
    assert p.backup_path == backup and "old.nnstudio.bak" in p.save_notes[0]
    assert json.loads(path.read_text())["format_version"] == FORMAT_VERSION
    p.name = "again"
    p.save()  # later saves are in the new format already: no second backup
    assert p.save_notes == [] and sorted(f.name for f in tmp_path.iterdir()) == [
        "old.nnstudio",
        "old.nnstudio.bak",
    ]


def test_migrated_file_saved_elsewhere_needs_no_backup(tmp_path) -> None:
    path = tmp_path / "old.nnstudio"
    _v1_file(path)
    Project.load(path).save(tmp_path / "new.nnstudio")
    assert sorted(f.name for f in tmp_path.iterdir()) == ["new.nnstudio", "old.nnstudio"]


def test_newer_readable_file_warns_and_keeps_its_version(tmp_path) -> None:
    data = _project().to_json()
    data.update(
        format_version=FORMAT_VERSION + 1, min_reader_version=FORMAT_VERSION, app_version="3.1"
    )
    path = tmp_path / "f.nnstudio"
    path.write_text(json.dumps(data))
    p = Project.load(path)
    assert len(p.warnings) == 1 and "NN Studio 3.1" in p.warnings[0]
    assert f"format {FORMAT_VERSION + 1}" in p.warnings[0]
    p.save()
    again = json.loads(path.read_text())
    assert again["format_version"] == FORMAT_VERSION + 1
    assert again["min_reader_version"] == FORMAT_VERSION
    (reopened,) = Project.load(path).warnings  # still newer than us: still a warning
    assert f"format {FORMAT_VERSION + 1}" in reopened
    assert _project().warnings == []


# -- typed state (issue 12) -----------------------------------------------------------------


def test_data_and_training_are_typed_and_keep_unknown_keys(tmp_path) -> None:
    from nnstudio.core.data.config import DataConfig
    from nnstudio.core.training.config import TrainingConfig

    path = tmp_path / "p.nnstudio"
    data = _project().to_json()
    data["data"]["future_option"] = [1, 2]
    data["training"]["future_setting"] = "x"
    data["runs"] = [{"id": "run-1", "status": "completed", "extra_field": {"a": 1}}]
    path.write_text(json.dumps(data))
    p = Project.load(path)
    assert isinstance(p.data, DataConfig) and p.data.kind == "csv"
    assert isinstance(p.training, TrainingConfig) and p.training.epochs == 3
    p.save()
    again = json.loads(path.read_text())
    assert again["data"]["future_option"] == [1, 2]
    assert again["training"]["future_setting"] == "x"
    assert again["runs"][0]["extra_field"] == {"a": 1}


def test_a_bad_training_section_opens_with_a_warning_and_is_not_lost(tmp_path) -> None:
    path = tmp_path / "p.nnstudio"
    data = _project().to_json()
    data["training"] = {"epochs": -5, "keep": 1}
    path.write_text(json.dumps(data))
    p = Project.load(path)
    assert p.training.epochs == 10  # the defaults are used
    assert any("training.epochs" in w for w in p.warnings)
    p.save()
    assert json.loads(path.read_text())["training"] == {"epochs": -5, "keep": 1}
    p.training = p.training.replace(epochs=4)  # a change replaces the bad section
    p.save()
    assert json.loads(path.read_text())["training"]["epochs"] == 4


def test_project_emits_change_events_and_edits_undo() -> None:
    from nnstudio.core.graph import EditRefused
    from nnstudio.core.graph.commands import History
    from nnstudio.core.project_commands import (
        AddRun,
        RemoveRun,
        RenameRun,
        SetDataSource,
        SetTraining,
    )

    p = _project()
    seen: list[str] = []
    p.subscribe(lambda ev, payload: seen.append(ev))
    h = History()
    h.push(SetTraining(p, epochs=5))
    h.push(SetTraining(p, epochs=6))  # the same field merges
    assert p.training.epochs == 6 and len(h) == 1
    h.push(SetDataSource(p, {"kind": "numpy", "path": "x.npy"}))
    h.push(AddRun(p, {"id": "run-1", "name": "first"}))
    h.push(RenameRun(p, "run-1", "baseline"))
    h.push(AddRun(p, {"id": "run-2"}))
    h.push(RemoveRun(p, "run-1"))
    assert [r["id"] for r in p.runs] == ["run-2"]
    assert {"training_changed", "data_changed", "runs_changed"} <= set(seen)
    while h.undo():
        pass
    assert p.to_json() == _project().to_json()
    with pytest.raises(EditRefused, match="training.epochs"):
        SetTraining(p, epochs=0)
    with pytest.raises(EditRefused, match="already exists"):
        History().push(AddRun(p, {"id": "r"})) and AddRun(p, {"id": "r"})
    with pytest.raises(EditRefused):
        SetDataSource(p, {"kind": "nope", "path": "x"})


# -- data paths relative to the project file --------------------------------------------------


def _with_data(path: str) -> Project:
    p = _project()
    p.data = {"kind": "images", "path": path}
    return p


@pytest.mark.parametrize(
    ("where", "stored"),
    [
        ("proj/digits", "digits"),
        ("proj/data/digits", "data/digits"),
        ("samples/digits", "../samples/digits"),
    ],
)
def test_data_paths_near_the_project_are_stored_relative(tmp_path, where, stored) -> None:
    (tmp_path / where).mkdir(parents=True)
    target = tmp_path / "proj" / "p.nnstudio"
    target.parent.mkdir(exist_ok=True)
    _with_data(str(tmp_path / where)).save(target)
    assert json.loads(target.read_text())["data"]["path"] == stored
    loaded = Project.load(target)
    assert Path(loaded.data.path) == tmp_path / where
    from nnstudio.core.project import project_issues

    assert project_issues(loaded) == []
    # Moving the whole folder keeps the data found.
    moved = tmp_path / "moved"
    moved.mkdir()
    os.replace(tmp_path / "proj", moved / "proj")
    if where.startswith("samples"):
        os.replace(tmp_path / "samples", moved / "samples")
    assert Path(Project.load(moved / "proj" / "p.nnstudio").data.path) == moved / where


def test_data_paths_elsewhere_stay_absolute(tmp_path) -> None:
    far = tmp_path / "a" / "b" / "digits"
    far.mkdir(parents=True)
    target = tmp_path / "x" / "y" / "p.nnstudio"
    target.parent.mkdir(parents=True)
    _with_data(str(far)).save(target)
    assert json.loads(target.read_text())["data"]["path"] == str(far)


def test_missing_data_path_is_a_located_issue(tmp_path) -> None:
    from nnstudio.core.project import project_issues

    target = tmp_path / "p.nnstudio"
    _with_data(str(tmp_path / "digits")).save(target)
    (issue,) = project_issues(Project.load(target))
    assert issue.severity == "error" and issue.code == "data-missing"
    assert issue.message == "data folder 'digits' not found" and "Re-locate" in issue.hint
