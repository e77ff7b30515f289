"""The Data panel: choose a source, set its options, see a preview, the class
counts, the summary and every problem the inspection found.

Inspections run on a :class:`~nnstudio.ui.tasks.Task` (never the GUI thread) with a progress bar and
a Cancel button. TensorFlow is never imported here: inspecting needs only the
data layer's readers.

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
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFont, QImage
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.data.config import DataConfig, config_for_path, detect_kind
from nnstudio.core.data.errors import Cancelled, DataError
from nnstudio.core.data.report import Report
from nnstudio.core.tasks import TaskState
from nnstudio.ui.data_preview import (
    ClassChart,
    PreviewView,
    ProblemsView,
    load_thumbnail,
    problem_counts,
)
from nnstudio.ui.tasks import Task

log = logging.getLogger(__name__)

DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".npy", ".npz")
FILE_FILTER = "Data files (*.csv *.tsv *.txt *.npy *.npz);;All files (*)"
ROLES = ("feature", "target", "ignore")
TYPES = ("auto", "numeric", "categorical")


# -- background inspection ---------------------------------------------------------


@dataclass
class InspectionResult:
    """What a background inspection hands to the GUI thread."""

    config: DataConfig
    report: Report
    user: bool
    table: tuple[list[str], list[list[str]]] | None = None
    images: list[tuple[str, QImage]] = field(default_factory=list)
    arrays: list[str] = field(default_factory=list)


def inspect_with_preview(state: TaskState, config: DataConfig, user: bool) -> InspectionResult:
    """Inspect a source and build its preview, off the GUI thread (run on a
    :class:`~nnstudio.ui.tasks.Task`); raises ``Cancelled`` when asked to stop."""
    from nnstudio.core.data import inspect_source

    report = inspect_source(
        config,
        progress=lambda done, total: state.set_progress(done, total),
        cancelled=lambda: state.stop_requested,
    )
    result = InspectionResult(config, report, user)
    _preview(result, state)
    if state.stop_requested:
        raise Cancelled()
    return result


def _preview(result: InspectionResult, state: TaskState) -> None:
    from nnstudio.core.data import preview

    report, config = result.report, result.config
    if config.kind == "csv":
        result.table = preview.table_preview(report, delimiter=config.delimiter)
    elif config.kind == "images":
        for name, path in preview.image_examples(report):
            if state.stop_requested:
                return
            result.images.append((name, load_thumbnail(path)))
    elif config.kind == "numpy" and config.path.lower().endswith(".npz"):
        from nnstudio.core.data.numpy_source import npz_infos

        try:
            result.arrays = list(npz_infos(config.path))
        except DataError:
            result.arrays = []


# -- the panel ----------------------------------------------------------------------


def _combo(items: list[tuple[str, Any]]) -> QComboBox:
    box = QComboBox()
    for text, data in items:
        box.addItem(text, data)
    return box


def _select_data(box: QComboBox, data: Any) -> None:
    index = box.findData(data)
    box.setCurrentIndex(index if index >= 0 else 0)


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
        self._loading = False
        self._dirty = False
        self._validation_path: str | None = None
        self._targets_path: str | None = None
        self._build()
        self._show_config(None)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # -- construction ---------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)

        source = QHBoxLayout()
        self.kind_label = QLabel("No data")
        self.kind_label.setMinimumWidth(60)
        self.path_edit = QLineEdit()
        self.path_edit.setReadOnly(True)
        self.path_edit.setPlaceholderText(
            "Choose or drop a CSV file, an image folder or a .npy/.npz"
        )
        self.open_file_button = QPushButton("File…")
        self.open_file_button.setToolTip("Open a CSV/TSV file or a NumPy .npy/.npz file")
        self.open_folder_button = QPushButton("Folder…")
        self.open_folder_button.setToolTip("Open an image folder (one sub-folder per class)")
        self.open_file_button.clicked.connect(self._choose_file)
        self.open_folder_button.clicked.connect(self._choose_folder)
        source.addWidget(self.kind_label)
        source.addWidget(self.path_edit, 1)
        source.addWidget(self.open_file_button)
        source.addWidget(self.open_folder_button)
        layout.addLayout(source)

        self.options = QStackedWidget()
        self.options.addWidget(QWidget())  # nothing chosen
        self.options.addWidget(self._build_csv_options())
        self.options.addWidget(self._build_image_options())
        self.options.addWidget(self._build_numpy_options())
        self.options.currentChanged.connect(self._fit_options_page)
        options_box = QGroupBox("Options")
        options_layout = QVBoxLayout(options_box)
        options_layout.setContentsMargins(6, 6, 6, 6)
        options_layout.addWidget(self.options)
        options_layout.addWidget(self._build_split_options())
        options_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(options_box)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(scroll, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)

        actions = QHBoxLayout()
        self.apply_button = QPushButton("Apply && inspect")
        self.apply_button.setToolTip("Inspect the data again with these options")
        self.apply_button.clicked.connect(self.inspect)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        actions.addWidget(self.apply_button)
        actions.addWidget(self.progress, 1)
        actions.addWidget(self.cancel_button)
        top_layout.addLayout(actions)

        self.status = QLabel()
        self.status.setWordWrap(True)
        top_layout.addWidget(self.status)

        self.tabs = QTabWidget()
        self.preview = PreviewView()
        self.chart = ClassChart()
        self.summary = QTextBrowser()
        self.summary.setOpenLinks(False)
        self.problems = ProblemsView()
        self.tabs.addTab(self.preview, "Preview")
        self.tabs.addTab(self.chart, "Classes")
        self.tabs.addTab(self.summary, "Summary")
        self.tabs.addTab(self.problems, "Problems")
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)
        layout.addWidget(self.splitter, 1)

        self.fit_button = QPushButton("Fit model to data")
        self.fit_button.setToolTip(
            "Set the Input's shape from the data and the output layer, loss and metrics "
            "from the targets (one undo step)"
        )
        self.fit_button.clicked.connect(self._request_fit)
        layout.addWidget(self.fit_button)

    def _fit_options_page(self, index: int) -> None:
        """The options box is as tall as the page shown, not the tallest page."""
        for i in range(self.options.count()):
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            self.options.widget(i).setSizePolicy(QSizePolicy.Policy.Preferred, policy)
        self.options.adjustSize()

    def _build_csv_options(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.delimiter_box = _combo(
            [
                ("Detect", None),
                ("Comma ,", ","),
                ("Semicolon ;", ";"),
                ("Tab", "\t"),
                ("Bar |", "|"),
            ]
        )
        self.header_box = _combo([("Detect", None), ("First line", True), ("None", False)])
        self.encoding_box = QComboBox()
        self.encoding_box.setEditable(True)
        self.encoding_box.addItems(["Detect", "utf-8", "cp1252", "latin-1", "utf-16"])
        self.missing_box = _combo(
            [
                ("Stop and list them", "stop"),
                ("Drop those rows", "drop"),
                ("Fill (mean / most common)", "fill"),
            ]
        )
        self.na_edit = QLineEdit()
        self.na_edit.setPlaceholderText("e.g. n/a, ?, -  (empty cells are always missing)")
        self.encoding_kind_box = _combo([("One-hot", "onehot"), ("Integer codes", "integer")])
        self.task_box = _combo(
            [("Detect", "auto"), ("Classification", "classification"), ("Regression", "regression")]
        )
        self.columns_table = QTableWidget(0, 3)
        self.columns_table.setHorizontalHeaderLabels(["Column", "Use as", "Type"])
        self.columns_table.verticalHeader().setVisible(False)
        self.columns_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.columns_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch
        )
        self.columns_table.setMinimumHeight(90)
        form.addRow("Delimiter", self.delimiter_box)
        form.addRow("Header", self.header_box)
        form.addRow("Encoding", self.encoding_box)
        form.addRow("Columns", self.columns_table)
        form.addRow("Categories", self.encoding_kind_box)
        form.addRow("Missing values", self.missing_box)
        form.addRow("Missing markers", self.na_edit)
        form.addRow("Task", self.task_box)
        for box in (
            self.delimiter_box,
            self.header_box,
            self.missing_box,
            self.encoding_kind_box,
            self.task_box,
        ):
            box.currentIndexChanged.connect(self._mark_dirty)
        self.encoding_box.currentTextChanged.connect(self._mark_dirty)
        self.na_edit.textEdited.connect(self._mark_dirty)
        return page

    def _build_image_options(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.size_auto = QCheckBox("Most common size")
        self.size_auto.setChecked(True)
        self.height_spin = QSpinBox()
        self.width_spin = QSpinBox()
        for spin in (self.height_spin, self.width_spin):
            spin.setRange(1, 8192)
            spin.setValue(64)
            spin.setEnabled(False)
            spin.valueChanged.connect(self._mark_dirty)
        self.size_auto.toggled.connect(self._size_auto_toggled)
        size = QHBoxLayout()
        size.addWidget(self.size_auto)
        size.addWidget(self.height_spin)
        size.addWidget(QLabel("×"))
        size.addWidget(self.width_spin)
        size.addStretch(1)
        self.color_box = _combo(
            [("Detect", None), ("Grayscale", "grayscale"), ("RGB", "rgb"), ("RGBA", "rgba")]
        )
        self.color_box.currentIndexChanged.connect(self._mark_dirty)
        form.addRow("Image size (h × w)", size)
        form.addRow("Colour", self.color_box)
        return page

    def _build_numpy_options(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.features_key_box = _combo([("Detect", None)])
        self.targets_key_box = _combo([("Detect", None)])
        targets = QHBoxLayout()
        self.targets_file_edit = QLineEdit()
        self.targets_file_edit.setReadOnly(True)
        self.targets_file_edit.setPlaceholderText("the .npy with the targets (y.npy is found)")
        self.targets_file_button = QToolButton()
        self.targets_file_button.setText("…")
        self.targets_file_button.clicked.connect(self._choose_targets_file)
        targets.addWidget(self.targets_file_edit, 1)
        targets.addWidget(self.targets_file_button)
        self.normalization_box = _combo([("None", "none"), ("Standardize", "standardize")])
        self.np_task_box = _combo(
            [("Detect", "auto"), ("Classification", "classification"), ("Regression", "regression")]
        )
        self.np_missing_box = _combo(
            [
                ("Stop and list them", "stop"),
                ("Drop those samples", "drop"),
                ("Fill (mean)", "fill"),
            ]
        )
        for box in (
            self.features_key_box,
            self.targets_key_box,
            self.normalization_box,
            self.np_task_box,
            self.np_missing_box,
        ):
            box.currentIndexChanged.connect(self._mark_dirty)
        form.addRow("Features array", self.features_key_box)
        form.addRow("Targets array", self.targets_key_box)
        form.addRow("Targets file", targets)
        form.addRow("Normalization", self.normalization_box)
        form.addRow("NaN / Inf", self.np_missing_box)
        form.addRow("Task", self.np_task_box)
        return page

    def _build_split_options(self) -> QWidget:
        box = QWidget()
        form = QFormLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        split = QHBoxLayout()
        self.val_spin = QDoubleSpinBox()
        self.test_spin = QDoubleSpinBox()
        for spin in (self.val_spin, self.test_spin):
            spin.setRange(0.0, 90.0)
            spin.setDecimals(0)
            spin.setSuffix(" %")
            spin.valueChanged.connect(self._mark_dirty)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setMinimumWidth(90)
        self.seed_spin.valueChanged.connect(self._mark_dirty)
        self.stratify_check = QCheckBox("stratified")
        self.stratify_check.toggled.connect(self._mark_dirty)
        split.addWidget(QLabel("validation"))
        split.addWidget(self.val_spin)
        split.addWidget(QLabel("test"))
        split.addWidget(self.test_spin)
        split.addStretch(1)
        seed = QHBoxLayout()
        seed.addWidget(self.seed_spin)
        seed.addWidget(self.stratify_check)
        seed.addStretch(1)
        validation = QHBoxLayout()
        self.validation_edit = QLineEdit()
        self.validation_edit.setReadOnly(True)
        self.validation_edit.setPlaceholderText("(split from the data)")
        self.validation_button = QToolButton()
        self.validation_button.setText("…")
        self.validation_button.setToolTip("Use a separate validation file or folder")
        self.validation_button.clicked.connect(self._choose_validation)
        self.validation_clear = QToolButton()
        self.validation_clear.setText("Clear")
        self.validation_clear.clicked.connect(self._clear_validation)
        validation.addWidget(self.validation_edit, 1)
        validation.addWidget(self.validation_button)
        validation.addWidget(self.validation_clear)
        form.addRow("Split", split)
        form.addRow("Seed", seed)
        form.addRow("Validation data", validation)
        return box

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
        """Use ``path`` with default options, inspect it, then emit ``source_changed``."""
        try:
            config = config_for_path(path)
        except DataError as exc:
            self._set_status(f"Cannot use {path}: {exc}", error=True)
            return
        self._show_config(config)
        self._start(config, user=True)

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
            config = self._config_from_widgets()
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

    def _on_finished(self, result: InspectionResult) -> None:
        if self.sender() is not self._task:
            return
        report = result.report
        config = result.config
        if result.user and report.content_hash:
            config = config.replace(content_hash=report.content_hash)
        self._config = config
        self._report = report
        self._loading = True
        try:
            self._fill_from_report(config, report, result)
        finally:
            self._loading = False
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
        self._loading = True
        try:
            if config is None:
                self.kind_label.setText("No data")
                self.path_edit.clear()
                self.options.setCurrentIndex(0)
                self._set_validation(None, mark=False)
            else:
                self.kind_label.setText(
                    {"csv": "CSV", "images": "Images", "numpy": "NumPy"}[config.kind]
                )
                self.path_edit.setText(config.path)
                self.path_edit.setToolTip(config.path)
                self.options.setCurrentIndex({"csv": 1, "images": 2, "numpy": 3}[config.kind])
                self._options_from_config(config)
        finally:
            self._loading = False
        self._set_dirty(False)
        self.preview.clear()
        self.chart.clear()
        self.summary.clear()
        self.problems.show_report(None)
        self.tabs.setTabText(3, "Problems")
        self.fit_button.setEnabled(False)
        self.apply_button.setEnabled(config is not None)
        self.progress.hide()
        self.cancel_button.setEnabled(False)
        self._set_status("" if config else "Choose a file or folder, or drop one here.")

    def _options_from_config(self, config: DataConfig) -> None:
        _select_data(self.delimiter_box, config.delimiter)
        _select_data(self.header_box, config.header)
        self.encoding_box.setCurrentText(config.encoding or "Detect")
        _select_data(self.missing_box, config.missing)
        _select_data(self.np_missing_box, config.missing)
        self.na_edit.setText(", ".join(config.na_values))
        _select_data(self.encoding_kind_box, config.categorical_encoding)
        _select_data(self.task_box, config.task)
        _select_data(self.np_task_box, config.task)
        self.columns_table.setRowCount(0)
        self.size_auto.setChecked(config.image_size is None)
        if config.image_size is not None:
            self.height_spin.setValue(config.image_size[0])
            self.width_spin.setValue(config.image_size[1])
        _select_data(self.color_box, config.color_mode)
        self._set_keys([], config)
        self._targets_path = config.targets_path
        self.targets_file_edit.setText(config.targets_path or "")
        _select_data(self.normalization_box, config.normalization)
        self.val_spin.setValue(round(config.val_fraction * 100))
        self.test_spin.setValue(round(config.test_fraction * 100))
        self.seed_spin.setValue(config.seed)
        self.stratify_check.setChecked(config.stratify)
        self._set_validation(config.validation_path, mark=False)

    def _set_keys(self, names: list[str], config: DataConfig) -> None:
        for box, chosen in (
            (self.features_key_box, config.features_key),
            (self.targets_key_box, config.targets_key),
        ):
            box.clear()
            box.addItem("Detect", None)
            for name in names:
                box.addItem(name, name)
            if chosen is not None and box.findData(chosen) < 0:
                box.addItem(chosen, chosen)
            _select_data(box, chosen)

    def _fill_from_report(
        self, config: DataConfig, report: Report, result: InspectionResult
    ) -> None:
        if config.kind == "csv" and report.columns:
            self._fill_columns(config, report)
        elif config.kind == "numpy" and result.arrays:
            self._set_keys(result.arrays, config)
        elif config.kind == "images" and config.image_size is None:
            size = report.details.get("image_size")
            if size:
                self.height_spin.setValue(int(size[0]))
                self.width_spin.setValue(int(size[1]))

    def _fill_columns(self, config: DataConfig, report: Report) -> None:
        table = self.columns_table
        table.setRowCount(len(report.columns))
        for row, column in enumerate(report.columns):
            name = column["name"]
            item = QTableWidgetItem(name)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            detected = column.get("type")
            if detected:
                item.setToolTip(f"detected: {detected}")
            table.setItem(row, 0, item)
            role = _combo([(r, r) for r in ROLES])
            role_now = column.get("role", "ignore")
            _select_data(role, "ignore" if role_now == "unused" else role_now)
            role.currentIndexChanged.connect(self._mark_dirty)
            table.setCellWidget(row, 1, role)
            kind = _combo([(t, t) for t in TYPES])
            _select_data(kind, config.column_types.get(name, "auto"))
            kind.currentIndexChanged.connect(self._mark_dirty)
            table.setCellWidget(row, 2, kind)
        table.resizeColumnsToContents()

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
        counts = problem_counts(report)
        if report.ok:
            self._set_status(f"Ready to train · {counts}")
        else:
            first = report.errors[0]
            where = f"{first.location}: " if first.location else ""
            self._set_status(f"Not ready to train · {counts} — {where}{first.message}", True)
            self.tabs.setCurrentWidget(self.problems)
        self.fit_button.setEnabled(report.ok and report.task is not None)

    # -- options --------------------------------------------------------------------
    def _mark_dirty(self, *_: Any) -> None:
        if not self._loading and self._config is not None:
            self._set_dirty(True)

    def _set_dirty(self, dirty: bool) -> None:
        self._dirty = dirty
        font = QFont(self.apply_button.font())
        font.setBold(dirty)
        self.apply_button.setFont(font)

    def _size_auto_toggled(self, auto: bool) -> None:
        self.height_spin.setEnabled(not auto)
        self.width_spin.setEnabled(not auto)
        self._mark_dirty()

    def _clear_validation(self) -> None:
        self._set_validation(None)

    def _set_validation(self, path: str | None, mark: bool = True) -> None:
        self._validation_path = path
        self.validation_edit.setText(path or "")
        self.validation_edit.setToolTip(path or "")
        self.val_spin.setEnabled(path is None)
        if mark:
            self._mark_dirty()

    def _config_from_widgets(self) -> DataConfig:
        assert self._config is not None
        config = self._config
        changes: dict[str, Any] = {
            "val_fraction": self.val_spin.value() / 100.0,
            "test_fraction": self.test_spin.value() / 100.0,
            "seed": self.seed_spin.value(),
            "stratify": self.stratify_check.isChecked(),
            "validation_path": self._validation_path,
        }
        if config.kind == "csv":
            encoding = self.encoding_box.currentText().strip()
            changes.update(
                delimiter=self.delimiter_box.currentData(),
                header=self.header_box.currentData(),
                encoding=None if encoding in ("", "Detect") else encoding,
                missing=self.missing_box.currentData(),
                na_values=[v.strip() for v in self.na_edit.text().split(",") if v.strip()],
                categorical_encoding=self.encoding_kind_box.currentData(),
                task=self.task_box.currentData(),
            )
            if self.columns_table.rowCount():
                features, targets, types = [], [], {}
                for row in range(self.columns_table.rowCount()):
                    name = self.columns_table.item(row, 0).text()
                    role = self.columns_table.cellWidget(row, 1).currentData()
                    kind = self.columns_table.cellWidget(row, 2).currentData()
                    if role == "feature":
                        features.append(name)
                    elif role == "target":
                        targets.append(name)
                    if kind != "auto":
                        types[name] = kind
                changes.update(feature_columns=features, target_columns=targets, column_types=types)
        elif config.kind == "images":
            changes.update(
                image_size=None
                if self.size_auto.isChecked()
                else (self.height_spin.value(), self.width_spin.value()),
                color_mode=self.color_box.currentData(),
            )
        else:
            changes.update(
                features_key=self.features_key_box.currentData(),
                targets_key=self.targets_key_box.currentData(),
                targets_path=self._targets_path,
                normalization=self.normalization_box.currentData(),
                task=self.np_task_box.currentData(),
                missing=self.np_missing_box.currentData(),
            )
        return config.replace(**changes)

    # -- choosing files -------------------------------------------------------------
    def _start_folder(self) -> str:
        if self._config is not None:
            return os.path.dirname(os.path.abspath(self._config.path))
        return os.path.expanduser("~")

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a data file", self._start_folder(), FILE_FILTER
        )
        if path:
            self.set_path(path)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Open an image folder (one sub-folder per class)", self._start_folder()
        )
        if path:
            self.set_path(path)

    def _choose_validation(self) -> None:
        if self._config is None:
            return
        if self._config.kind == "images":
            path = QFileDialog.getExistingDirectory(
                self, "Validation image folder", self._start_folder()
            )
        else:
            path, _ = QFileDialog.getOpenFileName(
                self, "Validation data file", self._start_folder(), FILE_FILTER
            )
        if path:
            self._set_validation(path)

    def _choose_targets_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Targets .npy file", self._start_folder(), "NumPy arrays (*.npy)"
        )
        if path:
            self._targets_path = path
            self.targets_file_edit.setText(path)
            self._mark_dirty()

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


__all__ = ["DataPanel", "InspectionResult", "inspect_with_preview", "detect_kind"]
