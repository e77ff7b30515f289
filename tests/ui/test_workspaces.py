"""Workspaces: the mode bar, sizes on a laptop screen, per-workspace layouts, per-project
reset, F5 from any workspace, README shortcuts and the real launch path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from ui_helpers import chain_project, show

from nnstudio.core.graph.commands import MoveNodes
from nnstudio.ui.workspaces import DATA, DESIGN, INSIGHT, TRAIN, WORKSPACES, settings_key

REPO = Path(__file__).resolve().parents[2]
SPECIES = REPO / "resources" / "samples" / "species.csv"
RUN_TIMEOUT = 120_000


@pytest.fixture
def studio(make_window, keras_engine):
    """A main window with every plug-in and the engine ready."""
    from nnstudio.ui.training import TrainingController

    window = make_window(plugins=True, engine=keras_engine)
    return window, window.findChild(TrainingController)


def species_project():
    """The chain model fitted to the species sample (4 features, 3 classes)."""
    from nnstudio.core.data import config_for_path
    from nnstudio.core.graph.commands import SetParams

    project = chain_project()
    graph = project.graph
    features = graph.node_by_name("features")
    SetParams(graph, features.id, {"shape": (4,)}).redo()
    project.data = config_for_path(SPECIES).to_json()
    project.training = {"epochs": 2, "batch_size": 16}
    return project


def plots_in(page) -> list:
    return [
        w
        for w in page.findChildren(pg.GraphicsView)
        if w.isVisibleTo(page) and w.window() is page.window()
    ]


def test_mode_bar_switches_workspaces_and_builds_them_on_first_show(studio):
    window, _ctl = studio
    assert window.current_workspace() == DESIGN
    assert [a.text() for a in window.mode_bar.actions()] == [t for _, t, _ in WORKSPACES]
    assert not window.workspaces.pages[TRAIN].built  # nothing built before it is shown
    assert not window.workspaces.is_built("trainingCharts")
    window.workspace_actions[TRAIN].trigger()
    assert window.current_workspace() == TRAIN
    assert window.workspaces.pages[TRAIN].built
    assert window.stack.currentWidget() is window.workspaces.pages[TRAIN]
    assert not window.delete_action.isEnabled()  # canvas edits belong to Design
    QTest.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert window.current_workspace() == DATA
    assert window.data_dock.isVisibleTo(window)
    window.show_workspace(DESIGN)
    assert window.delete_action.isEnabled()


def test_window_fits_a_laptop_screen_and_plots_keep_their_height(studio):
    window, _ctl = studio
    for name, *_ in WORKSPACES:  # every panel built, the engine ready
        window.show_workspace(name)
        QApplication.processEvents()
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 700, hint
    window.resize(1366, 768)
    QApplication.processEvents()
    assert (window.width(), window.height()) == (1366, 768)
    for name in (TRAIN, INSIGHT):
        window.show_workspace(name)
        QApplication.processEvents()
        page = window.workspaces.pages[name]
        plots = plots_in(page)
        assert plots, name
        for plot in plots:
            assert plot.height() >= 200, (name, type(plot.parent()).__name__, plot.height())


def test_each_workspace_keeps_its_layout_and_reset_restores_it(make_window, keras_engine):
    first = make_window(plugins=True, engine=keras_engine)
    first.show_workspace(TRAIN)
    runs = first.workspaces.dock("runs")
    runs.close()
    first.issues_dock.close()
    first.close_without_prompt()
    assert QSettings().value(settings_key(TRAIN)) is not None

    second = make_window(plugins=True, engine=keras_engine)
    assert not second.issues_dock.isVisibleTo(second)  # Design's own layout came back
    second.show_workspace(TRAIN)
    assert second.workspaces.dock("runs").isHidden()
    assert not second.workspaces.dock("trainingSettings").isHidden()
    second.reset_layout_action.trigger()
    assert not second.workspaces.dock("runs").isHidden()
    second.show_workspace(DESIGN)
    assert second.issues_dock.isVisibleTo(second)
    assert QSettings().value(settings_key(TRAIN)) is None


def test_f5_in_the_data_workspace_trains_and_progress_shows_everywhere(studio, qtbot):
    window, ctl = studio
    show(window, species_project())
    window.show_workspace(DATA)
    with qtbot.waitSignal(ctl.worker.finished, timeout=RUN_TIMEOUT) as done:
        QTest.keyClick(window, Qt.Key.Key_F5)
        assert ctl.worker.is_running()
        assert window.run_progress.isVisibleTo(window)  # seen from the Data workspace
        assert window.current_workspace() == DATA
    assert done.args[0].status == "completed", done.args[0].message
    assert not window.run_progress.isVisibleTo(window)
    assert ctl.plots.point_count("loss", "epoch") == 2


def test_a_new_project_starts_with_empty_views(studio, qtbot, monkeypatch):
    window, ctl = studio
    show(window, species_project())
    window.show_workspace(TRAIN)
    with qtbot.waitSignal(ctl.worker.finished, timeout=RUN_TIMEOUT):
        assert ctl.start()
    assert ctl.plots.point_count("loss", "epoch") == 2
    assert ctl.evaluation.evaluation is not None
    assert ctl.panel.log_view.toPlainText()

    monkeypatch.setattr(window, "maybe_save", lambda: True)
    assert window.new_from_template("autoencoder")
    assert ctl.plots.point_count("loss", "epoch") == 0
    assert "accuracy" not in ctl.plots.plots  # only the charts a run of it logs
    assert ctl.evaluation.evaluation is None
    assert ctl.activations.latest == {}
    assert ctl.panel.log_view.toPlainText() == ""
    assert ctl.runs.run_ids() == []
    window.show_workspace(INSIGHT)  # the fresh widgets are the ones shown
    page = window.workspaces.pages[INSIGHT]
    assert page.central_panel() is ctl.activations


def test_selecting_on_the_train_map_selects_everywhere(studio):
    from nnstudio.ui.workspaces.train import GraphOverview

    window, _ctl = studio
    show(window, chain_project())
    window.show_workspace(TRAIN)
    QApplication.processEvents()
    overview = window.workspaces.widget("trainMap")
    assert isinstance(overview, GraphOverview)
    assert overview.scene() is window.canvas.graph_scene()
    overview.fit()
    hidden = window.graph.node_by_name("hidden")
    item = window.canvas.graph_scene().node_items[hidden.id]
    point = overview.mapFromScene(item.sceneBoundingRect().center())
    QTest.mouseClick(overview.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert window.inspector.node_id == hidden.id


def test_readme_shortcuts_arrange_and_fit(window):
    show(window, chain_project())
    hidden = window.graph.node_by_name("hidden").id
    window.push(MoveNodes(window.graph, {hidden: (280.0, 900.0)}))
    before = window.canvas.transform().m11()
    QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.graph.nodes[hidden].pos[1] != 900.0  # arranged (one undo step)
    assert window.undo_stack.undoText().lower().startswith(("arrange", "auto", "layout"))
    window.canvas.zoom_reset()
    window.canvas.zoom_in()
    window.canvas.zoom_in()
    zoomed = window.canvas.transform().m11()
    QTest.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert window.canvas.transform().m11() < zoomed
    assert before > 0


def test_restored_geometry_is_clamped_to_the_screen(make_window, keras_engine):
    first = make_window(engine=keras_engine)
    first.resize(5000, 4000)
    first.close_without_prompt()
    second = make_window(engine=keras_engine)
    avail = second.screen().availableGeometry()
    assert second.width() <= avail.width() and second.height() <= avail.height()


LAUNCH = r"""
import json, sys
from PySide6.QtCore import QSettings, QTimer
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1])
from nnstudio.ui.app import create_application, run_app
from PySide6.QtWidgets import QApplication
app = create_application()
result = {}
def poll():
    from nnstudio.ui.shell import MainWindow
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    if windows and windows[0].is_engine_ready() and windows[0]._plugins_installed:
        w = windows[0]
        w.show_workspace("train")
        result.update(project=w.project.name, workspaces=len(w.workspaces.pages),
                      nodes=len(w.graph.nodes), plugins=len(w.plugins))
        w.close_without_prompt()
        return
    QTimer.singleShot(100, poll)
QTimer.singleShot(100, poll)
code = run_app([])
print("RESULT " + json.dumps({**result, "code": code}), flush=True)
"""


def test_the_real_launch_path_opens_the_example_and_quits(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "QT_QPA_PLATFORM": "offscreen",
        "NNSTUDIO_DATA_DIR": str(tmp_path / "data"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCH, str(tmp_path / "settings")],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[7:])
    assert result["code"] == 0
    assert result["project"].startswith("Example") and result["nodes"] >= 5
    assert result["workspaces"] == len(WORKSPACES) and result["plugins"] >= 2
