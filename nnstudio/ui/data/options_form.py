"""The data options form: one page per kind of source (CSV, image folder, NumPy) and the
split options they share.

The form shows a :class:`DataConfig` (:meth:`OptionsForm.show_config`), fills in what an
inspection found (columns, arrays, image size) and reads the options back
(:meth:`OptionsForm.config_from_widgets`).  ``edited`` is emitted on every change the user
makes (never while the form is being filled).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.report import Report
from nnstudio.ui.data.dialogs import NUMPY_FILTER, choose_file, choose_source

ROLES = ("feature", "target", "ignore")
TYPES = ("auto", "numeric", "categorical")
PAGES = {"csv": 1, "images": 2, "numpy": 3}
TASKS = [("Detect", "auto"), ("Classification", "classification"), ("Regression", "regression")]
TARGETS = [("Labels (classes or values)", "labels"), ("The inputs (reconstruction)", "inputs")]

# the widgets the data panel also offers under its own name (tests and callers use them)
_FORM_WIDGET_NAMES = """
    options columns_table delimiter_box header_box encoding_box missing_box na_edit
    encoding_kind_box task_box targets_box size_auto height_spin width_spin color_box
    image_targets_box features_key_box targets_key_box targets_file_edit normalization_box
    np_task_box np_targets_box np_missing_box val_spin test_spin seed_spin stratify_check
    validation_edit
