"""The run list as a two-level item model: groups (a sweep or a tag) holding their runs, and
runs by themselves, in the order the runs were recorded.

A model, not widgets: 500 runs are 500 rows the view paints on demand.  Each group keeps its
count of shown runs, so a toggle costs the size of one group, never the whole list.  Edits
(the Show and Band checkboxes, the Name and Tags cells) are not applied here: the model asks
through its callbacks and the project's change comes back through :meth:`RunTreeModel.set_runs`
(checkboxes are applied at once, since they are view state).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt

from nnstudio.core.training.records import RunRecord, RunStatus

COLUMNS = ("Show", "Name", "Band", "Tags", "Status", "Epochs", "Best val_loss", "Created")
SHOW, NAME, BAND, TAGS = 0, 1, 2, 3
STATUS_MARK = {
    RunStatus.COMPLETED: "✔ completed",
    RunStatus.STOPPED: "■ stopped",
    RunStatus.FAILED: "✖ failed",
    RunStatus.DIVERGED: "⚠ diverged",
}
RUN_ID_ROLE = Qt.ItemDataRole.UserRole
GROUP_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex
_CHECKED, _UNCHECKED = Qt.CheckState.Checked, Qt.CheckState.Unchecked


@dataclass
class _Group:
    label: str
    members: list[int] = field(default_factory=list)  # indexes into the model's runs
    shown: int = 0


@dataclass
class Callbacks:
    """What a user's edit in the list asks for (run ids, group labels)."""

    shown: Callable[[list[str], bool], None]
    band: Callable[[str, bool], None]
    renamed: Callable[[str, str], None]
    tagged: Callable[[str, list[str]], None]


def _cells(run: RunRecord) -> list[str]:
    best = run.best.get("val_loss", run.best.get("loss"))
    return [
        ", ".join(run.tags),
        STATUS_MARK[run.status] if run.status is not None else "–",
        str(run.epochs_completed or 0),
        f"{best:.4g}" if isinstance(best, float | int) else "–",
        run.created.replace("T", " "),
    ]


