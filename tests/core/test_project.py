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

    path = tmp_path / "big.nnstudio"
    path.write_bytes(b" " * 2048)
    monkeypatch.setattr(project_module, "MAX_FILE_BYTES", 1024)
    with pytest.raises(ProjectError, match="too large"):
        project_module.read_json_file(path, max_bytes=1024)


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
