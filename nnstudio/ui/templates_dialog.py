"""File > New from Template: a gallery of the bundled templates, a picture and a line each."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.templates import TEMPLATES, build_template
from nnstudio.ui.canvas.thumbnail import render_thumbnail
from nnstudio.ui.theme import canvas_colors

THUMB_W, THUMB_H = 240, 120
KEY_ROLE = Qt.ItemDataRole.UserRole


class TemplatesDialog(QDialog):
    """Choose a template; :meth:`chosen_key` is the selection after ``exec()``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New from Template")
        self.list = QListWidget(self)
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB_W, THUMB_H))
        self.list.setGridSize(QSize(THUMB_W + 28, THUMB_H + 92))
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setSpacing(6)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        colors = canvas_colors()
        for key, (title, description, _) in TEMPLATES.items():
            graph = build_template(key).graph
            icon = QIcon(render_thumbnail(graph, THUMB_W, THUMB_H, colors))
            item = QListWidgetItem(icon, f"{title}\n{description}")
            item.setData(KEY_ROLE, key)
            item.setToolTip(f"{title}: {description} ({len(graph.nodes)} layers)")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, parent=self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemActivated.connect(lambda _: self.accept())
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Start from a working model and change it to fit your data."))
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        columns = 4
        rows = -(-len(TEMPLATES) // columns)
        self.resize(columns * (THUMB_W + 40) + 40, rows * (THUMB_H + 104) + 90)

    def chosen_key(self) -> str | None:
        """The selected template's key."""
        item = self.list.currentItem()
        return item.data(KEY_ROLE) if item is not None else None

    def select(self, key: str) -> None:
        """Select a template by key."""
        for i in range(self.list.count()):
            if self.list.item(i).data(KEY_ROLE) == key:
                self.list.setCurrentRow(i)
                return