"""
FORM_WIDGETS = tuple(_FORM_WIDGET_NAMES.split())

__all__ = ["FORM_WIDGETS", "OptionsForm", "ROLES", "TYPES"]


def combo(items: list[tuple[str, Any]]) -> QComboBox:
    """A combo box of ``(text, data)`` items."""
    box = QComboBox()
    for text, data in items:
        box.addItem(text, data)
    return box


def select_data(box: QComboBox, data: Any) -> None:
    """Select the item holding ``data`` (the first item if none does)."""
    index = box.findData(data)
    box.setCurrentIndex(index if index >= 0 else 0)


def _form(page: QWidget) -> QFormLayout:
    form = QFormLayout(page)
    form.setContentsMargins(0, 0, 0, 0)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


class OptionsForm(QWidget):
    """The options of the data source shown (see the module docstring)."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self._kind: str | None = None
        self.validation_path: str | None = None
        self.targets_path: str | None = None
        self.options = QStackedWidget()
        self.options.addWidget(QWidget())  # nothing chosen
        self.options.addWidget(self._build_csv_options())
        self.options.addWidget(self._build_image_options())
        self.options.addWidget(self._build_numpy_options())
        self.options.currentChanged.connect(self._fit_options_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.options)
        layout.addWidget(self._build_split_options())

    # -- pages ------------------------------------------------------------------------
    def _fit_options_page(self, index: int) -> None:
        """The options box is as tall as the page shown, not the tallest page."""
        for i in range(self.options.count()):
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            self.options.widget(i).setSizePolicy(QSizePolicy.Policy.Preferred, policy)
        self.options.adjustSize()

    def _watch(self, *widgets: QWidget) -> None:
        """Report the user's changes of these widgets as ``edited``."""
        for w in widgets:
            if isinstance(w, QComboBox):
                w.currentIndexChanged.connect(self.mark_edited)
            elif isinstance(w, QCheckBox):
                w.toggled.connect(self.mark_edited)
            elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
                w.valueChanged.connect(self.mark_edited)
            elif isinstance(w, QLineEdit):
                w.textEdited.connect(self.mark_edited)

    def _build_csv_options(self) -> QWidget:
        page = QWidget()
        form = _form(page)
        self.delimiter_box = combo(
            [
                ("Detect", None),
                ("Comma ,", ","),
                ("Semicolon ;", ";"),
                ("Tab", "\t"),
                ("Bar |", "|"),
            ]
        )
        self.header_box = combo([("Detect", None), ("First line", True), ("None", False)])
        self.encoding_box = QComboBox()
        self.encoding_box.setEditable(True)
        self.encoding_box.addItems(["Detect", "utf-8", "cp1252", "latin-1", "utf-16"])
        self.missing_box = combo(
            [
                ("Stop and list them", "stop"),
                ("Drop those rows", "drop"),
                ("Fill (mean / most common)", "fill"),
            ]
        )
        self.na_edit = QLineEdit()
        self.na_edit.setPlaceholderText("e.g. n/a, ?, -  (empty cells are always missing)")
        self.encoding_kind_box = combo([("One-hot", "onehot"), ("Integer codes", "integer")])
        self.task_box = combo(TASKS)
        self.targets_box = combo(TARGETS)
        self.columns_table = QTableWidget(0, 3)
        self.columns_table.setHorizontalHeaderLabels(["Column", "Use as", "Type"])
        self.columns_table.verticalHeader().setVisible(False)
        self.columns_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.columns_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch
        )
        self.columns_table.setMinimumHeight(120)
        for label, widget in (
            ("Delimiter", self.delimiter_box),
            ("Header", self.header_box),
            ("Encoding", self.encoding_box),
            ("Columns", self.columns_table),
            ("Categories", self.encoding_kind_box),
            ("Missing values", self.missing_box),
            ("Missing markers", self.na_edit),
            ("Task", self.task_box),
            ("Targets", self.targets_box),
        ):
            form.addRow(label, widget)
        self.encoding_box.currentTextChanged.connect(self.mark_edited)
        self._watch(
            self.delimiter_box,
            self.header_box,
            self.missing_box,
            self.encoding_kind_box,
            self.task_box,
            self.targets_box,
            self.na_edit,
        )
        return page

    def _build_image_options(self) -> QWidget:
        page = QWidget()
        form = _form(page)
        self.size_auto = QCheckBox("Most common size")
        self.size_auto.setChecked(True)
        self.height_spin = QSpinBox()
        self.width_spin = QSpinBox()
        for spin in (self.height_spin, self.width_spin):
            spin.setRange(1, 8192)
            spin.setValue(64)
            spin.setEnabled(False)
        self.size_auto.toggled.connect(self._size_auto_toggled)
        size = QHBoxLayout()
        size.addWidget(self.size_auto)
        size.addWidget(self.height_spin)
        size.addWidget(QLabel("×"))
        size.addWidget(self.width_spin)
        size.addStretch(1)
        self.color_box = combo(
            [("Detect", None), ("Grayscale", "grayscale"), ("RGB", "rgb"), ("RGBA", "rgba")]
        )
        self.image_targets_box = combo(TARGETS)
        self._watch(self.height_spin, self.width_spin, self.color_box, self.image_targets_box)
        form.addRow("Image size (h × w)", size)
        form.addRow("Colour", self.color_box)
        form.addRow("Targets", self.image_targets_box)
        return page

    def _build_numpy_options(self) -> QWidget:
        page = QWidget()
        form = _form(page)
        self.features_key_box = combo([("Detect", None)])
        self.targets_key_box = combo([("Detect", None)])
        targets = QHBoxLayout()
        self.targets_file_edit = QLineEdit()
        self.targets_file_edit.setReadOnly(True)
        self.targets_file_edit.setPlaceholderText("the .npy with the targets (y.npy is found)")
        self.targets_file_button = QToolButton()
        self.targets_file_button.setText("…")
        self.targets_file_button.clicked.connect(self._choose_targets_file)
        targets.addWidget(self.targets_file_edit, 1)
        targets.addWidget(self.targets_file_button)
        self.normalization_box = combo([("None", "none"), ("Standardize", "standardize")])
        self.np_task_box = combo(TASKS)
        self.np_targets_box = combo(TARGETS)
        self.np_missing_box = combo(
            [
                ("Stop and list them", "stop"),
                ("Drop those samples", "drop"),
                ("Fill (mean)", "fill"),
            ]
        )
        self._watch(
            self.features_key_box,
            self.targets_key_box,
            self.normalization_box,
            self.np_task_box,
            self.np_targets_box,
            self.np_missing_box,
        )
        form.addRow("Features array", self.features_key_box)
        form.addRow("Targets array", self.targets_key_box)
        form.addRow("Targets file", targets)
        form.addRow("Normalization", self.normalization_box)
        form.addRow("NaN / Inf", self.np_missing_box)
        form.addRow("Task", self.np_task_box)
        form.addRow("Targets", self.np_targets_box)
        return page

    def _build_split_options(self) -> QWidget:
        box = QWidget()
        form = _form(box)
        split = QHBoxLayout()
        self.val_spin = QDoubleSpinBox()
        self.test_spin = QDoubleSpinBox()
        for spin in (self.val_spin, self.test_spin):
            spin.setRange(0.0, 90.0)
            spin.setDecimals(0)
            spin.setSuffix(" %")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setMinimumWidth(90)
        self.stratify_check = QCheckBox("stratified")
        self._watch(self.val_spin, self.test_spin, self.seed_spin, self.stratify_check)
        for widget in (QLabel("validation"), self.val_spin, QLabel("test"), self.test_spin):
            split.addWidget(widget)
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
        self.validation_clear.clicked.connect(lambda: self.set_validation(None))
        validation.addWidget(self.validation_edit, 1)
        validation.addWidget(self.validation_button)
        validation.addWidget(self.validation_clear)
        form.addRow("Split", split)
        form.addRow("Seed", seed)
        form.addRow("Validation data", validation)
        return box

    # -- edits --------------------------------------------------------------------------
    @contextmanager
    def loading(self) -> Iterator[None]:
        """Fill widgets without reporting ``edited``."""
        was, self._loading = self._loading, True
        try:
            yield
        finally:
            self._loading = was

    def mark_edited(self, *_: Any) -> None:
        if not self._loading and self._kind is not None:
            self.edited.emit()

    def _size_auto_toggled(self, auto: bool) -> None:
        self.height_spin.setEnabled(not auto)
        self.width_spin.setEnabled(not auto)
        self.mark_edited()

    def set_validation(self, path: str | None, mark: bool = True) -> None:
        """Use a separate validation source (``None``: split it from the data)."""
        self.validation_path = path
        self.validation_edit.setText(path or "")
        self.validation_edit.setToolTip(path or "")
        self.val_spin.setEnabled(path is None)
        if mark:
            self.mark_edited()

    def _choose_validation(self) -> None:
        if self._kind is None:
            return
        title = "Validation image folder" if self._kind == "images" else "Validation data file"
        path = choose_source(self, self._kind, title)
        if path:
            self.set_validation(path)

    def _choose_targets_file(self) -> None:
        path = choose_file(self, "Targets .npy file", NUMPY_FILTER)
        if path:
            self.targets_path = path
            self.targets_file_edit.setText(path)
            self.mark_edited()

    # -- showing and reading ------------------------------------------------------------
    def show_config(self, config: DataConfig | None) -> None:
        """Show ``config``'s options (no ``edited``); ``None`` shows the empty page."""
        self._kind = None if config is None else config.kind
        with self.loading():
            if config is None:
                self.options.setCurrentIndex(0)
                self.set_validation(None, mark=False)
            else:
                self.options.setCurrentIndex(PAGES[config.kind])
                self._options_from_config(config)

    def _options_from_config(self, config: DataConfig) -> None:
        select_data(self.delimiter_box, config.delimiter)
        select_data(self.header_box, config.header)
        self.encoding_box.setCurrentText(config.encoding or "Detect")
        for box in (self.missing_box, self.np_missing_box):
            select_data(box, config.missing)
        self.na_edit.setText(", ".join(config.na_values))
        select_data(self.encoding_kind_box, config.categorical_encoding)
        for box in (self.task_box, self.np_task_box):
            select_data(box, config.task)
        for box in (self.targets_box, self.image_targets_box, self.np_targets_box):
            select_data(box, config.targets)
        self.columns_table.setRowCount(0)
        self.size_auto.setChecked(config.image_size is None)
        if config.image_size is not None:
            self.height_spin.setValue(config.image_size[0])
            self.width_spin.setValue(config.image_size[1])
        select_data(self.color_box, config.color_mode)
        self.set_keys([], config)
        self.targets_path = config.targets_path
        self.targets_file_edit.setText(config.targets_path or "")
        select_data(self.normalization_box, config.normalization)
        self.val_spin.setValue(round(config.val_fraction * 100))
        self.test_spin.setValue(round(config.test_fraction * 100))
        self.seed_spin.setValue(config.seed)
        self.stratify_check.setChecked(config.stratify)
        self.set_validation(config.validation_path, mark=False)

    def set_keys(self, names: list[str], config: DataConfig) -> None:
        """Offer an .npz file's arrays as the features and targets arrays."""
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
            select_data(box, chosen)

    def fill_from_report(self, config: DataConfig, report: Report, arrays: list[str]) -> None:
        """Show what the inspection found: CSV columns, .npz arrays, the image size."""
        with self.loading():
            if config.kind == "csv" and report.columns:
                self._fill_columns(config, report)
            elif config.kind == "numpy" and arrays:
                self.set_keys(arrays, config)
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
            role = combo([(r, r) for r in ROLES])
            role_now = column.get("role", "ignore")
            select_data(role, "ignore" if role_now == "unused" else role_now)
            kind = combo([(t, t) for t in TYPES])
            select_data(kind, config.column_types.get(name, "auto"))
            self._watch(role, kind)
            table.setCellWidget(row, 1, role)
            table.setCellWidget(row, 2, kind)
        table.resizeColumnsToContents()

    def config_from_widgets(self, config: DataConfig) -> DataConfig:
        """``config`` with the options shown (raises ``DataError`` if they do not go)."""
        changes: dict[str, Any] = {
            "val_fraction": self.val_spin.value() / 100.0,
            "test_fraction": self.test_spin.value() / 100.0,
            "seed": self.seed_spin.value(),
            "stratify": self.stratify_check.isChecked(),
            "validation_path": self.validation_path,
        }
        if config.kind == "csv":
            changes.update(self._csv_changes())
        elif config.kind == "images":
            changes.update(
                image_size=None
                if self.size_auto.isChecked()
                else (self.height_spin.value(), self.width_spin.value()),
                color_mode=self.color_box.currentData(),
                targets=self.image_targets_box.currentData(),
            )
        else:
            changes.update(
                features_key=self.features_key_box.currentData(),
                targets_key=self.targets_key_box.currentData(),
                targets_path=self.targets_path,
                normalization=self.normalization_box.currentData(),
                task=self.np_task_box.currentData(),
                missing=self.np_missing_box.currentData(),
                targets=self.np_targets_box.currentData(),
            )
        return config.replace(**changes)

    def _csv_changes(self) -> dict[str, Any]:
        encoding = self.encoding_box.currentText().strip()
        changes: dict[str, Any] = dict(
            delimiter=self.delimiter_box.currentData(),
            header=self.header_box.currentData(),
            encoding=None if encoding in ("", "Detect") else encoding,
            missing=self.missing_box.currentData(),
            na_values=[v.strip() for v in self.na_edit.text().split(",") if v.strip()],
            categorical_encoding=self.encoding_kind_box.currentData(),
            task=self.task_box.currentData(),
            targets=self.targets_box.currentData(),
        )
        table = self.columns_table
        if table.rowCount():
            features, targets, types = [], [], {}
            for row in range(table.rowCount()):
                name = table.item(row, 0).text()
                role = table.cellWidget(row, 1).currentData()
                kind = table.cellWidget(row, 2).currentData()
                if role == "feature":
                    features.append(name)
                elif role == "target":
                    targets.append(name)
                if kind != "auto":
                    types[name] = kind
            changes.update(feature_columns=features, target_columns=targets, column_types=types)
        return changes
