"""Blocks in the window: group and ungroup, expand in place, open a block as its own canvas
with a breadcrumb back, and issues that open the block at the layer they are about.

:class:`BlockController` (``window.blocks``) owns the canvas panel (the breadcrumb bar over
the canvas) and the stack of opened levels: level 0 is the model's graph, each further level
the inner graph of the definition of a block use on the level above.  Edits on any level are
core commands on that level's graph, pushed on the window's one undo stack; an edit inside a
definition reaches the model through ``blocks_changed`` and so updates every use.  The model
is checked as a whole; :func:`level_check` maps its result onto the level shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu, QVBoxLayout, QWidget

from nnstudio.core.graph import model as gm
from nnstudio.core.graph.check import CheckResult
from nnstudio.core.graph.commands import MoveNodes
from nnstudio.core.graph.model import Graph
from nnstudio.core.layout import NODE_H, NODE_W
from nnstudio.ui.canvas.block_items import BlockNodeItem, definition_of, is_block
from nnstudio.ui.canvas.breadcrumb import BreadcrumbBar
from nnstudio.ui.canvas.items import NodeStatus
from nnstudio.ui.canvas.scene import GraphScene
from nnstudio.ui.theme import canvas_colors

if TYPE_CHECKING:
    from nnstudio.ui.shell import MainWindow

ROOM_GAP = 40.0


@dataclass(frozen=True)
class Level:
    """One opened canvas: its graph and the block use (on the level above) it was opened
    from (``None`` for the model)."""

    graph: Graph
    use_id: str | None = None
    title: str = "Model"


def level_check(result: CheckResult, path: tuple[str, ...]) -> CheckResult:
    """``result`` (the model's check) as seen inside the block opened along ``path``: the
    use ids from the model's level down (``()``: the model itself)."""
    if not path:
        return result
    fc = getattr(result, "flat", None)
    top, below = path[0], path[1:]
    shapes = {}
    if fc is not None:
        for fid, origin in fc.flat.origin.items():
            if origin.top != top or not origin.path or origin.path[0][1] != 0:
                continue
            inner = origin.inner_path
            if inner[: len(below)] == below and len(inner) == len(below) + 1:
                if any(copy != 0 for _, copy in origin.path):
                    continue
                shape = fc.result.shapes.get(fid)
                if shape is not None:
                    shapes[inner[-1]] = shape
    issues = []
    for issue in result.issues:
        inner = tuple(getattr(issue, "inner", ()) or ())
        if issue.node != top or not inner or inner[: len(below)] != below:
            continue
        if len(inner) > len(below):
            issues.append(replace(issue, node=inner[len(below)], inner=inner[len(below) + 1 :]))
    return CheckResult(issues, shapes)


def _port_shapes(graph: Graph, result: CheckResult) -> None:
    """Inside a block, its Input ports (no layer of the flat graph) get their own shapes."""
    from nnstudio.core.graph.shapes import NodeShape

    for nid, node in graph.nodes.items():
        dims = node.params.get("shape") if node.key == "Input" else None
        if nid not in result.shapes and isinstance(dims, (list, tuple)):
            dtype = str(node.params.get("dtype", "float32"))
            result.shapes[nid] = NodeShape((None, *dims), dtype)


def statuses(result: CheckResult, pending: bool) -> dict[str, NodeStatus]:
    """Node statuses from a check (as the scene shows them), for an expanded block."""
    out: dict[str, NodeStatus] = {}
    for nid, shape in result.shapes.items():
        out[nid] = NodeStatus(None, (), shape.shape, shape.params, pending)
    for issue in result.issues:
        if issue.node is None:
            continue
        old = out.get(issue.node, NodeStatus(pending=pending))
        sev = "error" if issue.severity == "error" or old.severity == "error" else "warning"
        out[issue.node] = replace(old, severity=sev, issues=(*old.issues, issue))
    return out


class BlockController(QObject):
    """The block actions and the levels of the canvas (see the module docstring)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.levels: list[Level] = []
        self.breadcrumb = BreadcrumbBar()
        self.breadcrumb.crumb_clicked.connect(self.go_to)
        self.panel = QWidget()
        self.panel.setObjectName("canvasPanel")
        column = QVBoxLayout(self.panel)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.breadcrumb)
        column.addWidget(window.canvas, 1)
        self.expanded: set[tuple[int, str]] = set()  # (id of the level's graph, use id)
        self._listening: Graph | None = None
        self.ask_text: Callable[[str, str, str], str | None] = self._ask_text
        window.canvas.node_activated.connect(self._node_activated)
        window.canvas.setContextMenuPolicy(window.canvas.contextMenuPolicy().CustomContextMenu)
        window.canvas.customContextMenuRequested.connect(self._context_menu)

    # -- actions ------------------------------------------------------------------------
    def build_actions(self) -> list[QAction]:
        """The Edit menu's block actions (also on the canvas's context menu)."""
        w = self.window
        a = w._action
        self.group_action = a(
            "&Group into Block…", self.group_selection, "Ctrl+G", "Make the selection one block"
        )
        self.ungroup_action = a(
            "U&ngroup Block", self.ungroup_selection, "Ctrl+Shift+G", "Put a block's layers back"
        )
        self.open_action = a(
            "&Open Block", self.open_selected, ["Return", "Enter"], "Edit the block's layers"
        )
        self.up_action = a("Up to &Parent", self.up, ["Alt+Up", "Ctrl+Backspace"])
        self.expand_action = a(
            "E&xpand/Collapse Block",
            self.toggle_selected,
            "Ctrl+Shift+E",
            "Show the layers in place",
        )
        self.open_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        w.canvas.addAction(self.open_action)
        return [
            self.group_action,
            self.ungroup_action,
            self.expand_action,
            self.open_action,
            self.up_action,
        ]

    def _ask_text(self, title: str, label: str, default: str) -> str | None:
        text, ok = QInputDialog.getText(self.window, title, label, text=default)
        return text.strip() if ok and text.strip() else None

    def _context_menu(self, pos: QPoint) -> None:
        scene = self.window.canvas.graph_scene()
        if scene is None:
            return
        item = scene.node_at(self.window.canvas.mapToScene(pos))
        if item is not None and not item.isSelected():
            scene.select_nodes([item.node_id])
        menu = QMenu(self.window.canvas)
        for action in self.build_menu_actions():
            menu.addAction(action)
        menu.popup(self.window.canvas.viewport().mapToGlobal(pos))

    def build_menu_actions(self) -> list[QAction]:
        """The context menu's entries, enabled as the selection allows."""
        ids = self.selected()
        blocks = [n for n in ids if is_block(self.graph.nodes[n])]
        self.group_action.setEnabled(bool(ids))
        self.ungroup_action.setEnabled(bool(blocks))
        self.open_action.setEnabled(len(blocks) == 1)
        self.expand_action.setEnabled(bool(blocks))
        self.up_action.setEnabled(len(self.levels) > 1)
        actions = [self.group_action, self.ungroup_action, self.expand_action, self.open_action]
        library = getattr(self.window, "block_library", None)
        if library is not None:
            actions.append(library.save_action)
        if len(self.levels) > 1:
            actions.append(self.up_action)
        return actions

    # -- levels -------------------------------------------------------------------------
    @property
    def graph(self) -> Graph:
        """The graph of the level shown."""
        return self.levels[-1].graph if self.levels else self.window.graph

    def path(self) -> tuple[str, ...]:
        """The use ids from the model's level down to the level shown."""
        return tuple(lv.use_id for lv in self.levels[1:] if lv.use_id is not None)

    def reset(self, graph: Graph) -> None:
        """A new project: back to the model's level (its scene is already shown)."""
        self.levels = [Level(graph, None, "Model")]
        self.expanded.clear()
        self._after_scene()

    def selected(self) -> list[str]:
        """The selected node ids on the level shown."""
        scene = self.window.canvas.graph_scene()
        return scene.selected_node_ids() if scene is not None else []

    def open_block(self, use_id: str, select: str | None = None) -> bool:
        """Show the definition of ``use_id`` (on the level shown) as its own canvas."""
        node = self.graph.nodes.get(use_id)
        definition = definition_of(self.graph, node) if node is not None else None
        if node is None or definition is None:
            self.window.show_message("Select one block to open.")
            return False
        self.levels.append(Level(definition.graph, use_id, node.name))
        self._show_level()
        if select is not None:
            QTimer.singleShot(0, lambda: self._select_inner(select))
            self._select_inner(select)
        return True

    def _select_inner(self, node_id: str) -> None:
        if node_id in self.graph.nodes:
            self.window.select_nodes([node_id], center=True)

    def go_to(self, depth: int) -> None:
        """Back to level ``depth`` (0: the model)."""
        if 0 <= depth < len(self.levels) - 1:
            came_from = self.levels[depth + 1].use_id
            del self.levels[depth + 1 :]
            self._show_level()
            if came_from is not None and came_from in self.graph.nodes:
                self.window.select_nodes([came_from], center=True)

    def up(self) -> None:
        """Up one level."""
        self.go_to(len(self.levels) - 2)

    def _show_level(self) -> None:
        w = self.window
        scene = GraphScene(self.graph, canvas_colors(), w)
        w.canvas.set_graph_scene(scene)
        w.inspector.set_graph(self.graph)
        self._after_scene()
        QTimer.singleShot(0, w.canvas.fit_to_view)
        if w.last_check is not None:
            self.apply_check(w.last_check, not (w.last_report and w.last_report.full))

    def _after_scene(self) -> None:
        scene = self.window.canvas.graph_scene()
        if scene is not None:
            scene.block_toggle = self.toggle_expanded  # type: ignore[attr-defined]
            key = id(self.graph)
            for nid, item in scene.node_items.items():
                if isinstance(item, BlockNodeItem) and (key, nid) in self.expanded:
                    item.set_expanded(True)
                    scene.node_item_moved(item)
        self.breadcrumb.set_path([lv.title for lv in self.levels])
        root = self.levels[0].graph if self.levels else None
        if root is not self._listening:
            if self._listening is not None:
                self._listening.unsubscribe(self._on_root_event)
            if root is not None:
                root.subscribe(self._on_root_event)
            self._listening = root

    def _on_root_event(self, event: str, payload: Any) -> None:
        if event != getattr(gm, "BLOCKS_CHANGED", "blocks_changed"):
            return
        # A level whose definition (or use) is gone after an undo: show what is left.
        for depth in range(1, len(self.levels)):
            above, level = self.levels[depth - 1], self.levels[depth]
            use = above.graph.nodes.get(level.use_id or "")
            definition = definition_of(above.graph, use) if use is not None else None
            if definition is None or definition.graph is not level.graph:
                del self.levels[depth:]
                QTimer.singleShot(0, self._show_level)
                return
        scene = self.window.canvas.graph_scene()
        if scene is None:
            return
        for nid, item in scene.node_items.items():
            node = scene.graph.nodes.get(nid)
            if isinstance(item, BlockNodeItem) and node is not None:
                item.prepareGeometryChange()
                item.sync(node)
                scene.node_item_moved(item)

    # -- checks -------------------------------------------------------------------------
    def apply_check(self, result: CheckResult, pending: bool) -> None:
        """Show the model's check on the level shown (scene and inspector)."""
        shown = level_check(result, self.path())
        if len(self.levels) > 1:
            _port_shapes(self.graph, shown)
        scene = self.window.canvas.graph_scene()
        if scene is not None:
            scene.apply_check(shown, pending)
            self._inner_statuses(scene, result, pending)
        self.window.inspector.apply_check(shown, pending)

    def _inner_statuses(self, scene: GraphScene, result: CheckResult, pending: bool) -> None:
        for nid, item in scene.node_items.items():
            if isinstance(item, BlockNodeItem) and item.expanded:
                inner = level_check(result, (*self.path(), nid))
                item.set_inner_status(statuses(inner, pending))

    def show_issue(self, issue: Any) -> None:
        """An issue clicked in the issues panel: open the blocks down to its layer, select it."""
        if issue.node is None:
            return
        inner = tuple(getattr(issue, "inner", ()) or ())
        if len(self.levels) > 1:
            self.go_to(0)
        if not inner:
            self.window.select_nodes([issue.node], center=True)
            return
        if not self.open_block(issue.node):
            return
        for use_id in inner[:-1]:
            if not self.open_block(use_id):
                return
        self._select_inner(inner[-1])

    # -- grouping -----------------------------------------------------------------------
    def group_selection(self) -> bool:
        """Ctrl+G: the selected layers become one block (asks its name), one undo step."""
        from nnstudio.core.graph.block_commands import GroupNodes

        ids = self.selected()
        if not ids:
            self.window.show_message("Select the layers to group into a block.")
            return False
        name = self.ask_text("Group into Block", "Name of the new block:", self.free_name())
        if not name:
            return False
        graph = self.graph
        check = self.window.last_check if len(self.levels) == 1 else None
        shapes = check.shapes if check is not None else None
        cmd = self.window.canvas.attempt(lambda: GroupNodes(graph, ids, name, shapes=shapes))
        if cmd is None:
            return False
        self.window.select_nodes([cmd.use_id])
        return True

    def free_name(self) -> str:
        blocks = getattr(self.graph, "blocks", {})
        i = 1
        while f"block{i}" in blocks:
            i += 1
        return f"block{i}"

    def ungroup_selection(self) -> bool:
        """Ctrl+Shift+G: the selected blocks' layers go back in their place (one step each)."""
        from nnstudio.core.graph.block_commands import Ungroup

        graph = self.graph
        uses = [n for n in self.selected() if is_block(graph.nodes[n])]
        if not uses:
            self.window.show_message("Select a block to ungroup.")
            return False
        new: list[str] = []
        for use in uses:
            cmd = self.window.canvas.attempt(lambda u=use: Ungroup(graph, u))
            if cmd is not None:
                new += cmd.node_ids
        self.window.select_nodes(new)
        return bool(new)

    def open_selected(self) -> bool:
        """Enter: open the selected block as its own canvas."""
        uses = [n for n in self.selected() if is_block(self.graph.nodes[n])]
        if len(uses) != 1:
            self.window.show_message("Select one block to open.")
            return False
        return self.open_block(uses[0])

    def _node_activated(self, node_id: str) -> None:
        """A double-click on a block: on a layer of an expanded one, open the block at that
        layer; elsewhere, expand or collapse it."""
        node = self.graph.nodes.get(node_id)
        if node is None or not is_block(node):
            return
        scene = self.window.canvas.graph_scene()
        item = scene.node_items.get(node_id) if scene is not None else None
        if isinstance(item, BlockNodeItem) and item.expanded and item.last_press is not None:
            inner = item.inner_at(item.last_press)
            if inner is not None:
                self.open_block(node_id, select=inner)
                return
        self.toggle_expanded(node_id)

    # -- expanding ----------------------------------------------------------------------
    def toggle_selected(self) -> None:
        """Expand (or collapse) the selected blocks."""
        for nid in self.selected():
            if is_block(self.graph.nodes[nid]):
                self.toggle_expanded(nid)

    def is_expanded(self, use_id: str) -> bool:
        """True when the use is shown expanded on the level shown."""
        return (id(self.graph), use_id) in self.expanded

    def toggle_expanded(self, use_id: str) -> None:
        """Show a block's layers in a frame in place (or collapse it); the nodes around it
        move aside so that nothing overlaps (one undo step)."""
        scene = self.window.canvas.graph_scene()
        item = scene.node_items.get(use_id) if scene is not None else None
        if not isinstance(item, BlockNodeItem):
            return
        key = (id(self.graph), use_id)
        on = key not in self.expanded
        old_w, old_h = item.frame_size()
        new_w, new_h = item.expanded_size() if on else (NODE_W, NODE_H)
        if on:
            self.expanded.add(key)
        else:
            self.expanded.discard(key)
        item.set_expanded(on)
        scene.node_item_moved(item)
        moves = room_moves(self.graph, use_id, (old_w, old_h), (new_w, new_h))
        if moves:
            graph = self.graph
            self.window.canvas.attempt(lambda: MoveNodes(graph, moves))
        if on and self.window.last_check is not None:
            self._inner_statuses(scene, self.window.last_check, False)


def room_moves(
    graph: Graph, use_id: str, old: tuple[float, float], new: tuple[float, float]
) -> dict[str, tuple[float, float]]:
    """Where the other nodes go when a block's footprint grows (or shrinks) from ``old`` to
    ``new``: those to its right shift right, those below it (in its columns) shift down."""
    use = graph.nodes[use_id]
    x0, y0 = use.pos
    dx, dy = new[0] - old[0], new[1] - old[1]
    if not dx and not dy:
        return {}
    right_edge = x0 + min(old[0], new[0])
    bottom = y0 + min(old[1], new[1])
    span = max(old[0], new[0])
    moves = {}
    for nid, node in graph.nodes.items():
        if nid == use_id:
            continue
        x, y = node.pos
        if x >= right_edge - NODE_W / 2 and y + NODE_H > y0 - ROOM_GAP:
            moves[nid] = (x + dx + (ROOM_GAP if dx > 0 else -ROOM_GAP), y)
        elif y >= bottom - NODE_H / 2 and x < x0 + span and x + NODE_W > x0:
            moves[nid] = (x, y + dy + (ROOM_GAP if dy > 0 else -ROOM_GAP))
    return moves


__all__ = ["BlockController", "Level", "level_check", "room_moves"]
