"""Drops on the canvas: a layer from the palette (added where it lands, or inserted into the
edge under it, which is highlighted while the drag hovers it) or local files (the window
decides what each one is)."""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import QMimeData, QPointF

from nnstudio.core import catalog
from nnstudio.ui.canvas.editing import CanvasEditor
from nnstudio.ui.canvas.items import EdgeItem
from nnstudio.ui.canvas.scene import GraphScene

LAYER_MIME = "application/x-nnstudio-layer"
BLOCK_MIME = "application/x-nnstudio-block"


def layer_key(mime: QMimeData) -> str | None:
    """The layer type a drag carries (``None`` if it carries none)."""
    if not mime.hasFormat(LAYER_MIME):
        return None
    return bytes(mime.data(LAYER_MIME).data()).decode("utf-8", errors="replace")


def block_mime(name: str) -> QMimeData:
    """What a drag of library block ``name`` carries."""
    mime = QMimeData()
    mime.setData(BLOCK_MIME, json.dumps({"block": name}).encode("utf-8"))
    mime.setText(name)
    return mime


def block_name(mime: QMimeData) -> str | None:
    """The library block a drag carries (``None``: none)."""
    if not mime.hasFormat(BLOCK_MIME):
        return None
    try:
        data = json.loads(bytes(mime.data(BLOCK_MIME).data()).decode("utf-8"))
    except ValueError:
        return None
    name = data.get("block") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def local_paths(mime: QMimeData) -> list[str]:
    """Local files or folders being dropped."""
    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]


class DropTarget:
    """What the view does with drags: ``hover`` while one moves, ``drop`` at the end."""

    def __init__(self, scene: Callable[[], GraphScene | None], editor: CanvasEditor) -> None:
        self._scene = scene
        self._editor = editor
        self._edge: EdgeItem | None = None
        # a block from the library ("My blocks"): (name, scene pos) -> placed; the window's
        self.block_drop: Callable[[str, QPointF], bool] | None = None

    @staticmethod
    def accepts(mime: QMimeData) -> bool:
        """True for a layer or local files."""
        return (
            layer_key(mime) is not None or block_name(mime) is not None or bool(local_paths(mime))
        )

    def hover(self, mime: QMimeData, pos: QPointF) -> bool:
        """The drag moved to scene ``pos``: highlight the edge a layer would go into."""
        key = layer_key(mime)
        self._highlight(self._insertion_edge(key, pos) if key is not None else None)
        return self.accepts(mime)

    def leave(self) -> None:
        """The drag left the canvas."""
        self._highlight(None)

    def drop(self, mime: QMimeData, pos: QPointF) -> str | bool:
        """Add (or insert) the dropped layer: True; a dropped file: its path; else False."""
        self._highlight(None)
        block = block_name(mime)
        if block is not None:
            return self.block_drop is not None and self.block_drop(block, pos)
        key = layer_key(mime)
        if key is not None:
            edge = self._insertion_edge(key, pos)
            if edge is not None:
                self._editor.insert_on_edge(key, edge.edge, pos)
            else:
                self._editor.add_layer(key, pos)
            return True
        paths = local_paths(mime)
        return paths[0] if paths else False

    def _insertion_edge(self, key: str, pos: QPointF) -> EdgeItem | None:
        scene = self._scene()
        try:
            spec = catalog.get(key)
        except KeyError:
            return None
        if scene is None or spec.is_input:
            return None
        return scene.edge_near(pos)

    def _highlight(self, edge: EdgeItem | None) -> None:
        if edge is self._edge:
            return
        if self._edge is not None and self._edge.scene() is not None:
            self._edge.set_highlighted(False)
        self._edge = edge
        if edge is not None:
            edge.set_highlighted(True)
