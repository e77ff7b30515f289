"""The project's runs: overlay them in the charts, rename, delete and compare them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTableWidgetSelectionRange,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.training.records import RunRecord, RunStatus, as_run_record
from nnstudio.core.training.runs import compare_runs

COLUMNS = ("Show", "Name", "Status", "Epochs", "Best val_loss", "Created")
STATUS_MARK = {
    RunStatus.COMPLETED: "✔ completed",
    RunStatus.STOPPED: "■ stopped",
    RunStatus.FAILED: "✖ failed",
    RunStatus.DIVERGED: "⚠ diverged",
}


class RunsView(QWidget):
    """A table of runs.  Signals: ``overlay_toggled(run_id, shown)``,
    ``renamed(run_id, name)``, ``delete_requested(list[run_id])``,
    ``export_requested(run_id)``."""

    overlay_toggled = Signal(str, bool)
    renamed = Signal(str, str)
    delete_requested = Signal(list)
    export_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self._runs: list[RunRecord] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()  # every column fits its content
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemChanged.connect(self._item_changed)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.compare_button = QPushButton("Compare selected")
        self.compare_button.clicked.connect(self.compare_selected)
        self.delete_button = QPushButton("Delete selected")
        self.delete_button.clicked.connect(lambda: self.delete_requested.emit(self.selected_ids()))
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Export the selected run's model, verified")
        self.export_button.clicked.connect(self._export_clicked)
        buttons.addWidget(self.compare_button)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.compare_dialog: CompareDialog | None = None

    def _export_clicked(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.export_requested.emit(ids[0])

    def reset(self) -> None:
        """Empty, as new (a project was opened): no runs listed, the comparison closed."""
        self.set_runs([], {})
        if self.compare_dialog is not None:
            self.compare_dialog.hide()

    def set_runs(self, runs: Sequence[RunRecord | dict[str, Any]], shown: dict[str, bool]) -> None:
        """List ``runs`` (newest last); ``shown`` says which are overlaid."""
        self._loading = True
        try:
            self._runs = [as_run_record(r) for r in runs]
            self.table.setRowCount(len(self._runs))
            for r, run in enumerate(self._runs):
                run_id = run.id
                check = QTableWidgetItem()
                check.setFlags(
                    Qt.ItemFlag.ItemIsUserCheckable
                    | Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                )
                check.setCheckState(
                    Qt.CheckState.Checked if shown.get(run_id) else Qt.CheckState.Unchecked
                )
                check.setData(Qt.ItemDataRole.UserRole, run_id)
                self.table.setItem(r, 0, check)
                name = QTableWidgetItem(run.name or run_id)
                name.setToolTip(run.message or "")
                self.table.setItem(r, 1, name)
                best = run.best.get("val_loss", run.best.get("loss"))
                cells = [
                    STATUS_MARK[run.status] if run.status is not None else "–",
                    str(run.epochs_completed or 0),
                    f"{best:.4g}" if isinstance(best, float | int) else "–",
                    run.created.replace("T", " "),
                ]
                for c, text in enumerate(cells, start=2):
                    item = QTableWidgetItem(text)
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                    self.table.setItem(r, c, item)
        finally:
            self._loading = False

    def run_ids(self) -> list[str]:
        """The ids listed, in order."""
        return [r.id for r in self._runs]

    def selected_ids(self) -> list[str]:
        """Ids of the selected rows."""
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.run_ids()[r] for r in rows if r < len(self._runs)]

    def select_ids(self, ids: Sequence[str]) -> None:
        """Select the rows of ``ids``."""
        self.table.clearSelection()
        last = len(COLUMNS) - 1
        for r, run_id in enumerate(self.run_ids()):
            if run_id in ids:
                self.table.setRangeSelected(QTableWidgetSelectionRange(r, 0, r, last), True)

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._loading:
            return
        run_id = self.run_ids()[item.row()]
        if item.column() == 0:
            self.overlay_toggled.emit(run_id, item.checkState() == Qt.CheckState.Checked)
        elif item.column() == 1:
            self.renamed.emit(run_id, item.text())

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
