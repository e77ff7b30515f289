"""The Export dialog: formats as checkboxes, a target folder, progress, then the verification
table (one row per format: where it went, the runtime that reloaded it, the max abs
difference from the in-app model) and an "Open folder" button.

The export runs on a :class:`~nnstudio.ui.tasks.Task` through
:func:`nnstudio.core.export.export_model`; its progress arrives as queued signals, so the
window stays responsive.  Nothing here imports TensorFlow or Keras at module level.

``model_provider`` is a callable run on the worker thread that returns the
:class:`~nnstudio.core.export.ExportSource` to export (or a bare Keras model, exported with
the project's graph and no run).  :func:`run_provider` makes one for a project's run (the
run list's "Export…"; the latest run for File > Export…); :func:`open_export_dialog` opens
the dialog for a main window.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.export import FORMATS, ExportError, ExportReport
from nnstudio.core.export.preprocessing import read_preprocessing
from nnstudio.core.tasks import TaskState
from nnstudio.ui.tasks import Task

ModelProvider = Callable[[], Any]
COLUMNS = ("Format", "File", "Verified with", "Max abs diff", "Result", "Time")
DEFAULT_FORMATS = ("keras",)

if TYPE_CHECKING:
    from nnstudio.core.project import Project
    from nnstudio.core.training.records import RunRecord


def run_provider(project: Any, run_id: str | None = None) -> ModelProvider:
    """A provider that loads ``project``'s run (the latest by default; with no run, the
    untrained model of its graph)."""

    def provide() -> Any:
        from nnstudio.core.export import source_from_project

        return source_from_project(project, run_id)

    return provide


def _export(
    state: TaskState,
    provider: ModelProvider,
    project: Any,
    formats: list[str],
    folder: Path,
    base_name: str,
    bake: bool,
) -> ExportReport:
    """The export, run on a :class:`~nnstudio.ui.tasks.Task` thread (no GUI objects)."""
    from nnstudio.core.export import (
        ExportSource,
        export_model,
        source_from_model,
        validation_arrays,
    )

    state.set_progress(0.0, 1.0, "Loading the model", force=True)
    source = provider()
    if not isinstance(source, ExportSource):
        source = source_from_model(source, project, None)
    validation = None
    if "tflite-int8" in formats:
        state.set_progress(0.0, 1.0, "Reading the validation data", force=True)
        validation = validation_arrays(source)
    return export_model(
        source,
        formats,
        folder,
        bake=bake,
        base_name=base_name,
        validation=validation,
        state=state,
    )


class ExportDialog(QDialog):
    """Choose formats and a folder, export in the background, show the verification."""

    export_finished = Signal(object)  # ExportReport, or None after a failure

    def __init__(
        self,
        model_provider: ModelProvider,
        project: Project | None = None,
        parent: QWidget | None = None,
        run: RunRecord | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Model")
        self.setMinimumWidth(720)
        self.provider = model_provider
        self.project = project
        self.run = run
        self.report: ExportReport | None = None
        self._thread: Task | None = None

        layout = QVBoxLayout(self)
        self.heading = QLabel(self._heading_text())
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        layout.addWidget(self._build_formats())
        self.bake = self._build_bake()
        layout.addWidget(self.bake)
        layout.addLayout(self._build_target_row())
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.status = QLabel("Choose formats and a folder, then Export.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        self.table = self._build_table()
        layout.addWidget(self.table, 1)
        layout.addLayout(self._build_buttons())
        self._update_buttons()

    # -- building -------------------------------------------------------------------------
    def _build_formats(self) -> QGroupBox:
        box = QGroupBox("Formats")
        grid = QGridLayout(box)
        self.checks: dict[str, QCheckBox] = {}
        for i, (key, fmt) in enumerate(FORMATS.items()):
            check = QCheckBox(fmt.title)
            check.setChecked(key in DEFAULT_FORMATS)
            check.setToolTip(f"{fmt.default_name('model')} — verified with {fmt.runtime}")
            check.toggled.connect(self._update_buttons)
            grid.addWidget(check, i // 2, i % 2)
            self.checks[key] = check
        return box

    def _build_bake(self) -> QCheckBox:
        bake = QCheckBox("Include the preprocessing in the model (it then takes raw inputs)")
        steps = self._recorded_steps()
        bake.setEnabled(bool(steps))
        bake.setChecked(bool(steps))
        bake.setToolTip(
            "\n".join(steps) if steps else "No preprocessing was recorded for this model."
        )
        return bake

    def _build_target_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("Folder:"))
        self.folder = QLineEdit(str(self._default_folder()))
        self.folder.textChanged.connect(self._update_buttons)
        row.addWidget(self.folder, 1)
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._choose_folder)
        row.addWidget(self.browse)
        row.addWidget(QLabel("Name:"))
        self.base_name = QLineEdit("model")
        self.base_name.setMaximumWidth(140)
        self.base_name.textChanged.connect(self._update_buttons)
        row.addWidget(self.base_name)
        return row

    def _build_table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS))
        table.setHorizontalHeaderLabels(COLUMNS)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # never cut
        header.setStretchLastSection(True)
        return table

    def _build_buttons(self) -> QHBoxLayout:
        buttons = QHBoxLayout()
        self.open_folder = QPushButton("Open folder")
        self.open_folder.setEnabled(False)
        self.open_folder.clicked.connect(self._open_folder)
        buttons.addWidget(self.open_folder)
        buttons.addStretch(1)
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_export)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        for b in (self.export_button, self.cancel_button, self.close_button):
            buttons.addWidget(b)
        return buttons

    # -- state ----------------------------------------------------------------------------
    def _latest_run(self) -> RunRecord | None:
        if self.project is None or not self.project.runs:
            return None
        from nnstudio.core.training.runs import latest_run

        return latest_run(self.project)

    def _heading_text(self) -> str:
        name = (self.project.name if self.project is not None else "") or "Model"
        if self.run is not None:
            return f"<b>{name}</b> — run {self.run.name or self.run.id}"
        latest = self._latest_run()
        if latest is not None:
            return f"<b>{name}</b> — the latest run, {latest.name or latest.id}"
        return (
            f"<b>{name}</b> — <span style='color:#b36b00'>no trained run is recorded; an "
            "untrained model carries its random initial weights</span>"
        )

    def _recorded_steps(self) -> list[str]:
        run = self.run if self.run is not None else self._latest_run()
        record = run.preprocessing if run is not None else None
        if not record:
            return []
        try:
            preps = read_preprocessing(record, ["input"])
        except ExportError:
            return []
        return [s.describe() for p in preps.values() for s in p.steps]

    def _default_folder(self) -> Path:
        path = self.project.path if self.project is not None else None
        if path:
            return Path(path).parent / f"{Path(path).stem}_export"
        return Path.home() / "nnstudio_export"

    def selected_formats(self) -> list[str]:
        """Checked format keys, in the catalogue order."""
        return [k for k, c in self.checks.items() if c.isChecked()]

    def is_running(self) -> bool:
        """An export is in progress (until its thread's end has been handled here)."""
        return self._thread is not None

    def _update_buttons(self) -> None:
        running = self.is_running()
        ready = bool(
            self.selected_formats() and self.folder.text().strip() and self.base_name.text().strip()
        )
        self.export_button.setEnabled(ready and not running)
        self.cancel_button.setEnabled(running)
        self.close_button.setEnabled(not running)
        for w in (*self.checks.values(), self.folder, self.browse, self.base_name):
            w.setEnabled(not running)
        self.bake.setEnabled(not running and bool(self._recorded_steps()))

    # -- actions --------------------------------------------------------------------------
    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Export to folder", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def start_export(self) -> None:
        """Start exporting the checked formats in the background."""
        if self.is_running():
            return
        formats = self.selected_formats()
        if not formats:
            return
        self.report = None
        self.table.setRowCount(0)
        self.open_folder.setEnabled(False)
        self.progress.setValue(0)
        self.status.setText("Starting…")
        task = Task(
            _export,
            self.provider,
            self.project,
            formats,
            Path(self.folder.text().strip()).expanduser(),
            self.base_name.text().strip(),
            self.bake.isChecked(),
            parent=self,
            name="export",
            pause_gc=True,  # TFLite's converter and a GUI-thread collection can deadlock
        )
        task.progress.connect(self._on_task_progress)
        task.result.connect(self._on_succeeded)
        task.error.connect(self._on_error)
        task.finished.connect(self._on_thread_finished)
        self._thread = task
        task.start()
        self._update_buttons()

    def cancel_export(self) -> None:
        """Ask the export to stop after the format in progress."""
        if self._thread is not None:
            self._thread.cancel()
            self.status.setText("Cancelling after the current format…")

    def _on_task_progress(self, done: float, total: float, text: str) -> None:
        self._on_progress(done / total if total else 0.0, text)

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.status.setText(text + "…" if fraction < 1.0 else text)

    def _on_succeeded(self, report: ExportReport) -> None:
        self.report = report
        self.progress.setValue(1000)
        self._fill_table(report)
        failed = [r for r in report.results if not r.ok]
        lines = [f"Warning: {w}" for w in report.warnings]
        if report.cancelled:
            lines.append("Cancelled.")
        if failed:
            lines.append(
                f"{len(failed)} of {len(report.results)} format(s) failed; earlier "
                "files at those paths were left as they were."
            )
        elif report.results:
            lines.append(f"All {len(report.results)} export(s) written and verified.")
        self.status.setText("\n".join(lines))
        self.open_folder.setEnabled(any(r.ok for r in report.results))
        self.export_finished.emit(report)

    def _on_error(self, exc: BaseException) -> None:
        # an export error is the user's to read; anything else shown, not as a traceback box
        self._on_failed(
            str(exc) if isinstance(exc, ExportError) else f"{type(exc).__name__}: {exc}"
        )

    def _on_failed(self, message: str) -> None:
        self.report = None
        self.progress.setValue(0)
        self.status.setText(f"Export failed: {message}")
        self.export_finished.emit(None)

    def _on_thread_finished(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.deleteLater()
        self._update_buttons()

    def _fill_table(self, report: ExportReport) -> None:
        self.table.setRowCount(len(report.results))
        for row, r in enumerate(report.results):
            v = r.verification
            if r.ok and v is not None:
                result = "ok" if v.tolerance is not None else "reported"
                extra = v.summary().split("; ", 1)
                if len(extra) > 1:
                    result += f" — {extra[1]}"
            else:
                result = f"failed: {r.error}"
            cells = (
                FORMATS[r.format].title,
                r.path.name,
                v.runtime if v else "",
                f"{v.max_abs_diff:.2e}" if v else "",
                result,
                f"{r.seconds:.1f} s",
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(str(r.path) if col == 1 else text)
                if col == 4 and not r.ok:
                    item.setForeground(Qt.GlobalColor.red)
                self.table.setItem(row, col, item)

    def _open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(self.folder.text()).expanduser())))

    # -- closing --------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 120_000) -> None:
        """Cancel a running export and wait for its thread (the format in progress ends)."""
        task = self._thread
        if task is not None:
            task.shutdown(timeout_ms)

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        """Close only when no export is running (Escape and Close wait for it)."""
        if self.is_running():
            self.cancel_export()
            return
        super().done(result)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """The window's close button cancels a running export and waits for it."""
        self.shutdown()
        super().closeEvent(event)


