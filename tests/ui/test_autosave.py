"""Autosave every 20 edits and on a timer; recovery after the process is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from PySide6.QtWidgets import QMessageBox
from ui_helpers import chain_project, node_id, show

from nnstudio.core.graph.commands import SetParam
from nnstudio.core.project import Project
from nnstudio.ui.autosave import Autosaver, find_recoveries

REPO = Path(__file__).resolve().parents[2]

CRASHING_SESSION = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    from PySide6.QtCore import QCoreApplication, QSettings
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[2])
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    QCoreApplication.setOrganizationName("NN Studio Tests")
    QCoreApplication.setApplicationName("NN Studio Tests")
    from nnstudio.core.graph.commands import AddNode, Connect, SetParam
    from nnstudio.core.templates import build_template
    from nnstudio.ui.main_window import MainWindow
    window = MainWindow(data_dir=Path(sys.argv[1]), plugins=False)
    window.set_project(build_template("mlp"))
    g = window.graph
    h1, h2 = g.node_by_name("hidden_1").id, g.node_by_name("hidden_2").id
    for i in range(19):
        window.push(SetParam(g, h1 if i % 2 else h2, "units", 10 + i))
    add = AddNode(g, "Dropout", (40.0, 400.0))
    window.push(add)  # the 20th edit
    assert window.autosaver.saves == 1, window.autosaver.last_error
    print(json.dumps(g.to_json()), flush=True)
    time.sleep(120)
""")


def test_recovery_after_the_process_is_killed(
    make_window, keras_engine, tmp_path, isolated_settings
):
    data_dir = tmp_path / "data"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASHING_SESSION, str(data_dir), str(tmp_path / "crashed-settings")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        before_crash = json.loads(line)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    recoveries = find_recoveries(data_dir / "recovery")
    assert len(recoveries) == 1
    assert recoveries[0].name == "MLP for tabular data"

    window = make_window(engine=keras_engine, data_dir=data_dir)
    asked = []
    window.ask_restore = lambda rec: asked.append(rec) or QMessageBox.StandardButton.Yes
    window.startup()
    assert len(asked) == 1
    assert window.graph.to_json() == before_crash
    assert window.isWindowModified()
    assert not recoveries[0].path.exists()
    # The restored work is now this session's (its own file, held by a live lock).
    assert find_recoveries(data_dir / "recovery") == []


def test_twenty_edits_write_the_recovery_file(window):
    show(window, chain_project())
    saver = window.autosaver
    hidden = node_id(window, "hidden")
    for i in range(19):
        window.push(
            SetParam(window.graph, hidden if i % 2 else node_id(window, "scores"), "units", 3 + i)
        )
    assert saver.saves == 0 and not saver.path.exists()
    window.undo_stack.undo()  # undo and redo are edits too
    assert saver.saves == 1 and saver.path.exists()
    data = json.loads(saver.path.read_text())
    assert Project.from_json(data["project"]).graph.to_json() == window.graph.to_json()


def test_timer_autosaves_only_unsaved_work(qtbot, tmp_path):
    dirty = [False]
    project = Project(name="timed")
    saver = Autosaver(tmp_path, lambda: project, lambda: dirty[0], interval_ms=20)
    qtbot.wait(80)
    assert saver.saves == 0
    dirty[0] = True
    qtbot.waitUntil(lambda: saver.saves >= 1, timeout=2000)
    assert json.loads(saver.path.read_text())["project"]["name"] == "timed"
    saver.close()
    assert not saver.path.exists()


def test_save_and_clean_exit_remove_the_recovery_file(window, tmp_path):
    show(window, chain_project())
    window.push(SetParam(window.graph, node_id(window, "hidden"), "units", 5))
    assert window.autosaver.save_now()
    assert window.autosaver.path.exists()
    window.save_as(tmp_path / "saved")
    assert not window.autosaver.path.exists()
    window.push(SetParam(window.graph, node_id(window, "hidden"), "units", 6))
    window.autosaver.save_now()
    window.close_without_prompt()
    assert not window.autosaver.path.exists()


def test_a_live_sessions_file_is_not_offered_and_discard_removes(tmp_path):
    project = Project(name="live")
    live = Autosaver(tmp_path, lambda: project, lambda: True)
    assert live.save_now()
    assert find_recoveries(tmp_path) == []  # its lock is held by this (running) process
    live._lock.unlock()  # as if that session had died
    live._lock = None
    found = find_recoveries(tmp_path)
    assert [r.name for r in found] == ["live"]
    found[0].discard()
    assert find_recoveries(tmp_path) == []
    live.close()


def test_declining_restore_keeps_or_discards_the_file(make_window, keras_engine, tmp_path):
    folder = tmp_path / "data" / "recovery"
    project = Project(name="left over")
    dead = Autosaver(folder, lambda: project, lambda: True)
    dead.save_now()
    dead._lock.unlock()
    dead._lock = None
    window = make_window(engine=keras_engine)
    window.ask_restore = lambda rec: QMessageBox.StandardButton.Cancel
    window.startup()
    assert window.project.name != "left over"
    assert dead.path.exists()  # decide later: kept
    window.ask_restore = lambda rec: QMessageBox.StandardButton.Discard
    window.startup()
    assert not dead.path.exists()
    dead.close()
