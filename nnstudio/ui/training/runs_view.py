"""The project's runs: a grouped list (by sweep, by tag, or none) to overlay them in the
charts, one by one or a whole group at once (as lines or as a band), rename, tag, delete,
compare and export them, and to export every run's history to one file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHeaderView,
    QPushButton,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.training.history_export import run_groups
from nnstudio.core.training.records import RunRecord, as_run_record
from nnstudio.core.training.runs import compare_runs
from nnstudio.ui.overflow_row import OverflowRow
from nnstudio.ui.training.run_tree import (
    BAND,
    COLUMNS,
    EPOCHS,
    NAME,
    STATUS_MARK,
    TAGS,
    Callbacks,
    RunTreeModel,
)

__all__ = ["COLUMNS", "STATUS_MARK", "CompareDialog", "RunsView"]
GROUP_BY = {"sweep": "Group: sweep", "tag": "Group: first tag", "none": "No groups"}
SIZE_ROWS = 64
SPREADS = {"minmax": "Band: min–max", "std": "Band: ±1 std"}


class RunsView(QWidget):
    """The run list.  Signals: ``overlay_toggled(run_id, shown)`` (one run's box),
    ``group_toggled(run_ids, shown)`` (a group's box), ``band_toggled(label, on)``,
    ``grouping_changed()``, ``spread_changed(spread)``, ``renamed(run_id, name)``,
    ``tags_edited(run_id, tags)``, ``delete_requested(run_ids)``, ``export_requested(run_id)``,
    ``history_export_requested()``."""

    overlay_toggled = Signal(str, bool)
    group_toggled = Signal(list, bool)
    band_toggled = Signal(str, bool)
    grouping_changed = Signal()
    spread_changed = Signal(str)
    renamed = Signal(str, str)
    tags_edited = Signal(str, list)
    delete_requested = Signal(list)
    export_requested = Signal(str)
    history_export_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runs: list[RunRecord] = []
        self.collapsed: set[str] = set()  # groups the user folded
        self.model = RunTreeModel(
            Callbacks(self._shown, self.band_toggled.emit, self.renamed.emit, self._tagged),
            self,
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        self.bar = self._controls()  # narrower than its buttons: the rest in a menu
        layout.addWidget(self.bar)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)  # 500 rows: no per-row size queries
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.tree.setIndentation(14)
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setResizeContentsPrecision(SIZE_ROWS)  # sizing reads a sample, not 500 rows
        header.setStretchLastSection(True)
        self.tree.collapsed.connect(lambda i: self._fold(i, True))
        self.tree.expanded.connect(lambda i: self._fold(i, False))
        layout.addWidget(self.tree, 1)
        self.compare_dialog: CompareDialog | None = None

    def _controls(self) -> OverflowRow:
        self.group_by = QComboBox()
        for key, text in GROUP_BY.items():
            self.group_by.addItem(text, key)
        self.group_by.setToolTip("Group the runs by their sweep or their first tag")
        self.group_by.currentIndexChanged.connect(self._regroup)
        self.spread = QComboBox()
        for key, text in SPREADS.items():
            self.spread.addItem(text, key)
        self.spread.setToolTip("What a group's band spans around the mean of its shown runs")
        self.spread.currentIndexChanged.connect(
            lambda _i: self.spread_changed.emit(self.spread.currentData())
        )
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Compare the selected runs (all runs when none is)")
        self.compare_button.clicked.connect(self.compare_selected)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected runs and their saved models")
        self.delete_button.clicked.connect(lambda: self.delete_requested.emit(self.selected_ids()))
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Export the selected run's model, verified")
        self.export_button.clicked.connect(self._export_clicked)
        self.history_button = QPushButton("Export histories…")
        self.history_button.setToolTip(
            "Every run's per-epoch history in one CSV or JSON file (run, group, epoch, metric, "
            "value)"
        )
        self.history_button.clicked.connect(self.history_export_requested.emit)
        buttons = [self.compare_button, self.delete_button, self.export_button, self.history_button]
        return OverflowRow([self.group_by, self.spread], buttons)

    # -- filling ----------------------------------------------------------------------------
    def reset(self) -> None:
        """Empty, as new (a project was opened): no runs listed, the comparison closed."""
        self.collapsed.clear()
        self.set_runs([], {})
        if self.compare_dialog is not None:
            self.compare_dialog.hide()

    def grouping(self) -> str:
        """What runs are grouped by: ``sweep``, ``tag`` or ``none``."""
        return str(self.group_by.currentData())

    def set_grouping(self, by: str) -> None:
        """Group by ``sweep``, ``tag`` or ``none``."""
        self.group_by.setCurrentIndex(list(GROUP_BY).index(by))

    def groups_of(self, runs: Sequence[RunRecord]) -> dict[str, str | None]:
        """Each run's group under the current grouping."""
        return run_groups(runs, self.grouping())

    def band_groups(self) -> set[str]:
        """The groups drawn as bands (a group is, until its Band box is unticked)."""
        return self.model.band_groups()

    def set_runs(self, runs: Sequence[RunRecord | dict[str, Any]], shown: dict[str, bool]) -> None:
        """List ``runs`` (newest last); ``shown`` says which are overlaid."""
        self._runs = [as_run_record(r) for r in runs]
        on = {run_id for run_id, visible in shown.items() if visible}
        self.model.set_runs(self._runs, self.groups_of(self._runs), on)
        for label in self.model.groups():
            if label not in self.collapsed:
                self.tree.setExpanded(self.model.group_index(label, 0), True)
        self._fit_names()

    def _fit_names(self) -> None:
        """The Name column as wide as the longest name (measured once, not per row)."""
        names = [r.name or r.id for r in self._runs] + [
            f"{g} (00/00 shown)" for g in self.model.groups()
        ]
        longest = max(names, key=len, default="Name")
        width = self.tree.fontMetrics().horizontalAdvance(longest) + 24
        self.tree.setColumnWidth(NAME, min(max(width, 80), 420))
        metrics = self.tree.fontMetrics()
        for col, sample in ((BAND, "Band"), (TAGS, "baseline, fast"), (EPOCHS, "Epochs")):
            self.tree.setColumnWidth(col, metrics.horizontalAdvance(sample) + 24)
        style = self.tree.style()
        box = style.pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth)
        show = self.tree.fontMetrics().horizontalAdvance(COLUMNS[0]) + 24
        self.tree.setColumnWidth(0, max(show, 2 * self.tree.indentation() + box + 16))

    def _regroup(self, _index: int) -> None:
        self.set_runs(self._runs, {r: True for r in self.model.shown})
        self.grouping_changed.emit()

    def _fold(self, index: Any, folded: bool) -> None:
        label = self.model.group_at(index)
        if label is not None:
            (self.collapsed.add if folded else self.collapsed.discard)(label)

    def _shown(self, run_ids: list[str], on: bool) -> None:
        if len(run_ids) == 1 and self.model.group_at(self._index(run_ids[0])) is None:
            self.overlay_toggled.emit(run_ids[0], on)
        else:
            self.group_toggled.emit(run_ids, on)

    def _index(self, run_id: str) -> Any:
        return self.model.index_of(run_id)

    def _tagged(self, run_id: str, tags: list[str]) -> None:
        self.tags_edited.emit(run_id, tags)

    # -- reading and selecting --------------------------------------------------------------
    def run_ids(self) -> list[str]:
        """The ids listed, in the order recorded."""
        return [r.id for r in self._runs]

    def shown_ids(self) -> list[str]:
        """The ids whose Show box is ticked."""
        return [r.id for r in self._runs if r.id in self.model.shown]

    def selected_ids(self) -> list[str]:
        """Ids of the selected runs (a selected group stands for its runs), in order."""
        chosen: set[str] = set()
        groups = self.model.groups()
        for index in self.tree.selectionModel().selectedRows(0):
            run = self.model.run_at(index)
            if run is not None:
                chosen.add(run.id)
            else:
                chosen.update(groups.get(self.model.group_at(index) or "", []))
        return [r for r in self.run_ids() if r in chosen]

    def select_ids(self, ids: Sequence[str]) -> None:
        """Select the rows of ``ids``."""
        selection = QItemSelection()
        last = len(COLUMNS) - 1
        for run_id in ids:
            first = self.model.index_of(run_id, 0)
            if first.isValid():
                end = first.siblingAtColumn(last)
                selection.select(first, end)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.tree.selectionModel().select(selection, flags)

    def _export_clicked(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.export_requested.emit(ids[0])

    def compare_selected(self) -> None:
        """Open a table comparing the selected runs (all runs when none is selected)."""
        ids = self.selected_ids() or self.run_ids()
        runs = [r for r in self._runs if r.id in ids]
        if not runs:
            return
        if self.compare_dialog is None:
            self.compare_dialog = CompareDialog(self)
        self.compare_dialog.show_runs(runs)
        self.compare_dialog.show()
        self.compare_dialog.raise_()


class CompareDialog(QDialog):
    """Runs side by side: each run's best value of every metric, the best one in bold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare runs")
        self.resize(640, 360)
        layout = QVBoxLayout(self)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table)

    def show_runs(self, runs: Sequence[RunRecord | dict[str, Any]]) -> None:
        """Fill the table from :func:`~nnstudio.core.training.runs.compare_runs`."""
        from nnstudio.core.training.config import metric_mode

        data = compare_runs(runs)
        names = [str(r["name"]) for r in data["runs"]]
        rows = [
            {"metric": "epochs", "values": [r["epochs"] for r in data["runs"]]},
            {"metric": "status", "values": [r["status"] for r in data["runs"]]},
            *data["rows"],
        ]
        self.table.setColumnCount(len(names))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(names)
        self.table.setVerticalHeaderLabels([row["metric"] for row in rows])
        for r, row in enumerate(rows):
            numbers = [v for v in row["values"] if isinstance(v, float | int)]
            best = None
            if numbers and row["metric"] not in ("epochs", "status"):
                best = (max if metric_mode(row["metric"]) == "max" else min)(numbers)
            for c, value in enumerate(row["values"]):
                text = (
                    f"{value:.4g}"
                    if isinstance(value, float)
                    else ("–" if value is None else str(value))
                )
                item = QTableWidgetItem(text)
                if best is not None and value == best:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