def install(window: Any) -> QAction:
    """Add File > Export Model… to a main window (before its Close entry when there is one);
    returns the action."""
    action = QAction("&Export Model…", window)
    action.setShortcut(QKeySequence("Ctrl+E"))
    action.setStatusTip(
        "Export the latest trained run (keras, SavedModel, TFLite, ONNX, Python), each verified"
    )
    action.triggered.connect(lambda: open_export_dialog(window))
    file_menu = next(
        (
            a.menu()
            for a in window.menuBar().actions()
            if a.menu() is not None and a.text().replace("&", "") == "File"
        ),
        None,
    )
    if file_menu is None:
        file_menu = window.menuBar().addMenu("&File")
    before = getattr(window, "close_action", None)
    if before is not None and before in file_menu.actions():
        file_menu.insertAction(before, action)
        file_menu.insertSeparator(before)
    else:
        file_menu.addAction(action)
    window.export_action = action
    return action


def open_export_dialog(window: Any, run_id: str | None = None) -> ExportDialog:
    """Open the dialog for ``window.project`` (its run ``run_id``, else the latest run)."""
    project = window.project
    run = None
    if run_id is not None:
        index = project.run_index(run_id)
        run = project.runs[index] if index is not None else None
    dialog = ExportDialog(run_provider(project, run_id), project, window, run=run)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
