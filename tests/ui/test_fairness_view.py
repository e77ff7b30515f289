"""The Insight workspace's Fairness panel: the table, the bar chart and the gaps from a
report; slicing a run on a background task; registered in the Insight workspace."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from nnstudio.core.insight.fairness import fairness_report
from nnstudio.ui.insight.fairness_view import FAIRNESS, FairnessView

REGIONS = ("north", "south", "east")


def _report():
    true = np.tile([0, 1], 100)
    groups = np.repeat(["fair", "unfair"], 100)
    pred = np.where(groups == "fair", true, 1)
    groups[:4] = "tiny"
    return fairness_report(true, pred, groups, class_names=["no", "yes"])


def test_the_report_fills_the_table_chart_and_gaps(qtbot):
    view = FairnessView()
    qtbot.addWidget(view)
    report = _report()
    view.show_report(report)
    table = view.table
    assert table.rowCount() == 4  # three groups and (all)
    cells = [[table.item(r, c).text() for c in range(6)] for r in range(4)]
    assert [row[0] for row in cells] == ["fair", "tiny", "unfair", "(all)"]
    assert cells[2][1:] == ["100", "0.500", "0.500", "1.000", "1.000"]
    assert table.horizontalHeaderItem(5).text() == "Positive rate"
    assert table.item(1, 0).toolTip().startswith("fewer than 30 samples")
    heights = view.bars.opts["height"]
    assert list(heights) == pytest.approx([g.accuracy for g in report.groups])
    assert view.overall_line.value() == pytest.approx(report.overall.accuracy)
    assert view.plot.titleLabel.text.endswith(f"all samples, {report.overall.accuracy:.3f})")
    text = view.gaps.text()
    assert f"{report.demographic_parity_difference:.3f}" in text
    assert "worst-group accuracy <b>0.500</b> (unfair)" in text
    assert "tiny" in text  # the small group is named
    view.reset()
    assert table.rowCount() == 0 and view.report is None


def _project_with_run(root: Path, keras_engine):
    """A project on a CSV with an unused ``region`` column and a run with an untrained
    model of the right input width (no training: fast)."""
    import keras
    from ui_helpers import chain_project

    from nnstudio.core.data import DataConfig, prepare
    from nnstudio.core.project import Project
    from nnstudio.core.training.records import RunRecord

    path = root / "people.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["x", "y2", "region", "label"])
        for i in range(300):
            w.writerow([f"{i * 0.01:.2f}", i % 5, REGIONS[i % 3], "yes" if i % 2 else "no"])
    data = DataConfig(kind="csv", path=str(path), target_columns=["label"], feature_columns=["x"])
    width = prepare(data, batch_size=32).feature_shape[0]
    project: Project = chain_project()
    project.data = data
    project.save(root / "p.nnstudio")
    folder = root / "p.runs" / "run-1"
    folder.mkdir(parents=True)
    model = keras.Sequential([keras.Input((width,)), keras.layers.Dense(2, activation="softmax")])
    model.save(folder / "model.keras")
    record = {"id": "run-1", "name": "Tiny run", "dir": "p.runs/run-1", "epochs_completed": 1}
    project.add_run(RunRecord.from_json({**record, "config": {"batch_size": 32}}))
    return project


def test_a_run_is_sliced_in_the_background(qtbot, tmp_path, keras_engine):
    project = _project_with_run(tmp_path, keras_engine)
    view = FairnessView()
    qtbot.addWidget(view)
    view.set_project(project)
    assert view.run_box.count() == 1 and view.run_box.currentText() == "Tiny run"
    choices = [view.group_box.itemText(i) for i in range(view.group_box.count())]
    assert choices == ["x", "y2", "region", "label"]
    view.group_box.setCurrentText("region")
    assert view.compute()
    assert not view.compute_button.isEnabled()  # busy
    qtbot.waitUntil(lambda: view.task is None, timeout=15000)
    report = view.report
    assert report is not None and report.by == "region"
    assert [view.table.item(r, 0).text() for r in range(3)] == ["east", "north", "south"]
    assert sum(g.support for g in report.groups) == report.samples == 60
    assert view.status.text().startswith("Validation split, 60 samples by region")
    assert view.compute_button.isEnabled()
    # a column with a value per row is refused with the reason, in the panel
    view.group_box.setCurrentText("x")
    assert view.compute()
    qtbot.waitUntil(lambda: view.task is None, timeout=15000)
    assert "distinct values" in view.status.text()


def test_the_panel_is_in_the_insight_workspace(make_window, keras_engine):
    from ui_helpers import chain_project, show

    from nnstudio.ui.training.controller import EVALUATION
    from nnstudio.ui.workspaces import INSIGHT

    window = make_window(plugins=True, engine=keras_engine)
    window.resize(1366, 768)
    window.show_workspace(INSIGHT)
    QApplication.processEvents()
    view = window.workspaces.widget(FAIRNESS)
    assert isinstance(view, FairnessView)
    assert view.run_box.count() == 0 and not view.compute_button.isEnabled()
    dock = window.workspaces.dock(FAIRNESS)
    assert dock.windowTitle() == "Fairness"
    page = window.workspaces.pages[INSIGHT]
    assert dock in page.tabifiedDockWidgets(window.workspaces.dock(EVALUATION))
    first = view.project
    show(window, chain_project())
    assert view.project is window.project is not first  # follows the open project
