"""New, Open, Save, Save As, Recent, Close: titles, prompts and bad files."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QMessageBox
from ui_helpers import chain_project, node_id, show

from nnstudio.core.graph.commands import AddNode, SetParam
from nnstudio.core.project import Project


def test_save_and_open_round_trip(window, tmp_path):
    show(window, chain_project())
    window.push(AddNode(window.graph, "Dropout", (100.0, 300.0)))
    window.push(SetParam(window.graph, node_id(window, "hidden"), "units", 24))
    assert window.isWindowModified()
    before = window.graph.to_json()

    target = tmp_path / "model"
    assert window.save_as(target)
    saved = tmp_path / "model.nnstudio"
    assert saved.is_file()
    assert not window.isWindowModified()
    assert window.windowTitle().startswith("model.nnstudio")

    window.new_project()
    assert not window.graph.nodes
    assert window.open_path(saved)
    assert window.graph.to_json() == before
    assert window.project.path == saved
    assert window.undo_stack.count() == 0
    assert window.recent_files()[0] == str(saved.resolve())


def test_title_star_follows_edits_undo_and_save(window, tmp_path):
    show(window, chain_project())
    window.save_as(tmp_path / "t.nnstudio")
    assert "[*]" in window.windowTitle() and not window.isWindowModified()
    window.push(SetParam(window.graph, node_id(window, "hidden"), "units", 5))
    assert window.isWindowModified()
    window.undo_stack.undo()
    assert not window.isWindowModified()  # back at the saved state
    window.push(SetParam(window.graph, node_id(window, "hidden"), "units", 6))
    assert window.save()
    assert not window.isWindowModified()
    assert (
        json.loads((tmp_path / "t.nnstudio").read_text())["graph"]["nodes"][1]["params"]["units"]
        == 6
    )


def test_opening_a_bad_or_newer_file_shows_the_message_and_keeps_the_project(window, tmp_path):
    show(window, chain_project())
    window.push(SetParam(window.graph, node_id(window, "hidden"), "units", 9))
    before = window.graph.to_json()
    project = window.project
    errors: list[tuple[str, str]] = []
    window.show_error = lambda title, text: errors.append((title, text))

    damaged = tmp_path / "damaged.nnstudio"
    damaged.write_text('{"format_version": 2, "graph": {"nodes": [}')
    assert not window.open_path(damaged)
    assert "line 1" in errors[-1][1] and "damaged.nnstudio" in errors[-1][1]

    newer = tmp_path / "newer.nnstudio"
    data = Project().to_json()
    data.update(format_version=99, min_reader_version=99, app_version="9.0")
    newer.write_text(json.dumps(data))
    assert not window.open_path(newer)
    assert "needs a newer NN Studio" in errors[-1][1]

    assert window.project is project
    assert window.graph.to_json() == before
    assert window.isWindowModified()
    assert window.undo_stack.count() == 1


def test_unsaved_changes_prompt_cancel_discard_and_save(window, tmp_path):
    show(window, chain_project())
    window.push(SetParam(window.graph, node_id(window, "hidden"), "units", 7))
    answers = [QMessageBox.StandardButton.Cancel]
    window.ask_unsaved = lambda: answers.pop(0)
    assert not window.new_project()
    assert window.graph.node_by_name("hidden") is not None  # cancelled: nothing changed

    answers.append(QMessageBox.StandardButton.Save)
    window.ask_save_path = lambda: str(tmp_path / "kept")
    assert window.new_project()
    assert (tmp_path / "kept.nnstudio").is_file()
    assert not window.graph.nodes

    assert window.open_path(tmp_path / "kept.nnstudio")
    window.push(SetParam(window.graph, node_id(window, "hidden"), "units", 8))
    answers.append(QMessageBox.StandardButton.Discard)
    assert window.close_project()
    assert not window.graph.nodes and not window.isWindowModified()


def test_close_window_with_unsaved_changes_can_be_cancelled(window):
    show(window, chain_project())
    window.push(SetParam(window.graph, node_id(window, "hidden"), "units", 7))
    window.ask_unsaved = lambda: QMessageBox.StandardButton.Cancel
    assert not window.close()
    assert window.isVisible()


def test_failed_save_keeps_the_previous_file_and_says_why(window, tmp_path, monkeypatch):
    import errno
    import os

    from nnstudio.core import atomic

    show(window, chain_project())
    target = tmp_path / "keep.nnstudio"
    assert window.save_as(target)
    original = target.read_bytes()
    errors: list[str] = []
    window.show_error = lambda title, text: errors.append(text)
    window.push(SetParam(window.graph, node_id(window, "hidden"), "units", 3))

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "replace", full_disk)
    assert not window.save()
    assert "No space left on device" in errors[-1]
    assert target.read_bytes() == original
    assert window.isWindowModified()


def test_recent_files_menu_lists_newest_first(window, tmp_path):
    show(window, chain_project())
    for name in ("a", "b", "c"):
        window.save_as(tmp_path / name)
    assert [p.rsplit("/", 1)[-1] for p in window.recent_files()[:3]] == [
        "c.nnstudio",
        "b.nnstudio",
        "a.nnstudio",
    ]
    window._fill_recent_menu()
    texts = [a.text() for a in window.recent_menu.actions() if a.text()]
    assert texts[:3] == ["c.nnstudio", "b.nnstudio", "a.nnstudio"]
    window.recent_menu.actions()[2].trigger()
    assert window.project.path.name == "a.nnstudio"


def test_new_from_template_opens_the_template(window):
    window.new_from_template("residual_cnn")
    names = {n.name for n in window.graph.nodes.values()}
    assert {"stem", "block1_add", "block2_add", "digit"} <= names
    assert window.project.path is None
    assert not window.isWindowModified()
