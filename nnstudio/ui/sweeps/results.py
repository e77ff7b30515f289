"""The sweep's results table: a model of the trials, a sort-and-filter proxy, and the panel
(filter box, table, apply buttons).

Every column sorts on its raw value (numbers as numbers, empty cells last); the filter box
takes the clauses of :mod:`nnstudio.ui.sweeps.filters`; the best trial (by the sweep's
metric and its direction) is drawn bold on a tinted background.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.objectives.monitors import metric_mode
from nnstudio.ui.sweeps.filters import Clause, FilterError, accepts, parse_filter

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
BEST_COLOR = QColor(63, 154, 79, 60)
Index = QModelIndex | QPersistentModelIndex


def metric_value(values: Any, metric: str) -> float | None:
    """A trial's ``final`` or ``best`` metric: a number, or ``{metric: number}``."""
    if isinstance(values, dict):
        values = values.get(metric)
    if isinstance(values, bool) or not isinstance(values, int | float):
        return None
    return float(values) if math.isfinite(values) else None


def trial_score(trial: Any, metric: str) -> float | None:
    """The trial's best value of ``metric`` (its final value if no best was kept)."""
    best = metric_value(trial.best, metric)
    return best if best is not None else metric_value(trial.final, metric)


def fmt(value: Any) -> str:
    """A cell's text: 4 significant digits for floats, plain text otherwise."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class TrialsModel(QAbstractTableModel):
    """One row per trial: its number, parameters, final and best metric, epochs, status."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.trials: list[Any] = []
        self.params: list[str] = []
        self.metric = "val_loss"
        self.best_number: int | None = None

    # -- content ------------------------------------------------------------------------
    def reset(self, params: Iterable[str], metric: str, trials: Iterable[Any] = ()) -> None:
        """Start over with these parameter columns, metric and trials."""
        self.beginResetModel()
        self.params = list(params)
        self.metric = metric
        self.trials = sorted(trials, key=lambda t: t.number)
        for trial in self.trials:
            self._add_columns(trial)
        self._find_best()
        self.endResetModel()

    def add_trial(self, trial: Any) -> None:
        """Add a finished trial, or update the row of the same number."""
        others = [t for t in self.trials if t.number != trial.number]
        if len(others) != len(self.trials) or any(n not in self.params for n in trial.params):
            self.reset(self.params, self.metric, [*others, trial])
            return
        self.beginInsertRows(QModelIndex(), len(self.trials), len(self.trials))
        self.trials.append(trial)
        self.endInsertRows()
        old = self.best_number
        self._find_best()
        if old != self.best_number:
            last = self.index(len(self.trials) - 1, self.columnCount() - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    def _add_columns(self, trial: Any) -> None:
        for name in trial.params:
            if name not in self.params:
                self.params.append(name)

    def _find_best(self) -> None:
        sign = -1.0 if metric_mode(self.metric) == "max" else 1.0
        scored = []
        for t in self.trials:
            value = trial_score(t, self.metric)
            if value is not None and t.status in ("completed", "pruned", "stopped"):
                scored.append((sign * value, t.number))
        self.best_number = min(scored)[1] if scored else None

    def best_trial(self) -> Any:
        """The best finished trial (``None`` while there is none)."""
        return next((t for t in self.trials if t.number == self.best_number), None)

    def trial_at(self, row: int) -> Any:
        """The trial shown in source ``row``."""
        return self.trials[row]

    # -- columns ------------------------------------------------------------------------
    def columns(self) -> list[str]:
        """The columns' names (also the names the filter accepts)."""
        return ["trial", *self.params, self.metric, f"best_{self.metric}", "epochs", "status"]

    def row_values(self, row: int) -> dict[str, Any]:
        """Column name -> raw value of one row (what sorting and filtering see)."""
        t = self.trials[row]
        values: dict[str, Any] = {"trial": t.number}
        values.update({p: t.params.get(p) for p in self.params})
        values[self.metric] = metric_value(t.final, self.metric)
        values[f"best_{self.metric}"] = metric_value(t.best, self.metric)
        values["epochs"] = t.epochs
        values["status"] = t.status
        return values

    # -- Qt -----------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt
        return 0 if parent.isValid() else len(self.trials)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt
        return 0 if parent.isValid() else len(self.params) + 5

    def headerData(  # noqa: N802 - Qt's name
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        name = self.columns()[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return name.replace("best_", "best ") if name.startswith("best_") else name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Sort by {name}; filter with e.g. {name}>=…"
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = self.columns()[index.column()]
        value = self.row_values(index.row())[column]
        best = self.trials[index.row()].number == self.best_number
        if role == Qt.ItemDataRole.DisplayRole:
            return fmt(value)
        if role == SORT_ROLE:
            return value
        if role == Qt.ItemDataRole.BackgroundRole and best:
            return QBrush(BEST_COLOR)
        if role == Qt.ItemDataRole.FontRole and best:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and best:
            return f"The best trial by {self.metric}"
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class TrialsProxy(QSortFilterProxyModel):
    """Sorts on the raw values (numbers numerically, empty cells last) and filters rows on
    the clauses set by :meth:`set_filter`."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.clauses: list[Clause] = []

    def set_filter(self, text: str) -> None:
        """Filter on ``text`` (:class:`FilterError` if it cannot be read; filter unchanged)."""
        model = self.sourceModel()
        assert isinstance(model, TrialsModel)
        clauses = parse_filter(text, model.columns())
        self.beginFilterChange()
        self.clauses = clauses
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:  # noqa: N802 - Qt
        model = self.sourceModel()
        if not self.clauses or not isinstance(model, TrialsModel):
            return True
        return accepts(model.row_values(row), self.clauses)

    def lessThan(self, left: Index, right: Index) -> bool:  # noqa: N802 - Qt
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if a is None or b is None:
            return a is not None  # empty cells after the rest (ascending)
        if isinstance(a, int | float) and isinstance(b, int | float):
            return a < b
        return str(a).lower() < str(b).lower()


class ResultsPanel(QWidget):
    """Filter box, the trials table and the apply buttons.

    Signals: ``selection_changed(list)`` (the selected trials' numbers),
    ``apply_requested(object)`` (``"best"`` or a trial number).
    """

    selection_changed = Signal(list)
    apply_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = TrialsModel(self)
        self.proxy = TrialsProxy(self)
        self.proxy.setSourceModel(self.model)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("trialFilter")
        self.filter_edit.setPlaceholderText(
            "Filter, e.g.  units>=32  status=completed  val_loss<0.5"
        )
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter_changed)
        self.filter_error = QLabel()
        self.filter_error.setStyleSheet("color: #d64545;")
        self.filter_error.setWordWrap(True)
        self.filter_error.hide()
        self.count_label = QLabel("No trials yet")
        self.table = QTableView()
        self.table.setObjectName("trialsTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(self._double_clicked)
        self.apply_best = QPushButton("Apply best to the project")
        self.apply_best.setObjectName("applyBest")
        self.apply_best.setToolTip("Set the best trial's values in the model (one undo step)")
        self.apply_best.clicked.connect(lambda: self.apply_requested.emit("best"))
        self.apply_selected = QPushButton("Apply selected")
        self.apply_selected.setObjectName("applySelected")
        self.apply_selected.setToolTip("Set the selected trial's values in the model")
        self.apply_selected.clicked.connect(self._apply_selected)
        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.count_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.apply_selected)
        buttons.addWidget(self.apply_best)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.filter_error)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.model.modelReset.connect(self._update)
        self.model.rowsInserted.connect(self._update)
        self.proxy.layoutChanged.connect(self._update)
        self._update()

    # -- content ------------------------------------------------------------------------
    def reset(self, params: Iterable[str], metric: str, trials: Iterable[Any] = ()) -> None:
        """Show these trials (a new or reopened sweep)."""
        self.model.reset(params, metric, trials)
        self._filter_changed(self.filter_edit.text())
        self.table.resizeColumnsToContents()

    def add_trial(self, trial: Any) -> None:
        """A trial finished."""
        self.model.add_trial(trial)
        if self.model.rowCount() <= 2:
            self.table.resizeColumnsToContents()

    def selected_numbers(self) -> list[int]:
        """The numbers of the selected trials, in table order."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        source = [self.proxy.mapToSource(self.proxy.index(r, 0)).row() for r in rows]
        return [self.model.trial_at(r).number for r in source]

    def _selection_changed(self, *_: Any) -> None:
        self.apply_selected.setEnabled(len(self.selected_numbers()) == 1)
        self.selection_changed.emit(self.selected_numbers())

    def _apply_selected(self) -> None:
        numbers = self.selected_numbers()
        if len(numbers) == 1:
            self.apply_requested.emit(numbers[0])

    def _double_clicked(self, index: QModelIndex) -> None:
        self.table.selectRow(index.row())

    def _filter_changed(self, text: str) -> None:
        try:
            self.proxy.set_filter(text)
        except FilterError as exc:
            self.filter_error.setText(str(exc))
            self.filter_error.show()
            self.filter_edit.setProperty("invalid", True)
        else:
            self.filter_error.hide()
            self.filter_edit.setProperty("invalid", False)
        self.filter_edit.style().unpolish(self.filter_edit)
        self.filter_edit.style().polish(self.filter_edit)
        self._update()

    def _update(self, *_: Any) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        if not total:
            text = "No trials yet"
        elif shown == total:
            text = f"{total} trial{'s' if total != 1 else ''}"
        else:
            text = f"{shown} of {total} trials"
        self.count_label.setText(text)
        self.apply_best.setEnabled(self.model.best_number is not None)
        self.apply_selected.setEnabled(len(self.selected_numbers()) == 1)
