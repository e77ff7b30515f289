"""Training in the main window: a run on a background thread with live plots, activations,
node indicators, the graph lock, pause/resume/stop, failures, run records and evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from ui_helpers import chain_project, node_id, show

from nnstudio.core.graph.commands import MoveNodes, SetParam

SPECIES = Path(__file__).resolve().parents[2] / "resources" / "samples" / "species.csv"
RUN_TIMEOUT = 120_000


def blob_data(n: int = 256, features: int = 8, seed: int = 0):
    from nnstudio.core.training.data import TrainingData

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    x = rng.normal(scale=3.0, size=(3, features))[y] + rng.normal(size=(n, features))
    x = x.astype("float32")
    cut = n * 3 // 4
    return TrainingData.from_arrays(
        x[:cut], y[:cut], val=(x[cut:], y[cut:]), class_names=["a", "b", "c"]
    )


@pytest.fixture
def studio(make_window, keras_engine, tmp_path):
    """A main window with the plug-ins (training included), the chain project saved."""
    from nnstudio.ui.training import TrainingController

    window = make_window(plugins=True, engine=keras_engine)
    project = chain_project()
    project.training = {"epochs": 3, "batch_size": 16, "learning_rate": 0.01}
    project.save(tmp_path / "chain.nnstudio")
    show(window, project)
    controller = window.findChild(TrainingController)
    assert controller is not None, "install(window) was not called"
    controller.confirm_delete = False
    return window, controller


def test_a_run_feeds_plots_activations_indicators_and_is_recorded(studio, qtbot, tmp_path):
    window, ctl = studio
    hidden = node_id(window, "hidden")
    window.select_nodes([hidden])
    seen: list[str] = []
    ctl.worker.events.connect(lambda events: seen.extend(e["type"] for e in events))
    with qtbot.waitSignal(ctl.worker.finished, timeout=RUN_TIMEOUT) as done:
        assert ctl.start(data=blob_data())
        assert window.graph_locked_reason() is not None
        assert not window.push(SetParam(window.graph, hidden, "units", 4))  # locked
        assert window.graph.nodes[hidden].params["units"] == 16
        assert window.push(MoveNodes(window.graph, {hidden: (300.0, 40.0)}))  # moving works
        window.canvas.horizontalScrollBar().setValue(
            window.canvas.horizontalScrollBar().value() + 30
        )  # panning works
        ctl.runs.compare_selected()  # no run recorded yet: nothing to compare, no dialog
        assert ctl.runs.compare_dialog is None
    outcome = done.args[0]
    assert outcome.status == "completed", outcome.message
    assert window.graph_locked_reason() is None
    assert {"start", "batch", "epoch", "probe", "weights", "end"} <= set(seen)
    assert ctl.plots.point_count("loss", "batch") == 3 * 12
    assert ctl.plots.point_count("loss", "val") == 3
    assert ctl.plots.point_count("accuracy", "epoch") == 3
    assert ctl.activations.latest["hidden"].heat.shape[1] == 16
    assert "dead" in ctl.activations.stats.text()
    scene = window.canvas.graph_scene()
    assert hidden in scene._indicators and scene._indicators[hidden][0].startswith("dead")
    (run,) = window.project.runs
    assert run["status"] == "completed" and run["epochs_completed"] == 3
    ctl.runs.compare_selected()  # the recorded run opens the comparison
    assert ctl.runs.compare_dialog is not None and ctl.runs.compare_dialog.isVisible()
    assert ctl.runs.compare_dialog.table.columnCount() == 1  # one column per run
    assert (tmp_path / run["dir"] / "model.keras").is_file()
    assert window.is_modified()
    assert ctl.runs.run_ids() == [run["id"]]
    assert ctl.evaluation.stack.currentIndex() == 1
    assert ctl.evaluation.evaluation.class_names == ["a", "b", "c"]
    assert ctl.panel.run_bar.value() == ctl.panel.run_bar.maximum()


def test_pause_resume_and_stop_mid_epoch(studio, qtbot) -> None:
    window, ctl = studio
    ctl.panel.epochs.setValue(500)
    assert window.project.training.epochs == 500  # the setting is kept in the project
    events: list[dict] = []
    ctl.worker.events.connect(events.extend)
    assert ctl.start(data=blob_data(2048))
    qtbot.waitUntil(lambda: any(e["type"] == "epoch" for e in events), timeout=RUN_TIMEOUT)
    ctl.panel.pause_button.click()
    qtbot.waitUntil(lambda: any(e["type"] == "paused" for e in events), timeout=RUN_TIMEOUT)
    assert ctl.panel.state == "paused" and ctl.worker.is_running()
    count = len(events)
    qtbot.wait(300)
    assert not [e for e in events[count:] if e["type"] == "batch"]  # nothing while paused
    ctl.panel.pause_button.click()  # resume
    qtbot.waitUntil(lambda: any(e["type"] == "resumed" for e in events), timeout=RUN_TIMEOUT)
    qtbot.waitUntil(
        lambda: events[-1]["type"] == "batch" and events[-1]["batch"] > 5, timeout=RUN_TIMEOUT
    )
    with qtbot.waitSignal(ctl.worker.finished, timeout=RUN_TIMEOUT) as done:
        ctl.panel.stop_button.click()
    outcome = done.args[0]
    assert outcome.status == "stopped"
    epochs = outcome.result.epochs_completed
    assert epochs >= 1
    assert sum(e["type"] == "epoch" for e in events) == epochs
    assert window.project.runs[-1]["epochs_completed"] == epochs
    assert "not recorded" in ctl.panel.status_label.text()
    assert ctl.panel.state == "idle" and window.graph_locked_reason() is None


def test_failure_is_located_and_a_new_run_works(studio, qtbot) -> None:
    window, ctl = studio
    with qtbot.waitSignal(ctl.worker.finished, timeout=RUN_TIMEOUT) as done:
        assert ctl.start(data=blob_data(features=5))  # the model expects 8 features
    failed = done.args[0]
    assert failed.status == "failed"
    assert "epoch 1, batch 1" in failed.message
    log_text = ctl.panel.log_view.toPlainText()
    assert failed.message in log_text and "Traceback (most recent call last)" in log_text
    assert window.graph_locked_reason() is None and ctl.panel.start_button.isEnabled()
    with qtbot.waitSignal(ctl.worker.finished, timeout=RUN_TIMEOUT) as done:
        assert ctl.start(data=blob_data())
    assert done.args[0].status == "completed"
    assert [r["status"] for r in window.project.runs] == ["failed", "completed"]


def test_run_on_the_projects_data_source(studio, qtbot) -> None:
    from nnstudio.core.data import config_for_path
    from nnstudio.core.graph.commands import SetParams

    window, ctl = studio
    assert not ctl.start()  # no data source yet
    assert "No data to train on" in ctl.panel.status_label.text()
    features = window.graph.node_by_name("features")
    window.push(SetParams(window.graph, features.id, {"shape": (4,)}))
    window.project.data = config_for_path(SPECIES).to_json()
    with qtbot.waitSignal(ctl.worker.finished, timeout=RUN_TIMEOUT) as done:
        assert ctl.start()
    outcome = done.args[0]
    assert outcome.status == "completed", outcome.message
    run = window.project.runs[-1]
    assert run["class_names"] == outcome.evaluation.class_names
    assert run["preprocessing"] and run["data_hash"]


def test_runs_view_renames_overlays_and_deletes(studio, qtbot) -> None:
    window, ctl = studio
    for _ in range(2):
        with qtbot.waitSignal(ctl.worker.finished, timeout=RUN_TIMEOUT):
            ctl.start(data=blob_data())
    first, second = (r["id"] for r in window.project.runs)
    old_name = window.project.runs[0]["name"]
    model = ctl.runs.model
    model.setData(model.index_of(first), "baseline")
    assert window.project.runs[0]["name"] == "baseline"
    assert window.undo_stack.undoText() == "Rename run to baseline"
    window.undo_stack.undo()  # one undo step; the view follows the project
    assert window.project.runs[0]["name"] == old_name
    assert model.index_of(first).data() == old_name
    window.undo_stack.redo()
    assert model.index_of(first).data() == "baseline"
    model.setData(model.index_of(second, 0), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert ctl.plots.overlays() == {second: True}
    ctl.runs.select_ids([first, second])
    ctl.runs.compare_selected()
    table = ctl.runs.compare_dialog.table
    assert table.columnCount() == 2 and table.horizontalHeaderItem(0).text() == "baseline"
    ctl.runs.compare_dialog.close()
    folder = Path(window.project.path).parent / window.project.runs[1]["dir"]
    assert folder.is_dir()
    ctl.delete_runs([second])
    assert [r["id"] for r in window.project.runs] == [first]
    assert not folder.exists() and ctl.plots.overlays() == {}
    assert ctl.runs.run_ids() == [first]


def test_closing_the_window_stops_the_run_and_records_it(
    make_window, keras_engine, qtbot, tmp_path
) -> None:
    from nnstudio.ui.training import TrainingController

    window = make_window(plugins=True, engine=keras_engine)
    project = chain_project()
    project.training = {"epochs": 1000, "batch_size": 16}
    project.save(tmp_path / "p.nnstudio")
    show(window, project)
    ctl = window.findChild(TrainingController)
    events: list[dict] = []
    ctl.worker.events.connect(events.extend)
    ctl.start(data=blob_data())
    qtbot.waitUntil(lambda: any(e["type"] == "epoch" for e in events), timeout=RUN_TIMEOUT)
    window.close_without_prompt()
    QApplication.processEvents()
    assert not ctl.worker.is_running()
    assert window.project.runs and window.project.runs[-1]["status"] == "stopped"


def test_opening_another_project_stops_the_run_of_the_old_one(studio, qtbot) -> None:
    window, ctl = studio
    old = window.project
    old.training = old.training.replace(epochs=1000)
    ctl.panel.set_config(ctl.panel.config().replace(epochs=1000))
    events: list[dict] = []
    ctl.worker.events.connect(events.extend)
    ctl.start(data=blob_data())
    qtbot.waitUntil(lambda: any(e["type"] == "epoch" for e in events), timeout=RUN_TIMEOUT)
    with qtbot.waitSignal(ctl.worker.finished, timeout=RUN_TIMEOUT) as done:
        window.set_project(chain_project())
    assert done.args[0].status == "stopped"
    assert window.project.runs == () and old.runs[-1]["status"] == "stopped"
    assert window.graph_locked_reason() is None and ctl.panel.state == "idle"


def _housing_report():
    from nnstudio.core.data.report import Report

    report = Report("csv", "housing.csv", samples=500, feature_shape=(8,), task="regression")
    report.num_outputs = 1
    return report


def test_train_is_disabled_while_the_data_does_not_fit_and_says_why(
    make_window, keras_engine, qtbot
):
    from nnstudio.core.templates import build_template
    from nnstudio.ui.training import TrainingController

    window = make_window(plugins=True, engine=keras_engine)
    show(window, build_template("mlp"))  # a 4-input classifier
    ctl = window.findChild(TrainingController)
    window.show_workspace("train")
    qtbot.waitUntil(lambda: window.checker.is_idle() and window.last_report is not None)
    assert ctl.train_action.isEnabled() and ctl.panel.start_button.isEnabled()
    message = "The data has 8 features, Input 'features' takes 4."
    window.checker.set_data(_housing_report())  # what the Data panel feeds the checker
    qtbot.waitUntil(lambda: not ctl.train_action.isEnabled(), timeout=30_000)
    assert not ctl.panel.start_button.isEnabled()
    assert message in ctl.train_action.toolTip()
    assert message in ctl.panel.start_button.toolTip()
    assert message in window.statusBar().currentMessage()
    assert not ctl.start(data=blob_data(features=8))  # F5 refuses with the same reason
    assert message in window.statusBar().currentMessage()
    window._fit_to_data(_housing_report())  # the Data panel's "Fit model to data"
    qtbot.waitUntil(lambda: ctl.train_action.isEnabled(), timeout=30_000)
    assert ctl.panel.start_button.isEnabled()
    assert message not in ctl.train_action.toolTip()
    window.undo_stack.undo()  # the mismatch is back: so is the gate
    qtbot.waitUntil(lambda: not ctl.train_action.isEnabled(), timeout=30_000)
    window.checker.set_data(None)  # no data attached: nothing to check against
    qtbot.waitUntil(lambda: ctl.train_action.isEnabled(), timeout=30_000)


def test_training_settings_edits_are_undoable(studio, qtbot):
    window, ctl = studio
    window.show_workspace("train")
    epochs = ctl.panel.form.widgets["epochs"]
    batch = ctl.panel.form.widgets["batch_size"]
    assert window.project.training.epochs == 3 and not window.is_modified()
    epochs.setValue(7)
    epochs.setValue(8)  # quick edits of one setting: one undo step
    batch.setValue(64)
    assert window.project.training.epochs == 8 and window.project.training.batch_size == 64
    assert window.is_modified()
    assert window.undo_stack.undoText() == "Set batch_size"
    window.undo_stack.undo()
    assert window.project.training.batch_size == 16 and batch.value() == 16
    window.undo_stack.undo()  # Ctrl+Z's action: the settings form follows
    assert window.project.training.epochs == 3 and epochs.value() == 3
    assert not window.is_modified()
    window.redo_action.trigger()
    assert window.project.training.epochs == 8 and epochs.value() == 8


def test_monitor_choices_include_the_declared_metrics(studio):
    from nnstudio.core.graph.commands import SetOutput
    from nnstudio.ui.training.settings_form import monitor_choices

    window, ctl = studio
    assert monitor_choices()[:2] == ["val_loss", "val_accuracy"]
    scores = node_id(window, "scores")
    decl = window.graph.output_decl(scores)
    window.show_workspace("train")
    assert window.push(
        SetOutput(window.graph, scores, decl.loss, decl.loss_weight, ["accuracy", "auc"])
    )
    combo = ctl.panel.form.widgets["monitor"]
    offered = [combo.itemText(i) for i in range(combo.count())]
    assert "val_auc" in offered and "auc" in offered
    assert combo.currentText() == "val_loss"  # the choice is kept


def test_the_outputs_table_shows_the_whole_loss_name(qtbot):
    from nnstudio.ui.training.panel import TrainingPanel

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.resize(400, 700)  # the Train workspace's default panel width
    loss = "sparse_categorical_crossentropy"
    panel.set_outputs([("n1", "digit", loss, ["accuracy"])])
    panel.show()
    qtbot.waitExposed(panel)
    combo = panel.outputs.cellWidget(0, 1)
    line = combo.lineEdit()
    assert line.text() == loss and line.cursorPosition() == 0
    needed = line.fontMetrics().horizontalAdvance(loss)
    assert panel.outputs.columnWidth(1) >= needed
    assert line.width() >= needed  # no "rossentropy"


def test_a_new_project_keeps_the_insight_layout(make_window, qtbot):
    """The fresh activations view takes the old one's place, not 116 px beside a grown map."""
    from nnstudio.core.templates import build_template
    from nnstudio.ui.training import TrainingController

    window = make_window(plugins=True)
    window.resize(1366, 740)
    ctl = window.findChild(TrainingController)
    window.show_workspace("insight")
    QApplication.processEvents()
    page = window.workspaces.pages["insight"]
    map_dock = window.workspaces.dock("insightMap")
    heights = map_dock.height(), page.central_panel().height()
    assert heights[1] >= 400
    for name in ("autoencoder", "mlp"):
        window.set_project(build_template(name))  # Insight on screen: a fresh view swapped in
        QApplication.processEvents()
        assert page.central_panel() is ctl.activations
        assert (map_dock.height(), ctl.activations.height()) == heights
