""" "My blocks" in the palette: the user's saved blocks and the built-in ones; drag one onto
any project's canvas (or double-click it) to place it; save a block or a selection (name and
description) with Edit > Save Block to Library…; rename or delete your own blocks from the
entry's context menu.

The storage is the core's block library (a folder of JSON files under the user's data folder,
``window.data_dir / "blocks"``; tests give the window a temporary data folder).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from nnstudio.core.graph.model import Graph
from nnstudio.core.layout import NODE_H, NODE_W
from nnstudio.ui.resources import category_icon

if TYPE_CHECKING:
    from nnstudio.ui.shell import MainWindow

BLOCK_ROLE = Qt.ItemDataRole.UserRole + 1
OWN_ROLE = Qt.ItemDataRole.UserRole + 2
MY_BLOCKS, BUILT_IN = "My blocks", "Built-in blocks"


class SaveBlockDialog(QDialog):
    """Name and description of a block to save in the library."""

    def __init__(self, name: str, description: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save Block to Library")
        form = QFormLayout(self)
        self.name_edit = QLineEdit(name)
        self.description_edit = QPlainTextEdit(description)
        self.description_edit.setPlaceholderText("What the block does, what it expects")
        self.description_edit.setFixedHeight(90)
        form.addRow("Name", self.name_edit)
        form.addRow("Description", self.description_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, str]:
        """The name and description typed."""
        return self.name_edit.text().strip(), self.description_edit.toPlainText().strip()


class BlockLibraryUI(QObject):
    """The library's entries in the palette, the save action and drops on the canvas."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._library: Any = None
        self.groups: dict[str, QTreeWidgetItem] = {}
        self.entries: dict[str, QTreeWidgetItem] = {}
        self.ask_save: Callable[[str, str], tuple[str, str] | None] = self._ask_save
        self.ask_text: Callable[[str, str, str], str | None] = self._ask_text
        self.save_action = QAction("Save Block to &Library…", window)
        self.save_action.setStatusTip("Keep the selected block (or layers) in My blocks")
        self.save_action.triggered.connect(self.save_selection)
        window.addAction(self.save_action)
        tree = window.palette_panel.tree
        tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        tree.customContextMenuRequested.connect(self._context_menu)
        tree.itemActivated.connect(self._activated)
        window.canvas.drops.block_drop = self.drop  # type: ignore[attr-defined]
        window.palette_panel.block_filter = self.filter  # type: ignore[attr-defined]
        self.refresh()

    @property
    def folder(self) -> Path:
        """Where the user's blocks are saved: ``blocks`` in the window's data folder."""
        return Path(self.window.data_dir) / "blocks"

    def listing(self) -> Any:
        """The library's blocks now (built-ins and the user's) and its unreadable files."""
        try:
            from nnstudio.core.block_library import list_blocks
        except ImportError:  # pragma: no cover - a core without the library
            from types import SimpleNamespace

            return SimpleNamespace(blocks=[], problems=[], get=lambda name: None)
        return list_blocks(self.folder)

    # -- the palette's entries ------------------------------------------------------------
    def refresh(self) -> None:
        """List the library's blocks at the top of the palette."""
        tree: QTreeWidget = self.window.palette_panel.tree
        for group in self.groups.values():
            tree.takeTopLevelItem(tree.indexOfTopLevelItem(group))
        self.groups, self.entries = {}, {}
        listing = self.listing()
        listed = listing.blocks
        if listing.problems:
            self.window.show_message("Some library blocks cannot be read: " + listing.problems[0])
        for index, (title, own) in enumerate(((MY_BLOCKS, True), (BUILT_IN, False))):
            group = QTreeWidgetItem([title])
            group.setIcon(0, category_icon("Blocks"))
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            tree.insertTopLevelItem(index, group)
            self.groups[title] = group
            for entry in listed:
                if bool(entry.builtin) == own:
                    continue
                item = QTreeWidgetItem(group, [entry.name])
                item.setData(0, BLOCK_ROLE, entry.name)
                item.setData(0, OWN_ROLE, own)
                item.setToolTip(0, _tooltip(entry))
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsDragEnabled
                )
                self.entries[entry.name] = item
            if own and not group.childCount():
                hint = QTreeWidgetItem(group, ["None yet (Edit › Save Block…)"])
                hint.setFlags(Qt.ItemFlag.NoItemFlags)
            group.setExpanded(True)

    def filter(self, text: str) -> None:
        """Show only the blocks whose name or description has every word of ``text``."""
        words = text.lower().split()
        for group in self.groups.values():
            shown = False
            for i in range(group.childCount()):
                child = group.child(i)
                hay = f"{child.text(0)} {child.toolTip(0)}".lower()
                visible = all(w in hay for w in words) and (
                    bool(child.data(0, BLOCK_ROLE)) or not words
                )
                child.setHidden(not visible)
                shown = shown or visible
            group.setHidden(not shown)

    def _context_menu(self, pos: Any) -> None:
        tree = self.window.palette_panel.tree
        item = tree.itemAt(pos)
        if item is None or not item.data(0, BLOCK_ROLE):
            return
        name = item.data(0, BLOCK_ROLE)
        menu = QMenu(tree)
        menu.addAction("Place on the Canvas", lambda: self.place(name))
        if item.data(0, OWN_ROLE):
            menu.addAction("Rename…", lambda: self.rename(name))
            menu.addAction("Delete", lambda: self.delete(name))
        menu.popup(tree.viewport().mapToGlobal(pos))

    def _activated(self, item: QTreeWidgetItem) -> None:
        name = item.data(0, BLOCK_ROLE)
        if name:
            self.place(name)

    # -- placing ------------------------------------------------------------------------
    def drop(self, name: str, pos: QPointF) -> bool:
        """A library block dropped at scene ``pos`` on the level shown (one undo step)."""
        return self.place(name, QPointF(pos.x() - NODE_W / 2, pos.y() - NODE_H / 2))

    def place(self, name: str, top_left: QPointF | None = None) -> bool:
        """Add a use of library block ``name`` (its definitions come with it), one undo step."""
        from nnstudio.core.block_library import place_command

        canvas = self.window.canvas
        if top_left is None:
            center = canvas.visible_scene_rect().center()
            top_left = QPointF(center.x() - NODE_W / 2, center.y() - NODE_H / 2)
        graph: Graph = self.window.blocks.graph
        block = self.listing().get(name)
        if block is None:
            self.window.show_message(f"The library has no block called {name}.")
            return False
        pos = (top_left.x(), top_left.y())
        cmd = canvas.attempt(lambda: place_command(graph, block, pos))
        if cmd is None:
            return False
        self.window.select_nodes([cmd.node_id])
        return True

    # -- saving, renaming, deleting ---------------------------------------------------------
    def _ask_save(self, name: str, description: str) -> tuple[str, str] | None:
        dialog = SaveBlockDialog(name, description, self.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        values = dialog.values()
        return values if values[0] else None

    def _ask_text(self, title: str, label: str, default: str) -> str | None:
        text, ok = QInputDialog.getText(self.window, title, label, text=default)
        return text.strip() if ok and text.strip() else None

    def save_selection(self) -> bool:
        """Save the selected block, or the selected layers as a new block, in My blocks."""
        from nnstudio.core import block_library as lib

        graph = self.window.blocks.graph
        ids = self.window.blocks.selected()
        if not ids:
            self.window.show_message("Select a block (or layers) to save in the library.")
            return False
        node = graph.nodes[ids[0]]
        one_block = len(ids) == 1 and node.is_block
        definition = graph.blocks.get(str(node.params.get("definition"))) if one_block else None
        default = definition.name if definition is not None else self.window.blocks.free_name()
        answer = self.ask_save(default, definition.description if definition else "")
        if answer is None:
            return False
        name, description = answer
        try:
            if definition is not None:
                holder = _holder(graph, definition, name)
                lib.save_block(self.folder, holder, name, description)
            else:
                lib.save_selection(self.folder, graph, ids, name, description)
        except (OSError, ValueError) as exc:  # EditRefused and LibraryError are ValueErrors
            self.window.show_message(f"Cannot save the block {name}: {exc}")
            return False
        self.refresh()
        self.window.show_message(f"Saved the block {name} in My blocks.")
        return True

    def rename(self, name: str) -> bool:
        """Rename one of the user's blocks."""
        from nnstudio.core import block_library as lib

        new = self.ask_text("Rename Block", "New name:", name)
        block = self.listing().get(name)
        if not new or new == name or block is None or block.builtin:
            return False
        try:
            holder = Graph()
            holder.blocks = dict(block.requires)
            lib.save_block(self.folder, _holder(holder, block.definition, new), new)
            lib.delete_block(self.folder, name)
        except (OSError, ValueError) as exc:
            self.window.show_message(f"Cannot rename the block {name}: {exc}")
            return False
        self.refresh()
        return True

    def delete(self, name: str) -> bool:
        """Delete one of the user's blocks (projects that use it keep their copy)."""
        from nnstudio.core import block_library as lib

        try:
            lib.delete_block(self.folder, name)
        except (OSError, ValueError) as exc:
            self.window.show_message(f"Cannot delete the block {name}: {exc}")
            return False
        self.refresh()
        self.window.show_message(f"Deleted the block {name} from My blocks.")
        return True


def _holder(graph: Graph, definition: Any, name: str) -> Graph:
    """A graph whose definitions are ``graph``'s, with ``definition`` under ``name``."""
    if name == definition.name and graph.blocks.get(name) is definition:
        return graph
    from nnstudio.core.graph.model import share_blocks

    holder = Graph()
    holder.blocks = dict(graph.blocks)
    copy = definition.copy()
    copy.name = name
    holder.blocks[name] = copy
    for d in holder.blocks.values():
        share_blocks(d.graph, holder.blocks)
    return holder


def _tooltip(entry: Any) -> str:
    text = html.escape(getattr(entry, "description", "") or "")
    where = "built in" if entry.builtin else "saved by you"
    return f"<p><b>{html.escape(entry.name)}</b> <span style='color:gray'>{where}</span></p>" + (
        f"<p style='white-space:normal'>{text}</p>" if text else ""
    )