class RunTreeModel(QAbstractItemModel):
    """Groups and runs (see the module docstring)."""

    def __init__(self, callbacks: Callbacks, parent: Any = None) -> None:
        super().__init__(parent)
        self.callbacks = callbacks
        self.runs: list[RunRecord] = []
        self.shown: set[str] = set()
        self.bands: dict[str, bool] = {}  # group label -> drawn as a band (default True)
        self._top: list[_Group | int] = []  # a group, or the index of a run by itself
        self._groups: dict[str, int] = {}  # label -> row in _top
        self._row_of: dict[str, tuple[int, int]] = {}  # run id -> (top row, child row or -1)
        self._cells: dict[int, list[str]] = {}

    # -- filling --------------------------------------------------------------------------
    def set_runs(
        self, runs: Sequence[RunRecord], groups: Mapping[str, str | None], shown: set[str]
    ) -> None:
        """List ``runs``, grouped by ``groups`` (run id -> label or None)."""
        self.beginResetModel()
        self.runs, self.shown = list(runs), set(shown)
        self._top, self._groups, self._row_of, self._cells = [], {}, {}, {}
        for i, run in enumerate(self.runs):
            label = groups.get(run.id)
            if label is None:
                self._row_of[run.id] = (len(self._top), -1)
                self._top.append(i)
                continue
            row = self._groups.get(label)
            if row is None:
                row = self._groups[label] = len(self._top)
                self._top.append(_Group(label))
            group = self._top[row]
            assert isinstance(group, _Group)
            self._row_of[run.id] = (row, len(group.members))
            group.members.append(i)
            group.shown += run.id in self.shown
        self.endResetModel()

    def band_groups(self) -> set[str]:
        """The labels of the groups drawn as bands."""
        return {g for g in self._groups if self.bands.get(g, True)}

    def groups(self) -> dict[str, list[str]]:
        """Each group's label -> its run ids."""
        return {
            label: [self.runs[i].id for i in self._group_at(row).members]
            for label, row in self._groups.items()
        }

    def _group_at(self, row: int) -> _Group:
        item = self._top[row]
        assert isinstance(item, _Group)
        return item

    # -- addressing -----------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid() or child.internalId() == 0:
            return QModelIndex()
        return self.createIndex(child.internalId() - 1, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        if not parent.isValid():
            return len(self._top)
        if parent.internalId() != 0 or parent.column() != 0:
            return 0
        item = self._top[parent.row()]
        return len(item.members) if isinstance(item, _Group) else 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def run_at(self, index: Index) -> RunRecord | None:
        """The run of a row (``None`` for a group row)."""
        if not index.isValid():
            return None
        if index.internalId() == 0:
            item = self._top[index.row()]
            return None if isinstance(item, _Group) else self.runs[item]
        return self.runs[self._group_at(index.internalId() - 1).members[index.row()]]

    def group_at(self, index: Index) -> str | None:
        """The label of a group row (``None`` for a run row)."""
        if not index.isValid() or index.internalId() != 0:
            return None
        item = self._top[index.row()]
        return item.label if isinstance(item, _Group) else None

    def index_of(self, run_id: str, column: int = NAME) -> QModelIndex:
        """The index of a run's cell (invalid if not listed)."""
        where = self._row_of.get(run_id)
        if where is None:
            return QModelIndex()
        top, child = where
        if child < 0:
            return self.index(top, column)
        return self.index(child, column, self.index(top, 0))

    def group_index(self, label: str, column: int = NAME) -> QModelIndex:
        """The index of a group row's cell."""
        row = self._groups.get(label)
        return QModelIndex() if row is None else self.index(row, column)

    # -- reading --------------------------------------------------------------------------
    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        col, run = index.column(), self.run_at(index)
        if col == SHOW or (col == BAND and run is None):
            return base | Qt.ItemFlag.ItemIsUserCheckable
        if run is not None and col in (NAME, TAGS):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        run, col = self.run_at(index), index.column()
        if run is None:
            return self._group_data(self._group_at(index.row()), col, role)
        if role == Qt.ItemDataRole.CheckStateRole and col == SHOW:
            return _CHECKED if run.id in self.shown else _UNCHECKED
        if role == RUN_ID_ROLE:
            return run.id
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == NAME:
                return run.name or run.id
            if col > BAND:
                i = self._row_index(run)
                if i not in self._cells:
                    self._cells[i] = _cells(run)
                return self._cells[i][col - TAGS]
        if role == Qt.ItemDataRole.ToolTipRole and col == NAME:
            return run.message or run.id
        return None

    def _row_index(self, run: RunRecord) -> int:
        top, child = self._row_of[run.id]
        item = self._top[top]
        return item.members[child] if isinstance(item, _Group) else item

    def _group_data(self, group: _Group, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.CheckStateRole:
            if col == SHOW:
                if group.shown == 0:
                    return _UNCHECKED
                full = group.shown == len(group.members)
                return _CHECKED if full else Qt.CheckState.PartiallyChecked
            if col == BAND:
                return _CHECKED if self.bands.get(group.label, True) else _UNCHECKED
        if role == GROUP_ROLE:
            return group.label
        if role == Qt.ItemDataRole.DisplayRole and col == NAME:
            return f"{group.label} ({group.shown}/{len(group.members)} shown)"
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == BAND:
                return "Draw the group's shown runs as their mean and spread, not as lines"
            return "Tick to show every run of the group; untick to hide them"
        return None

    # -- editing --------------------------------------------------------------------------
    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid():
            return False
        run, col = self.run_at(index), index.column()
        if role == Qt.ItemDataRole.CheckStateRole:
            on = Qt.CheckState(value) == _CHECKED
            if run is None and col == BAND:
                label = self._group_at(index.row()).label
                self.bands[label] = on
                self.dataChanged.emit(index, index)
                self.callbacks.band(label, on)
                return True
            if col != SHOW:
                return False
            ids = [run.id] if run is not None else self.groups()[self._group_at(index.row()).label]
            self.set_shown(ids, on)
            self.callbacks.shown(ids, on)
            return True
        if role == Qt.ItemDataRole.EditRole and run is not None:
            if col == NAME and value != (run.name or run.id):
                self.callbacks.renamed(run.id, str(value))
                return True
            if col == TAGS:
                tags = [t.strip() for t in str(value).split(",") if t.strip()]
                if tuple(tags) != run.tags:
                    self.callbacks.tagged(run.id, tags)
                return True
        return False

    def set_shown(self, run_ids: Sequence[str], on: bool) -> None:
        """Tick or untick runs' Show boxes (and their groups' counts)."""
        touched: set[int] = set()
        for run_id in run_ids:
            if (run_id in self.shown) == on or run_id not in self._row_of:
                continue
            (self.shown.add if on else self.shown.discard)(run_id)
            top, child = self._row_of[run_id]
            if child >= 0:
                self._group_at(top).shown += 1 if on else -1
                touched.add(top)
            cell = self.index_of(run_id, SHOW)
            self.dataChanged.emit(cell, cell, [Qt.ItemDataRole.CheckStateRole])
        for top in touched:
            first, last = self.index(top, SHOW), self.index(top, NAME)
            self.dataChanged.emit(first, last)
