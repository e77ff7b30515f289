"""Training in the main window: a run on a background thread with live plots, activations,
node indicators, the graph lock, pause/resume/stop, failures, run records and evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
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
    ctl.runs.table.item(0, 1).setText("baseline")
    assert window.project.runs[0]["name"] == "baseline"
    ctl.runs.table.item(1, 0).setCheckState(ctl.runs.table.item(1, 0).checkState().Checked)
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
