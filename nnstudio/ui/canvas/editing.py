"""Editing actions on the canvas's graph: add, insert, delete, cut, copy, paste, duplicate,
select all, nudge and committing dragged moves.

Each action builds core commands and hands them to the surface's ``attempt`` (which pushes
them on the undo stack, or reports the refusal).  The surface is the canvas view, seen
through the small :class:`EditSurface` protocol so that this module does not import it.
The clipboard holds copied layers as JSON (``FRAGMENT_MIME``, and as text).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QMimeData, QPointF, QRectF
from PySide6.QtGui import QGuiApplication

from nnstudio.core import catalog
from nnstudio.core.graph.commands import (
    AddNode,
    Command,
    Disconnect,
    InsertOnEdge,
    Macro,
    MoveNodes,
    Paste,
    RemoveNodes,
    copy_fragment,
)
from nnstudio.core.graph.model import Edge, Graph
from nnstudio.core.layout import NODE_H, NODE_W
from nnstudio.ui.canvas.scene import GraphScene

FRAGMENT_MIME = "application/x-nnstudio-fragment"
PASTE_OFFSET = 40.0


class EditSurface(Protocol):
    """What the editing actions need from the canvas view."""

    @property
    def graph(self) -> Graph: ...

    def graph_scene(self) -> GraphScene | None: ...

    def attempt(self, factory: Callable[[], Command]) -> Command | None: ...

    def tell(self, text: str, timeout_ms: int = 6000) -> None: ...

    def visible_scene_rect(self) -> QRectF: ...

    def cursor_scene_pos(self) -> QPointF | None: ...


class CanvasEditor:
    """The graph edits the Edit menu, the keyboard and drops make on one canvas."""

    def __init__(self, surface: EditSurface) -> None:
        self.surface = surface
        self._paste_count = 0
        self._last_fragment: str | None = None

    def reset(self) -> None:
        """A new scene is shown: successive pastes start again from the first offset."""
        self._paste_count = 0

    def _selected(self) -> tuple[GraphScene | None, list[str]]:
        scene = self.surface.graph_scene()
        return scene, scene.selected_node_ids() if scene else []

    # -- adding -----------------------------------------------------------------------
    def add_layer(self, key: str, scene_pos: QPointF | None = None) -> str | None:
        """Add a layer centred on ``scene_pos`` (default: the view's centre); its id."""
        if not self._known(key):
            return None
        pos = scene_pos if scene_pos is not None else self.surface.visible_scene_rect().center()
        graph = self.surface.graph
        cmd = self.surface.attempt(
            lambda: AddNode(graph, key, (pos.x() - NODE_W / 2, pos.y() - NODE_H / 2))
        )
        return self._select_new(cmd.node.id if isinstance(cmd, AddNode) else None)

    def insert_on_edge(self, key: str, edge: Edge, scene_pos: QPointF) -> str | None:
        """Insert a new layer into an edge, moving what is downstream aside (one undo step)."""
        if not self._known(key):
            return None
        graph = self.surface.graph
        pos = (scene_pos.x() - NODE_W / 2, scene_pos.y() - NODE_H / 2)
        cmd = self.surface.attempt(lambda: InsertOnEdge(graph, edge, key, pos))
        return self._select_new(cmd.node_id if isinstance(cmd, InsertOnEdge) else None)

    def _known(self, key: str) -> bool:
        # The core's AddNode raises a bare KeyError for an unknown type (a drop from another
        # program can carry any text): refuse it here, with the same words.
        try:
            catalog.get(key)
        except KeyError as exc:
            self.surface.tell(str(exc.args[0]))
            return False
        return True

    def _select_new(self, node_id: str | None) -> str | None:
        scene = self.surface.graph_scene()
        if node_id is not None and scene is not None:
            scene.select_nodes([node_id])
        return node_id

    # -- deleting ---------------------------------------------------------------------
    def delete_selection(self) -> bool:
        """Delete the selected nodes (with their edges) and edges, as one undo step."""
        scene, nodes = self._selected()
        if scene is None:
            return False
        doomed = set(nodes)
        edges = [e for e in scene.selected_edges() if e.src not in doomed and e.dst not in doomed]
        if not nodes and not edges:
            return False
        graph = self.surface.graph
        if not nodes and len(edges) == 1:
            return self.surface.attempt(lambda: Disconnect(graph, edges[0])) is not None
        steps: list[Any] = [lambda g, e=e: Disconnect(g, e) for e in edges]
        if nodes:
            steps.append(lambda g: RemoveNodes(g, nodes))
        count = len(nodes) + len(edges)
        text = RemoveNodes(graph, nodes).text if nodes and not edges else f"Delete {count} items"
        return self.surface.attempt(lambda: Macro(graph, text, steps)) is not None

    # -- clipboard --------------------------------------------------------------------
    def copy_selection(self) -> bool:
        """Put the selected nodes (and the edges among them) on the clipboard."""
        _, ids = self._selected()
        if not ids:
            self.surface.tell("Select layers to copy.")
            return False
        fragment = copy_fragment(self.surface.graph, ids)
        text = json.dumps(fragment)
        mime = QMimeData()
        mime.setData(FRAGMENT_MIME, text.encode("utf-8"))
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        self._last_fragment = json.dumps(fragment, sort_keys=True)
        self._paste_count = 0
        return True

    def cut_selection(self) -> bool:
        """Copy, then delete, the selected nodes."""
        return self.copy_selection() and self.delete_selection()

    def paste(self) -> list[str]:
        """Paste the clipboard's layers (at the cursor when it is over the canvas)."""
        fragment = clipboard_fragment()
        if fragment is None:
            self.surface.tell("The clipboard holds no layers.")
            return []
        return self._paste_fragment(fragment)

    def duplicate_selection(self) -> list[str]:
        """Copy the selected nodes beside themselves (the clipboard is left alone)."""
        _, ids = self._selected()
        if not ids:
            self.surface.tell("Select layers to duplicate.")
            return []
        return self._push_paste(copy_fragment(self.surface.graph, ids), PASTE_OFFSET, PASTE_OFFSET)

    def _paste_fragment(self, fragment: dict[str, Any]) -> list[str]:
        nodes = fragment.get("nodes") or []
        if not nodes:
            return []
        xs = [float(n.get("pos", [0, 0])[0]) for n in nodes]
        ys = [float(n.get("pos", [0, 0])[1]) for n in nodes]
        origin = QPointF(min(xs), min(ys))
        visible = self.surface.visible_scene_rect()
        key = json.dumps(fragment, sort_keys=True)
        if key != self._last_fragment:
            self._last_fragment, self._paste_count = key, 0
        self._paste_count += 1
        target = self.surface.cursor_scene_pos()
        if target is not None:
            dx, dy = target.x() - origin.x(), target.y() - origin.y()
        elif visible.contains(origin):
            dx = dy = PASTE_OFFSET * self._paste_count
        else:
            center = visible.center()
            dx = center.x() - origin.x() - NODE_W / 2
            dy = center.y() - origin.y() - NODE_H / 2
        return self._push_paste(fragment, dx, dy)

    def _push_paste(self, fragment: dict[str, Any], dx: float, dy: float) -> list[str]:
        graph = self.surface.graph

        # a damaged fragment (text from elsewhere that only looks like layers) is refused
        # by Paste itself with an EditRefused, reported by attempt()
        cmd = self.surface.attempt(lambda: Paste(graph, fragment, (dx, dy)))
        scene = self.surface.graph_scene()
        if isinstance(cmd, Paste) and scene is not None:
            scene.select_nodes(cmd.node_ids)
            return cmd.node_ids
        return []

    # -- selection and moves ----------------------------------------------------------
    def select_all(self) -> None:
        """Select every node."""
        scene = self.surface.graph_scene()
        if scene is not None:
            scene.select_nodes(list(scene.node_items))

    def nudge(self, dx: float, dy: float) -> None:
        """Move the selected nodes by a few pixels (successive nudges merge)."""
        _, ids = self._selected()
        if not ids:
            return
        graph = self.surface.graph
        positions = {
            nid: (graph.nodes[nid].pos[0] + dx, graph.nodes[nid].pos[1] + dy) for nid in ids
        }
        self.surface.attempt(lambda: MoveNodes(graph, positions))

    def commit_moves(self) -> None:
        """Turn nodes dragged on the canvas into one ``MoveNodes`` command."""
        scene = self.surface.graph_scene()
        if scene is None:
            return
        moved = scene.moved_positions()
        if moved:
            graph = self.surface.graph
            if self.surface.attempt(lambda: MoveNodes(graph, moved)) is None:
                for nid in moved:  # refused: put the items back where the model has them
                    scene.node_items[nid].setPos(QPointF(*graph.nodes[nid].pos))


def release_clipboard() -> None:
    """Leave a Qt-owned copy of copied layers on the clipboard (call before the app exits).

    A ``QMimeData`` made in Python and still on the clipboard at exit is destroyed by Qt's
    static destructors after Python has shut down, which crashes the process (PySide6).
    The copy keeps the fragment as text, which :func:`clipboard_fragment` still reads.
    """
    clipboard = QGuiApplication.clipboard()
    mime = clipboard.mimeData()
    if mime is not None and mime.hasFormat(FRAGMENT_MIME):
        clipboard.setText(mime.text())


def clipboard_fragment() -> dict[str, Any] | None:
    """The layers on the clipboard (copied from this or another NN Studio window)."""
    mime = QGuiApplication.clipboard().mimeData()
    if mime is None:
        return None
    if mime.hasFormat(FRAGMENT_MIME):
        raw = bytes(mime.data(FRAGMENT_MIME).data()).decode("utf-8", errors="replace")
    elif mime.hasText():
        raw = mime.text()
    else:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("nnstudio_fragment") != 1:
        return None
    if not isinstance(data.get("nodes"), list):
        return None
    return data
