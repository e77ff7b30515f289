"""The Experiments workspace: "Sweep this", specs checked as typed, a real two-trial sweep
in the background (recorded as runs, resumable), the trials table's sorting and filtering,
the parallel coordinates, the curves, and "Apply to the project" as one undo step."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QMenu
from test_workspaces import plots_in, species_project
from ui_helpers import chain_project, node_id, show

from nnstudio.core.project import Project
from nnstudio.core.sweeps import SweepError, TrialResult
from nnstudio.core.training.runs import runs_root
from nnstudio.ui import param_editors
from nnstudio.ui.param_editors import SWEEP_TEXT
from nnstudio.ui.sweeps import SweepController
from nnstudio.ui.sweeps.controller import PROJECT_KEY
from nnstudio.ui.sweeps.results import BEST_COLOR, ResultsPanel
from nnstudio.ui.workspaces import EXPERIMENTS

SWEEP_TIMEOUT = 180_000


@pytest.fixture
def studio(make_window, keras_engine):
    """A window with every plug-in, the engine ready, and the sweep controller."""
    window = make_window(plugins=True, engine=keras_engine)
    return window, window.findChild(SweepController)


def trial(number, units, loss, status="completed", optimizer="adam"):
    return TrialResult(
        number,
        {"hidden.units": units, "optimizer": optimizer},
        status,
        final={"val_loss": loss, "loss": loss},
        best={"val_loss": loss},
        epochs=1,
        record=None,
    )


TRIALS = [trial(1, 8, 0.9), trial(2, 64, 0.3), trial(3, 16, 0.6, "pruned", "sgd")]


def choose_sweep_this(monkeypatch):
    """Right-clicks pick "Sweep this" instead of opening a menu that waits for the mouse."""

    def pick(menu: QMenu, _at: QPoint) -> None:
        next(a for a in menu.actions() if a.text() == SWEEP_TEXT).trigger()

    monkeypatch.setattr(param_editors, "run_menu", pick)


def test_sweep_this_in_the_inspector_and_the_add_menu(studio, monkeypatch):
    window, ctl = studio
    show(window, chain_project())
    choose_sweep_this(monkeypatch)
    window.select_nodes([node_id(window, "hidden")])
    editor = window.inspector.editors["units"]
    editor.field.customContextMenuRequested.emit(QPoint(2, 2))
    rows = ctl.definition.rows
    assert list(rows) == ["hidden.units"]
    assert rows["hidden.units"].edit.text() == "8..32:log"  # half to twice the 16 units
    label = next(w for w in window.inspector.findChildren(QLabel) if w.text() == "activation")
    label.customContextMenuRequested.emit(QPoint(2, 2))  # the label offers it too
    assert list(rows) == ["hidden.units", "hidden.activation"]
    assert "relu" in rows["hidden.activation"].edit.text().split(",")
    menu = ctl.definition.add_menu
    ctl.definition.fill_add_menu()
    training = next(a.menu() for a in menu.actions() if a.text() == "Training settings")
    names = [a.text() for a in training.actions()]
    assert names[:4] == ["learning_rate", "batch_size", "optimizer", "epochs"]
    next(a for a in training.actions() if a.text() == "learning_rate").trigger()
    assert rows["learning_rate"].edit.text() == "0.0001..0.01:log"
    layers = next(a.menu() for a in menu.actions() if a.text() == "Layer parameters")
    units = next(a for a in layers.actions() if a.text() == "hidden.units")
    assert not units.isEnabled()  # swept already
    stored = window.project.extra[PROJECT_KEY]["params"]
    assert [p["name"] for p in stored] == ["hidden.units", "hidden.activation", "learning_rate"]
    assert window.is_modified()


def test_specs_are_checked_as_they_are_typed(studio):
    window, ctl = studio
    show(window, chain_project())
    window.show_workspace(EXPERIMENTS)
    ctl.add_param("hidden.units")
    row = ctl.definition.rows["hidden.units"]
    row.edit.setText("8..x")
    assert row.error.isVisibleTo(row) and "'x' is not a number" in row.error.text()
    row.edit.setText("0..4")  # below the catalog's minimum of 1
    assert row.error.isVisibleTo(row) and row.error.text().startswith("hidden.units")
    with pytest.raises(SweepError):
        ctl.definition.config()
    assert not ctl.start()  # refused with the reason shown
    assert ctl.definition.status.text()
    row.edit.setText("16, 32,64")
    assert not row.error.isVisibleTo(row)
    config = ctl.definition.config()
    assert config.params[0].choices == (16, 32, 64)
    assert not ctl.add_param("hidden.nothing")  # no such parameter: a message, no row
    assert "hidden.nothing" not in ctl.definition.rows


def test_a_real_sweep_runs_in_the_background_and_records_its_trials(studio, qtbot, tmp_path):
    window, ctl = studio
    project = species_project()
    project.training = {"epochs": 1, "batch_size": 64, "probe_budget": 0.0}
    project.save(tmp_path / "species.nnsp")
    show(window, Project.load(tmp_path / "species.nnsp"))
    window.show_workspace(EXPERIMENTS)
    d = ctl.definition
    d.add_param(("hidden.units", "4,8"))
    d.strategy.setCurrentIndex(d.strategy.findData("grid"))
    d.pruner.setCurrentIndex(d.pruner.findData("none"))
    d.trials.setValue(2)
    assert ctl.start()
    assert window.graph_locked_reason()  # the model is held while the sweep runs
    assert not ctl.apply("best")
    from nnstudio.ui.training import TrainingController

    training = window.findChild(TrainingController)
    assert not training.start()  # F5 is refused while the sweep holds the model
    assert "a sweep is running" in training.panel.status_label.text()
    qtbot.waitUntil(lambda: not ctl.is_running(), timeout=SWEEP_TIMEOUT)
    assert window.graph_locked_reason() is None
    table = ctl.results
    assert table.model.rowCount() == 2, d.status.text()
    assert sorted(t.params["hidden.units"] for t in ctl.trials) == [4, 8]
    runs = window.project.runs
    assert len(runs) == 2  # recorded like any run: the Runs view lists them
    window.show_workspace("train")
    assert set(training.runs.run_ids()) == {r.id for r in runs}
    folder = ctl.folder
    assert folder.parent == runs_root(window.project) / "sweeps"
    assert (folder / "trials.csv").is_file()
    assert window.project.extra[PROJECT_KEY]["folder"].startswith("species.runs/sweeps/")
    assert len(ctl.parallel.lines) == 2
    table.table.selectAll()
    assert set(ctl.curves.curves) == {1, 2}
    assert ctl.curves.quantity.currentText() == "val_loss"
    assert all(ctl.parallel.is_highlighted(n) for n in (1, 2))
    assert ctl.start(resume=True)  # the budget is spent: it ends at once, nothing new
    qtbot.waitUntil(lambda: not ctl.is_running(), timeout=SWEEP_TIMEOUT)
    assert table.model.rowCount() == 2 and len(window.project.runs) == 2
    data = json.loads(window.project.dumps())
    reopened = Project.from_json(data, base=tmp_path)
    reopened.path = tmp_path / "species.nnsp"
    show(window, reopened)  # the definition and the trials come back with the project
    assert list(ctl.definition.rows) == ["hidden.units"]
    assert ctl.results.model.rowCount() == 2


def test_the_table_sorts_numerically_filters_and_marks_the_best(qtbot):
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.reset(["hidden.units", "optimizer"], "val_loss", TRIALS)
    proxy = panel.proxy
    column = panel.model.columns().index("hidden.units")

    def shown(col):
        return [proxy.index(r, col).data() for r in range(proxy.rowCount())]

    panel.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    assert shown(column) == ["8", "16", "64"]  # numbers, not text ("16" < "64" < "8")
    panel.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    assert shown(column) == ["64", "16", "8"]
    panel.table.sortByColumn(panel.model.columns().index("status"), Qt.SortOrder.AscendingOrder)
    assert shown(panel.model.columns().index("status")) == ["completed", "completed", "pruned"]
    panel.filter_edit.setText("units>=16")
    assert sorted(shown(column), key=int) == ["16", "64"]
    assert panel.count_label.text() == "2 of 3 trials"
    panel.filter_edit.setText("status=completed, val_loss<0.5")
    assert shown(0) == ["2"]
    panel.filter_edit.setText("sgd")  # a bare word: anywhere in the row
    assert shown(0) == ["3"]
    panel.filter_edit.setText("nosuch>3")
    assert panel.filter_error.isVisibleTo(panel) and "nosuch" in panel.filter_error.text()
    assert proxy.rowCount() == 1  # the last good filter stays
    panel.filter_edit.clear()
    assert panel.model.best_number == 2
    best_row = next(r for r in range(3) if panel.model.trial_at(r).number == 2)
    brush = panel.model.index(best_row, 1).data(Qt.ItemDataRole.BackgroundRole)
    assert brush.color() == BEST_COLOR
    assert panel.model.index(0, 1).data(Qt.ItemDataRole.BackgroundRole) is None
    panel.reset(
        ["hidden.units"],
        "val_accuracy",
        [
            TrialResult(1, {"hidden.units": 8}, "completed", {"val_accuracy": 0.7}, {}, 1),
            TrialResult(2, {"hidden.units": 16}, "completed", {"val_accuracy": 0.9}, {}, 1),
        ],
    )
    assert panel.model.best_number == 2  # accuracy: higher is better


def test_parallel_coordinates_follow_the_table_and_fit_a_laptop(studio):
    window, ctl = studio
    show(window, chain_project())
    window.show_workspace(EXPERIMENTS)
    ctl.add_param("hidden.units")
    ctl.add_param("optimizer")
    ctl.trials = list(TRIALS)
    ctl._show_results()
    ctl._redraw()
    assert set(ctl.parallel.lines) == {1, 2, 3}  # one polyline per trial
    assert [a.name for a in ctl.parallel.axes] == ["hidden.units", "optimizer", "val_loss"]
    xs, ys = ctl.parallel.lines[2].getData()
    assert list(xs) == [0.0, 1.0, 2.0] and ys[0] == pytest.approx(1.0)  # 64: the top
    assert ys[2] == pytest.approx(0.0)  # the lowest loss at the bottom
    table = ctl.results.table
    row = next(r for r in range(3) if table.model().index(r, 0).data() == "2")
    table.selectRow(row)
    assert ctl.parallel.is_highlighted(2) and not ctl.parallel.is_highlighted(1)
    window.resize(1366, 768)
    QApplication.processEvents()
    plots = plots_in(window.workspaces.pages[EXPERIMENTS])
    assert len(plots) == 2
    for plot in plots:
        assert plot.height() >= 200 and plot.width() >= 300, (plot.objectName(), plot.size())
    assert table.height() >= 150


def test_apply_sets_a_trials_values_as_one_undo_step(studio):
    window, ctl = studio
    show(window, chain_project())

    def hidden():
        return window.graph.node_by_name("hidden").params

    ctl.trials = [
        TrialResult(
            1,
            {"hidden.units": 24, "hidden.activation": "tanh", "learning_rate": 0.01},
            "completed",
            {"val_loss": 0.2},
            {"val_loss": 0.2},
            1,
        )
    ]
    window.set_graph_locked("a training run is active: stop it to change the model")
    assert not ctl.apply(1)
    assert "training run is active" in window.statusBar().currentMessage()
    assert hidden()["units"] == 16
    window.set_graph_locked(None)
    depth = window.undo_stack.count()
    assert ctl.apply("best")
    assert window.undo_stack.count() == depth + 1
    assert hidden()["units"] == 24 and hidden()["activation"] == "tanh"
    assert window.project.training.learning_rate == 0.01
    assert window.undo_stack.undoText() == "Apply trial 1"
    window.undo_stack.undo()
    assert hidden()["units"] == 16 and hidden()["activation"] == "relu"
    assert window.project.training.learning_rate == 0.001
    window.undo_stack.redo()
    assert hidden()["units"] == 24
    assert not ctl.apply(1)  # nothing left to change
