"""The layer palette: the catalog by category, a search field, help as tooltips, drag out.

Dragging an entry onto the canvas carries the layer's key as ``application/x-nnstudio-layer``;
double-clicking (or Enter) emits ``layer_activated(key)`` so the window can add it at the
centre of the view.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core import catalog
from nnstudio.core.catalog.spec import LayerSpec
from nnstudio.core.catalog.synonyms import synonyms_for
from nnstudio.ui.block_library_panel import BLOCK_ROLE
from nnstudio.ui.canvas.drops import block_mime
from nnstudio.ui.canvas.view import LAYER_MIME
from nnstudio.ui.resources import category_icon
from nnstudio.ui.search import layer_matches

KEY_ROLE = Qt.ItemDataRole.UserRole


def help_tooltip(spec: LayerSpec) -> str:
    """Rich-text tooltip: the layer's name, category, help text and other names."""
    other = synonyms_for(spec.key)
    also = (
        f"<p style='color:gray'>Also found as: {html.escape(', '.join(other))}</p>" if other else ""
    )
    return (
        f"<p><b>{html.escape(spec.display)}</b> <span style='color:gray'>"
        f"{html.escape(spec.category)}</span></p>"
        f"<p style='white-space:normal'>{html.escape(spec.help)}</p>{also}"
    )


class _LayerTree(QTreeWidget):
    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME]

    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:
        blocks = [i.data(0, BLOCK_ROLE) for i in items if i.data(0, BLOCK_ROLE)]
        if blocks:  # a block of the library ("My blocks")
            return block_mime(blocks[0])
        mime = QMimeData()
        keys = [i.data(0, KEY_ROLE) for i in items if i.data(0, KEY_ROLE)]
        if keys:
            mime.setData(LAYER_MIME, keys[0].encode("utf-8"))
            mime.setText(keys[0])
        return mime


class PaletteWidget(QWidget):
    """The catalog as a searchable tree; entries drag onto the canvas."""

    layer_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.block_filter: Callable[[str], None] | None = None  # "My blocks" (the window's)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search layers and blocks")
        self.search.setClearButtonEnabled(True)
        self.tree = _LayerTree(self)
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setIndentation(14)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setUniformRowHeights(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self._categories: dict[str, QTreeWidgetItem] = {}
        self._entries: dict[str, QTreeWidgetItem] = {}
        for category, specs in catalog.by_category().items():
            if not specs:
                continue
            parent_item = QTreeWidgetItem(self.tree, [category])
            parent_item.setIcon(0, category_icon(category))
            parent_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = parent_item.font(0)
            font.setBold(True)
            parent_item.setFont(0, font)
            self._categories[category] = parent_item
            for spec in specs:
                item = QTreeWidgetItem(parent_item, [spec.display])
                item.setData(0, KEY_ROLE, spec.key)
                item.setToolTip(0, help_tooltip(spec))
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsDragEnabled
                )
                self._entries[spec.key] = item
        self.tree.expandAll()
        self.search.textChanged.connect(self.filter)
        self.tree.itemActivated.connect(self._activated)

    def focus_search(self) -> None:
        """Put the cursor in the search field."""
        self.search.setFocus()
        self.search.selectAll()

    def filter(self, text: str) -> None:
        """Show only the layers matching ``text`` (every word must match)."""
        for parent_item in self._categories.values():
            any_visible = False
            for i in range(parent_item.childCount()):
                child = parent_item.child(i)
                spec = catalog.get(child.data(0, KEY_ROLE))
                visible = layer_matches(spec, text)
                child.setHidden(not visible)
                any_visible = any_visible or visible
            parent_item.setHidden(not any_visible)
            if any_visible and text:
                parent_item.setExpanded(True)
        if self.block_filter is not None:
            self.block_filter(text)

    def visible_keys(self) -> list[str]:
        """The layer keys currently listed (after the search filter)."""
        return [
            key
            for key, item in self._entries.items()
            if not item.isHidden() and not item.parent().isHidden()
        ]

    def item_for(self, key: str) -> QTreeWidgetItem:
        """The tree entry of a layer type."""
        return self._entries[key]

    def _activated(self, item: QTreeWidgetItem) -> None:
        key = item.data(0, KEY_ROLE)
        if key:
            self.layer_activated.emit(key)
