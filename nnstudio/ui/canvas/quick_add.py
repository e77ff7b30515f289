"""The quick search (Tab or double-click on the canvas): type, then Enter adds the layer."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from nnstudio.core import catalog
from nnstudio.ui.resources import category_icon
from nnstudio.ui.search import layer_rank


class QuickAddPopup(QFrame):
    """A popup list of layer types filtered as the user types; emits ``chosen(key)``."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("quickAdd")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Add a layer: type to search…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setUniformItemSizes(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.resize(300, 340)
        for spec in catalog.all_specs():
            item = QListWidgetItem(
                category_icon(spec.category), f"{spec.display}    ·  {spec.category}"
            )
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setToolTip(spec.help)
            self.list.addItem(item)
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.list.itemActivated.connect(self._activate)

    def popup_at(self, global_pos: QPoint) -> None:
        """Show the popup at a screen position with an empty search."""
        self.search.clear()
        self._filter("")
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def choose(self, text: str) -> str | None:
        """Search for ``text`` and choose the best match (for the keyboard and tests)."""
        self.search.setText(text)
        current = self.list.currentItem()
        if current is None or current.isHidden():
            return None
        self._activate(current)
        return current.data(Qt.ItemDataRole.UserRole)

    def _filter(self, text: str) -> None:
        """Hide non-matching entries and make the best-ranked match current."""
        best: tuple[int, int] | None = None
        first = None
        for i in range(self.list.count()):
            item = self.list.item(i)
            rank = layer_rank(catalog.get(item.data(Qt.ItemDataRole.UserRole)), text)
            item.setHidden(rank is None)
            if rank is not None and (best is None or (rank, i) < best):
                best, first = (rank, i), item
        self.list.setCurrentItem(first)

    def _activate(self, item: QListWidgetItem) -> None:
        key = item.data(Qt.ItemDataRole.UserRole)
        self.hide()
        self.chosen.emit(key)

    def _step(self, delta: int) -> None:
        row = self.list.currentRow()
        count = self.list.count()
        for _ in range(count):
            row = (row + delta) % count
            if not self.list.item(row).isHidden():
                self.list.setCurrentRow(row)
                return

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                self._step(1 if event.key() == Qt.Key.Key_Down else -1)
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                current = self.list.currentItem()
                if current is not None and not current.isHidden():
                    self._activate(current)
                return True
        return super().eventFilter(obj, event)
