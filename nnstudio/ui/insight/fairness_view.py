"""The Insight workspace's Fairness panel: a run's validation results sliced by a group.

Pick a run and a group (a column of the run's CSV, or "image sub-folder"), press
Compute: the run's model predicts its validation split on a background task
(:class:`~nnstudio.ui.tasks.Task` running
:func:`~nnstudio.core.insight.fairness_run.slice_run`) and the panel shows a table
(group, support, accuracy, precision, recall, positive rate), a bar chart of each group's
accuracy with the overall accuracy as a dashed line, and the gaps below it.  Nothing
here imports Keras or TensorFlow; the task does, on its thread.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core import project as pj
from nnstudio.core.insight.fairness import FairnessError, FairnessReport
from nnstudio.ui.tasks import Task

HEADERS = ["Group", "Support", "Accuracy", "Precision", "Recall", "Positive rate"]
EMPTY = "Train a classifier, then pick a group to see how the model does for each."
BAR = QColor(59, 125, 216)
SMALL_BAR = QColor(208, 138, 30)
SMALL_TEXT = QColor(160, 100, 10)
MAX_ROWS_SHOWN = 12  # the table scrolls beyond this many rows
MIN_ROWS_SHOWN = 5
TITLE = "accuracy per group"
MIN_CHART_HEIGHT = 200  # every chart of a workspace keeps 200 px at 1366x768


def compute_fairness(state: Any, source: Any, by: str) -> FairnessReport:
    """The task's work: slice the run ``source`` by ``by`` (its validation split)."""
    from nnstudio.core.insight.fairness_run import slice_run

    return slice_run(source, by, state=state)


def _fmt(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.3f}"


