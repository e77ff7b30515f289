"""The Data panel: choose a source, set its options, see a preview, the class
counts, the summary and every problem the inspection found.

Inspections run on a :class:`~nnstudio.ui.tasks.Task` (never the GUI thread) with a progress bar and
a Cancel button. TensorFlow is never imported here: inspecting needs only the
data layer's readers.  The parts live in :mod:`nnstudio.ui.data`: the source bar (an
editable path with completion), the options form and the background inspection;
:mod:`nnstudio.ui.data.bridge` ties the panel to the window (undoable edits, the
data/model check, re-locating a missing source).

Signals:

- ``source_changed(DataConfig)`` after an inspection the user asked for (a new
  path, a drop, Apply); the config carries the data's content hash.
- ``report_ready(Report)`` after every finished inspection.
- ``fit_requested(Report)`` when "Fit model to data" is clicked; the window
  answers with ``window.push(fit_commands(window.graph, report))`` (one undo step).

``set_config(config)`` shows a project's source (inspected, no signal);
``set_path(path)`` is what choosing or dropping a file does; ``can_open(path)``
tells the window which dropped paths belong here.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFont, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.data.config import DataConfig, config_for_path, detect_kind
from nnstudio.core.data.errors import Cancelled, DataError
from nnstudio.core.data.report import Report
from nnstudio.core.graph.validation import Issue
from nnstudio.ui.data.dialogs import FILE_FILTER
from nnstudio.ui.data.inspection import INSPECTED, InspectionResult, inspect_with_preview
from nnstudio.ui.data.options_form import FORM_WIDGETS, ROLES, TYPES, OptionsForm
from nnstudio.ui.data.quality_view import QualityView
from nnstudio.ui.data.source_bar import SourceBar
from nnstudio.ui.data_preview import ClassChart, PreviewView, ProblemsView, problem_counts
from nnstudio.ui.tasks import Task

log = logging.getLogger(__name__)

DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".npy", ".npz")
WIDE = 860  # from this width on, the options sit beside the preview (not above it)
OPTIONS_WIDTH = 400

__all__ = [
    "DATA_SUFFIXES",
    "FILE_FILTER",
    "ROLES",
    "TYPES",
    "DataPanel",
    "InspectionResult",
    "detect_kind",
    "inspect_with_preview",
]


def _relocating(current: DataConfig, path: str) -> bool:
    """True when ``path`` replaces a missing source of the same kind."""
    return not os.path.exists(current.path) and detect_kind(path) == current.kind


class DataPanel(QWidget):
    """Choose a data source, set its options and see what the inspection found."""

    source_changed = Signal(object)
    report_ready = Signal(object)
    fit_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataPanel")
        self.setAcceptDrops(True)
        self._config: DataConfig | None = None
        self._report: Report | None = None
        self._task: Task | None = None
        self._tasks: list[Task] = []
        self._dirty = False
        self._build()
        self._show_config(None)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # -- construction ---------------------------------------------------------------
    def _build(self) -> None:
        self.source_bar = SourceBar()
        self.source_bar.path_entered.connect(self.apply_path)
        self.kind_label = self.source_bar.kind_label
        self.path_edit = self.source_bar.path_edit
        self.open_file_button = self.source_bar.open_file_button
        self.open_folder_button = self.source_bar.open_folder_button
        self.form = OptionsForm()
        self.form.edited.connect(self._mark_dirty)
        for name in FORM_WIDGETS:
            setattr(self, name, getattr(self.form, name))
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self._build_side())
        self.splitter.addWidget(self._build_tabs())
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.source_bar)
        layout.addWidget(self.splitter, 1)

    def _build_side(self) -> QWidget:
        """The options (scrolling), the Apply/progress/Cancel row, the status and Fit."""
        options_box = QGroupBox("Options")
        options_layout = QVBoxLayout(options_box)
        options_layout.setContentsMargins(6, 6, 6, 6)
        options_layout.addWidget(self.form)
        options_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(options_box)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.apply_button = QPushButton("Apply && inspect")
        self.apply_button.setToolTip("Inspect the data again with these options")
        self.apply_button.clicked.connect(self.inspect)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        actions = QHBoxLayout()
        actions.addWidget(self.apply_button)
        actions.addWidget(self.progress, 1)
        actions.addWidget(self.cancel_button)
        self.status = QLabel()
        self.status.setObjectName("dataStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model_check = QLabel()
        self.model_check.setObjectName("modelCheck")
        self.model_check.setWordWrap(True)
        self.model_check.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model_check.hide()
        self.fit_button = QPushButton("Fit model to data")
        self.fit_button.setToolTip(
            "Set the Input's shape from the data and the output layer, loss and metrics "
            "from the targets (one undo step)"
        )
        self.fit_button.clicked.connect(self._request_fit)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(scroll, 1)
        side_layout.addLayout(actions)
        side_layout.addWidget(self.status)
        side_layout.addWidget(self.model_check)
        side_layout.addWidget(self.fit_button)
        self.options_scroll = scroll
        return side

    def _build_tabs(self) -> QTabWidget:
        self.tabs = QTabWidget()
        self.preview = PreviewView()
        self.chart = ClassChart()
        self.summary = QTextBrowser()
        self.summary.setOpenLinks(False)
        self.problems = ProblemsView()
        self.quality = QualityView()
        self.tabs.addTab(self.preview, "Preview")
        self.tabs.addTab(self.chart, "Classes")
        self.tabs.addTab(self.summary, "Summary")
        self.tabs.addTab(self.problems, "Problems")
        self.tabs.addTab(self.quality, "Quality")
        return self.tabs

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt API)
        """Wide (the Data workspace): options beside a full-height preview; narrow (a
        dock): options above the preview."""
        super().resizeEvent(event)
        wide = self.width() >= WIDE
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.splitter.orientation() != orientation:
            self.splitter.setOrientation(orientation)
            self._fit_side_width()
            if wide:
                side = max(min(OPTIONS_WIDTH, self.width() // 2), self._side_min_width())
                self.splitter.setSizes([side, self.width() - side])
            else:
                self.splitter.setSizes([self.height() // 3, 2 * self.height() // 3])

    def _side_min_width(self) -> int:
        """How wide the options must be so that no row is cut (they never scroll sideways)."""
        content = self.options_scroll.widget().minimumSizeHint().width()
        return content + self.options_scroll.verticalScrollBar().sizeHint().width() + 4

    def _fit_side_width(self) -> None:
        horizontal = self.splitter.orientation() == Qt.Orientation.Horizontal
        self.options_scroll.setMinimumWidth(self._side_min_width() if horizontal else 0)

    # -- public API -----------------------------------------------------------------
    @staticmethod
    def can_open(path: str) -> bool:
        """True for a folder, a CSV/TSV/TXT or a NumPy file: what the panel takes."""
        return os.path.isdir(path) or path.lower().endswith(DATA_SUFFIXES)

    def config(self) -> DataConfig | None:
        return self._config

    def report(self) -> Report | None:
        return self._report

    def is_busy(self) -> bool:
        return self._task is not None

    def set_path(self, path: str) -> None:
        """Use ``path`` with default options, inspect it, then emit ``source_changed``.

        When the source shown is missing (moved) and ``path`` is of the same kind, its
        options are kept: the data was re-located, not replaced."""
        current = self._config
        try:
            if current is not None and _relocating(current, path):
                config = current.replace(path=path)
            else:
                config = config_for_path(path)
        except DataError as exc:
            self._set_status(f"Cannot use {path}: {exc}", error=True)
            return
        self._show_config(config)
        self._start(config, user=True)

    def apply_path(self, path: str) -> bool:
        """A path typed (Enter / leaving the field) or chosen: used if it is a data source;
        otherwise a located message, and the source in use stays (nothing is lost)."""
        if not os.path.exists(path):
            self._set_status(
                f"{path}: no such file or folder. Check the path, or choose one with "
                "File… or Folder…; the data source in use is unchanged.",
                error=True,
            )
            return False
        if not self.can_open(path):
            self._set_status(
                f"{path}: not a data source NN Studio reads (a CSV/TSV/TXT file, a .npy/.npz "
                "file or an image folder); the data source in use is unchanged.",
                error=True,
            )
            return False
        self.set_path(path)
        return True

    def set_config(self, config: DataConfig | None) -> None:
        """Show a project's data source and inspect it (no ``source_changed``)."""
        self._show_config(config)
        if config is not None:
            self._start(config, user=False)

    def inspect(self) -> None:
        """Apply the options shown and inspect again (then ``source_changed``)."""
        if self._config is None:
            return
        try:
            config = self.form.config_from_widgets(self._config)
        except DataError as exc:
            self._set_status(f"These options cannot be used: {exc}", error=True)
            return
        self._start(config, user=True)

    def cancel(self) -> None:
        """Ask the running inspection to stop (it stops within one file or step)."""
        if self._task is not None:
            self._task.cancel()
            self._set_status("Cancelling…")

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel every inspection and wait for the threads; True when all stopped."""
        return all([task.shutdown(timeout_ms) for task in list(self._tasks)])

    # -- running inspections --------------------------------------------------------
    def _start(self, config: DataConfig, user: bool) -> None:
        if self._task is not None:
            self._task.cancel()  # its late results are ignored (not the current task)
        task = Task(
            inspect_with_preview,
            config,
            user,
            parent=self,
            name="data-inspection",
            expected=(Cancelled,),
        )
        task.progress.connect(self._on_progress)
        task.events.connect(self._on_inspected)
        task.result.connect(self._on_finished)
        task.error.connect(self._on_error)
        task.finished.connect(self._on_task_finished)
        self._task = task
        self._tasks.append(task)  # alive until its thread is done
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.setEnabled(True)
        self.apply_button.setEnabled(False)
        self._set_status(f"Inspecting {os.path.basename(os.path.normpath(config.path))}…")
        task.start()

    def _on_task_finished(self) -> None:
        task = self.sender()
        self._tasks = [t for t in self._tasks if t is not task]
        if task is self._task:
            self._end_task()
        if isinstance(task, Task):
            task.deleteLater()

    def _end_task(self) -> None:
        self._task = None
        self.progress.hide()
        self.cancel_button.setEnabled(False)
        self.apply_button.setEnabled(self._config is not None)

    def _on_progress(self, done: float, total: float, text: str) -> None:
        if self.sender() is self._task and total > 1:
            self.progress.setRange(0, int(total))
            self.progress.setValue(int(done))
            self.progress.setFormat(f"{int(done):,} / {int(total):,}")

    def _on_inspected(self, events: list[dict[str, Any]]) -> None:
        """The data before its quality scan: shown at once (the full result follows)."""
        early = [e["result"] for e in events if e.get("type") == INSPECTED]
        if early and self.sender() is self._task:
            self._show_report(early[-1].report, early[-1])
            if early[-1].report.ok:
                self._set_status("Checking the data quality (duplicates, leakage, conflicts)…")

    def _on_finished(self, result: InspectionResult) -> None:
        if self.sender() is not self._task:
            return
        report = result.report
        config = result.config
        if result.user and report.content_hash:
            config = config.replace(content_hash=report.content_hash)
        self._config = config
        self._report = report
        self.form.fill_from_report(config, report, result.arrays)
        self._set_dirty(False)
        self._show_report(report, result)
        self.report_ready.emit(report)
        if result.user:
            self.source_changed.emit(config)

    def _on_error(self, exc: BaseException) -> None:
        if self.sender() is not self._task:
            return
        if isinstance(exc, Cancelled):
            self._set_status("Inspection cancelled.")
            return
        # a bug, not a data problem (the task logged it): keep the app alive
        message = f"{type(exc).__name__}: {exc}"
        self._set_status(f"The inspection failed unexpectedly ({message}); see the log.", True)

    # -- showing --------------------------------------------------------------------
    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #d64541;" if error else "")

    def _show_config(self, config: DataConfig | None) -> None:
        self._config = config
        self._report = None
        self.source_bar.show_config(config)
        self.form.show_config(config)
        self._fit_side_width()
        self.show_model_check(None)
        self._set_dirty(False)
        self.preview.clear()
        self.chart.clear()
        self.summary.clear()
        self.problems.show_report(None)
        self.tabs.setTabText(3, "Problems")
        self.quality.show_quality(None)
        self.tabs.setTabText(4, "Quality")
        self.fit_button.setEnabled(False)
        self.apply_button.setEnabled(config is not None)
        self.progress.hide()
        self.cancel_button.setEnabled(False)
        self._set_status("" if config else "Choose a file or folder, or drop one here.")

    def _show_report(self, report: Report, result: InspectionResult) -> None:
        if result.table is not None:
            self.preview.show_table(*result.table)
        elif report.kind == "images":
            self.preview.show_images(result.images)
        elif report.kind == "numpy" and report.details.get("features_shape"):
            self.preview.show_arrays(report)
        else:
            self.preview.clear()
        self.chart.show_report(report)
        self.summary.setPlainText("\n".join(report.summary_lines()))
        self.problems.show_report(report)
        n_problems = len(report.problems)
        self.tabs.setTabText(3, f"Problems ({n_problems})" if n_problems else "Problems")
        self.quality.show_quality(result.quality, self.quality.balanced)
        n_quality = len(result.quality.problems) if result.quality is not None else 0
        self.tabs.setTabText(4, f"Quality ({n_quality})" if n_quality else "Quality")
        counts = problem_counts(report)
        if report.ok:
            self._show_readiness(fits=True)
        else:
            first = report.errors[0]
            where = f"{first.location}: " if first.location else ""
            self._set_status(f"Not ready to train · {counts} — {where}{first.message}", True)
            self.tabs.setCurrentWidget(self.problems)
        self.fit_button.setEnabled(report.ok and report.task is not None)

    def _show_readiness(self, fits: bool) -> None:
        """The status of data that reads cleanly: ready, unless it does not fit the model."""
        report = self._report
        if report is None or not report.ok:
            return
        counts = problem_counts(report)
        if fits:
            self._set_status(f"Ready to train · {counts}")
        else:
            self._set_status(f"The data reads cleanly ({counts}) but does not fit the model yet.")

    def show_model_check(self, issues: list[Issue] | None) -> None:
        """The data/model check (pre-flight issues; ``None``: not checked): in plain words,
        with the fix, under the data's own status."""
        errors = [i for i in issues or () if i.severity == "error"]
        self._show_readiness(fits=not errors)
        font = QFont(self.fit_button.font())
        font.setBold(bool(errors) and self.fit_button.isEnabled())
        self.fit_button.setFont(font)
        if issues is None:
            self.model_check.hide()
            return
        if not issues:
            self.model_check.setText("The data fits the model.")
            self.model_check.setStyleSheet("")
        else:
            first = (errors or issues)[0]
            more = f" (and {len(issues) - 1} more, listed in Issues)" if len(issues) > 1 else ""
            lead = "The data does not fit the model" if errors else "Data and model"
            fix = f" Fix: {first.hint}." if first.hint else ""
            self.model_check.setText(f"{lead}: {first.message}{fix}{more}")
            self.model_check.setStyleSheet("color: #d64541;" if errors else "color: #b07d00;")
        self.model_check.show()

    # -- options --------------------------------------------------------------------
    def _mark_dirty(self, *_: Any) -> None:
        if self._config is not None:
            self._set_dirty(True)

    def _set_dirty(self, dirty: bool) -> None:
        self._dirty = dirty
        font = QFont(self.apply_button.font())
        font.setBold(dirty)
        self.apply_button.setFont(font)

    def _request_fit(self) -> None:
        if self._report is not None and self._report.ok:
            self.fit_requested.emit(self._report)

    # -- drag and drop --------------------------------------------------------------
    def _dropped_path(self, event: QDragEnterEvent | QDropEvent) -> str | None:
        mime = event.mimeData()
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and self.can_open(url.toLocalFile()):
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        if self._dropped_path(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt API)
        path = self._dropped_path(event)
        if path:
            event.acceptProposedAction()
            self.set_path(path)