class FairnessView(QWidget):
    """Run and group pickers, the per-group table and accuracy chart, the gaps."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: Any = None
        self.report: FairnessReport | None = None
        self.task: Task | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        pickers = QGridLayout()
        pickers.setColumnStretch(1, 1)
        pickers.addWidget(QLabel("Run"), 0, 0)
        self.run_box = QComboBox()
        self.run_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.run_box.setMinimumContentsLength(12)
        self.run_box.currentIndexChanged.connect(self._run_chosen)
        pickers.addWidget(self.run_box, 0, 1, 1, 2)
        pickers.addWidget(QLabel("Group by"), 1, 0)
        self.group_box = QComboBox()
        self.group_box.setMinimumContentsLength(10)
        self.group_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.group_box.setToolTip("A column of the run's CSV, or the images' sub-folders")
        pickers.addWidget(self.group_box, 1, 1)
        self.compute_button = QPushButton("Compute")
        self.compute_button.setToolTip("Predict the run's validation split and slice it by group")
        self.compute_button.clicked.connect(self.compute)
        pickers.addWidget(self.compute_button, 1, 2)
        layout.addLayout(pickers)
        self.status = QLabel(EMPTY)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table, 1)
        self.chart = pg.PlotWidget(background=None)
        self.plot = self.chart.getPlotItem()
        self.plot.setTitle(TITLE)
        self.plot.setLabel("left", "accuracy")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(y=True, alpha=0.2)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        self.plot.addItem(self.bars)
        self.overall_line = pg.InfiniteLine(
            angle=0, pen=pg.mkPen("#888", width=1.5, style=Qt.PenStyle.DashLine)
        )
        self.overall_line.hide()
        self.plot.addItem(self.overall_line)
        self.chart.setMinimumHeight(MIN_CHART_HEIGHT)
        layout.addWidget(self.chart, 1)
        self.gaps = QLabel("")
        self.gaps.setWordWrap(True)
        self.gaps.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.gaps)
        self._sources: list[Any] = []
        self._fit_table()
        self._set_busy(False)

    # -- the project ----------------------------------------------------------------------
    def follow(self, window: Any) -> None:
        """Show the runs of ``window``'s open project, now and after every project switch."""
        self._window = window
        window.project_changed.connect(self._window_project_changed)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.set_project(window.project)

    def _window_project_changed(self) -> None:
        self.set_project(self._window.project)

    def set_project(self, project: Any) -> None:
        """Follow ``project``: its runs with weights (newest first) and their groups."""
        if self.project is not None:
            self.project.unsubscribe(self._on_project_event)
        self.project = project
        if project is not None:
            project.subscribe(self._on_project_event)
        self.reset()
        self.refresh_runs()

    def _on_project_event(self, event: str, payload: Any) -> None:
        if event in (pj.RUNS_CHANGED, pj.DATA_CHANGED):
            self.refresh_runs()

    def refresh_runs(self) -> None:
        """List the project's runs that have a model file, newest first."""
        from nnstudio.core.insight.fairness_run import source_for_record

        chosen = self.run_box.currentData()
        self._sources = []
        self.run_box.blockSignals(True)
        self.run_box.clear()
        for record in reversed(getattr(self.project, "runs", ()) or ()):
            try:
                source = source_for_record(self.project, record)
            except FairnessError:
                continue
            if source.model_path.is_file():
                self._sources.append(source)
                self.run_box.addItem(record.name or record.id, record.id)
        index = max(0, self.run_box.findData(chosen)) if chosen is not None else 0
        self.run_box.setCurrentIndex(index if self._sources else -1)
        self.run_box.blockSignals(False)
        self._run_chosen()

    def _run_chosen(self, *_args: Any) -> None:
        from nnstudio.core.data import DataConfig, DataError
        from nnstudio.core.insight.fairness_groups import group_choices

        keep = self.group_box.currentText()
        self.group_box.clear()
        source = self.current_source()
        choices: list[str] = []
        if source is not None and source.data is not None:
            try:
                choices = group_choices(DataConfig.from_json(source.data))
            except (DataError, FairnessError) as exc:
                self.status.setText(str(exc))
        self.group_box.addItems(choices)
        if keep in choices:
            self.group_box.setCurrentText(keep)
        self._set_busy(False)
        if source is None:
            self.status.setText(EMPTY)
        elif not choices:
            self.status.setText(
                "This run's data has no groups (a CSV column or image sub-folders)."
            )

    def current_source(self) -> Any:
        """The chosen run's :class:`~nnstudio.core.insight.fairness_run.RunSource`."""
        i = self.run_box.currentIndex()
        return self._sources[i] if 0 <= i < len(self._sources) else None

    # -- computing ------------------------------------------------------------------------
    def compute(self) -> bool:
        """Slice the chosen run by the chosen group on a background task."""
        source, by = self.current_source(), self.group_box.currentText()
        if source is None or not by or self.task is not None:
            return False
        self.status.setText(f"Slicing {self.run_box.currentText()} by {by}…")
        self.task = Task(compute_fairness, source, by, parent=self, name="nnstudio-fairness")
        self.task.progress.connect(self._on_progress)
        self.task.result.connect(self.show_report)
        self.task.error.connect(self._on_error)
        self.task.finished.connect(self._on_finished)
        self._set_busy(True)
        self.task.start()
        return True

    def _on_progress(self, done: float, total: float, text: str) -> None:
        if text:
            self.status.setText(text)

    def _on_error(self, exc: BaseException) -> None:
        message = str(exc) if isinstance(exc, FairnessError) else f"Could not slice: {exc}"
        self.status.setText(message.splitlines()[0] if message else type(exc).__name__)

    def _on_finished(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.deleteLater()
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        ready = self.current_source() is not None and self.group_box.count() > 0
        self.compute_button.setEnabled(ready and not busy)
        self.run_box.setEnabled(not busy)
        self.group_box.setEnabled(not busy)

    def shutdown(self) -> None:
        """Stop a running task and wait for its thread."""
        if self.task is not None:
            self.task.shutdown()

    # -- showing --------------------------------------------------------------------------
    def reset(self) -> None:
        """No results (a new project, or a new run chosen)."""
        self.shutdown()
        self.report = None
        self.table.setRowCount(0)
        self._fit_table()
        self.bars.setOpts(x=[], height=[])
        self.overall_line.hide()
        self.plot.setTitle(TITLE)
        self.gaps.setText("")
        self.status.setText(EMPTY)

    def show_report(self, report: FairnessReport) -> None:
        """Fill the table, the chart and the gaps from ``report``."""
        self.report = report
        rows = [*report.groups, report.overall]
        self.table.setRowCount(len(rows))
        for r, g in enumerate(rows):
            cells = [g.group, str(g.support), _fmt(g.accuracy), _fmt(g.precision)]
            cells += [_fmt(g.recall), _fmt(g.positive_rate)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if g.small and r < len(report.groups):
                    item.setForeground(QBrush(SMALL_TEXT))
                    item.setToolTip(f"fewer than {report.min_support} samples: noisy rates")
                if r == len(report.groups):
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        self._fit_table()
        rate = "Positive rate" if report.mode == "binary" else f"Rate of {report.focus}"
        self.table.horizontalHeaderItem(5).setText(rate)
        self._draw_chart(report)
        self.gaps.setText(gaps_text(report))
        kind = (
            f'positive class "{report.focus}"'
            if report.mode == "binary"
            else ("multi-class: macro precision/recall, one-vs-rest rates")
        )
        notes = "".join(f" Note: {n}." for n in report.notes)
        self.status.setText(
            f"{report.split.capitalize()} split, {report.samples} samples by {report.by}; "
            f"{kind}.{notes}"
        )

    def _fit_table(self) -> None:
        """As tall as its rows (up to :data:`MAX_ROWS_SHOWN`); the chart takes the rest."""
        rows = max(self.table.rowCount(), MIN_ROWS_SHOWN)
        frame = self.table.horizontalHeader().sizeHint().height() + 2 * self.table.frameWidth() + 2
        row = self.table.verticalHeader().defaultSectionSize()
        self.table.setMaximumHeight(frame + min(rows, MAX_ROWS_SHOWN) * row)
        self.table.setMinimumHeight(frame + min(rows, MIN_ROWS_SHOWN) * row)

    def _draw_chart(self, report: FairnessReport) -> None:
        groups = report.groups
        x = np.arange(len(groups), dtype=np.float64)
        heights = np.array([g.accuracy if math.isfinite(g.accuracy) else 0.0 for g in groups])
        brushes = [pg.mkBrush(SMALL_BAR if g.small else BAR) for g in groups]
        self.bars.setOpts(x=x, height=heights, width=0.6, brushes=brushes, pen=None)
        axis = self.plot.getAxis("bottom")
        axis.setTicks([[(float(i), _short(g.group)) for i, g in enumerate(groups)]])
        self.plot.setXRange(-0.6, max(len(groups) - 0.4, 0.6), padding=0)
        self.plot.setYRange(0.0, 1.05, padding=0)
        if math.isfinite(report.overall.accuracy):
            self.overall_line.setValue(report.overall.accuracy)
            self.overall_line.show()
        overall = _fmt(report.overall.accuracy)
        self.plot.setTitle(f"accuracy per group (dashed line: all samples, {overall})")


def _short(text: str, limit: int = 14) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def gaps_text(report: FairnessReport) -> str:
    """The gaps as one rich-text paragraph (with the small groups, if any)."""
    parts = [
        f"Demographic parity difference <b>{_fmt(report.demographic_parity_difference)}</b>",
        f"equalized-odds difference <b>{_fmt(report.equalized_odds_difference)}</b>",
        f"worst-group accuracy <b>{_fmt(report.worst_group_accuracy)}</b> ({report.worst_group})",
    ]
    text = " · ".join(parts)
    if report.small_groups:
        text += (
            f"<br><span style='color:#a0640a'>Fewer than {report.min_support} samples: "
            f"{', '.join(report.small_groups)} (noisy rates).</span>"
        )
    sup = report.supported
    if sup is not None:
        text += (
            f"<br>Without them ({sup['groups']} groups): parity "
            f"<b>{_fmt(sup['demographic_parity_difference'])}</b> · odds "
            f"<b>{_fmt(sup['equalized_odds_difference'])}</b> · worst "
            f"<b>{_fmt(sup['worst_group_accuracy'])}</b> ({sup['worst_group']})"
        )
    return text


def make_fairness(window: Any) -> FairnessView:
    """A Fairness panel following the window's open project."""
    view = FairnessView()
    view.follow(window)
    return view


FAIRNESS = "fairness"  # the panel's key


def make_fairness_panel(window: Any) -> Any:
    """The panel factory the Insight workspace registers (built when first shown)."""
    return lambda: make_fairness(window)
