"""The canvas view: zoom, pan, drops from the palette, keyboard editing, the minimap.

Every edit made here becomes a core command handed to the host (the main window) through
``host.push``; a command the core refuses (its constructor raises :class:`EditRefused`) is
reported on the status bar with the reason (:attr:`GraphView.message`) and nothing changes.
The edits themselves (add, insert, delete, clipboard, nudge) are :class:`CanvasEditor`'s
(:mod:`.editing`), what a drop does is :class:`DropTarget`'s (:mod:`.drops`).

Mouse: left-drag on empty canvas selects with a rubber band, on a node moves the selection,
on a port draws a connection; middle-drag or space+drag pans; the wheel (or a pinch) zooms
around the cursor.  Keys: Tab opens the quick search, F zooms to the selection, arrows nudge.
The cost overlay (:mod:`.cost_overlay`, ``view.cost_overlay.action``) colours nodes by cost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCursor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QWidget

from nnstudio.core.graph.command import Command
from nnstudio.core.graph.model import EditRefused, Graph
from nnstudio.ui.canvas.cost_overlay import CostOverlay
from nnstudio.ui.canvas.drops import LAYER_MIME, DropTarget
from nnstudio.ui.canvas.editing import (
    FRAGMENT_MIME,
    CanvasEditor,
    clipboard_fragment,
    release_clipboard,
)
from nnstudio.ui.canvas.interactions import ConnectDrag
from nnstudio.ui.canvas.minimap import Minimap
from nnstudio.ui.canvas.quick_add import QuickAddPopup
from nnstudio.ui.canvas.scene import GraphScene

__all__ = [
    "FRAGMENT_MIME",
    "LAYER_MIME",
    "CanvasHost",
    "GraphView",
    "clipboard_fragment",
    "release_clipboard",
]

MIN_ZOOM, MAX_ZOOM = 0.02, 3.0
WHEEL_STEP = 1.0015  # zoom factor per wheel angle unit (120 units = one notch ≈ 1.2x)


class CanvasHost(Protocol):
    """What the view needs from its window."""

    def push(self, command: Command) -> bool:
        """Apply and record a command; False if refused (the host says why)."""

    def show_message(self, text: str, timeout_ms: int = 6000) -> None:
        """Tell the user something on the status bar."""


class GraphView(QGraphicsView):
    """Shows a :class:`GraphScene` and turns gestures into commands."""

    selection_changed = Signal(list)  # node ids
    zoom_changed = Signal(float)
    file_dropped = Signal(str)  # a local file or folder dropped on the canvas
    node_activated = Signal(str)  # double-click on a node
    message = Signal(str, int)  # text for the status bar, timeout in ms

    def __init__(self, host: CanvasHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.message.connect(host.show_message)
        self.editor = CanvasEditor(self)
        self.drops = DropTarget(self.graph_scene, self.editor)
        self.setObjectName("canvas")
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().grabGesture(Qt.GestureType.PinchGesture)
        self._connect: ConnectDrag | None = None
        self._pan_from: QPoint | None = None
        self._space_down = False
        self._connect_note: str | None = None
        self.minimap = Minimap(self, self)
        self._quick_add: QuickAddPopup | None = None  # built on first use: not on start-up
        self._quick_add_pos = QPointF()
        self._minimap_timer = QTimer(self)
        self._minimap_timer.setSingleShot(True)
        self._minimap_timer.setInterval(60)
        self._minimap_timer.timeout.connect(self.minimap.refresh_if_changed)
        self.cost_overlay = CostOverlay(self)

    # -- scene ------------------------------------------------------------------------
    def graph_scene(self) -> GraphScene | None:
        """The scene shown (``None`` before a project is set)."""
        scene = self.scene()
        return scene if isinstance(scene, GraphScene) else None

    @property
    def graph(self) -> Graph:
        """The graph shown."""
        scene = self.graph_scene()
        assert scene is not None, "no scene set"
        return scene.graph

    def set_graph_scene(self, scene: GraphScene) -> None:
        """Show another scene (a new project); the old one is detached from its graph."""
        old = self.graph_scene()
        self._cancel_connect()
        if old is not None:
            old.selectionChanged.disconnect(self._on_selection)
            old.changed.disconnect(self._schedule_minimap)
            old.checked.disconnect(self.cost_overlay.on_checked)
            old.detach()
        self.setScene(scene)
        scene.selectionChanged.connect(self._on_selection)
        scene.changed.connect(self._schedule_minimap)
        scene.checked.connect(self.cost_overlay.on_checked)
        self.editor.reset()
        self.minimap.refresh()
        self.cost_overlay.refresh()
        if old is not None:
            old.deleteLater()

    def set_node_indicator(self, node_id: str, text: str | None, color: str | None = None) -> None:
        """A small live label under a node (e.g. a mean activation); ``None`` removes it."""
        scene = self.graph_scene()
        if scene is not None:
            scene.set_node_indicator(node_id, text, color)

    def _on_selection(self) -> None:
        scene = self.graph_scene()
        self.selection_changed.emit(scene.selected_node_ids() if scene else [])

    def _schedule_minimap(self, *_: Any) -> None:
        if self.minimap.enabled and not self._minimap_timer.isActive():
            self._minimap_timer.start()

    # -- commands ---------------------------------------------------------------------
    def attempt(self, factory: Callable[[], Command]) -> Command | None:
        """Build a command and push it; a refusal is reported, never raised."""
        try:
            command = factory()
        except EditRefused as exc:
            self.tell(str(exc))
            return None
        return command if self.host.push(command) else None

    def tell(self, text: str, timeout_ms: int = 6000) -> None:
        """Say something on the window's status bar (through :attr:`message`)."""
        self.message.emit(text, timeout_ms)

    def cursor_scene_pos(self) -> QPointF | None:
        """Where the mouse cursor is on the canvas, if it is over the viewport."""
        cursor = self.mapFromGlobal(QCursor.pos())
        return self.mapToScene(cursor) if self.viewport().rect().contains(cursor) else None

    # -- the Edit menu's entry points (the work is in :class:`CanvasEditor`) ------------
    def add_layer(self, key: str, scene_pos: QPointF | None = None) -> str | None:
        """Add a layer centred on ``scene_pos`` (default: the view's centre); its id."""
        return self.editor.add_layer(key, scene_pos)

    def delete_selection(self) -> bool:
        """Delete the selected nodes and edges, as one undo step."""
        return self.editor.delete_selection()

    def copy_selection(self) -> bool:
        """Put the selected nodes (and the edges among them) on the clipboard."""
        return self.editor.copy_selection()

    def cut_selection(self) -> bool:
        """Copy, then delete, the selected nodes."""
        return self.editor.cut_selection()

    def paste(self) -> list[str]:
        """Paste the clipboard's layers (at the cursor when it is over the canvas)."""
        return self.editor.paste()

    def duplicate_selection(self) -> list[str]:
        """Copy the selected nodes beside themselves."""
        return self.editor.duplicate_selection()

    def select_all(self) -> None:
        """Select every node."""
        self.editor.select_all()

    # -- zoom and navigation --------------------------------------------------------
    def zoom(self) -> float:
        """The current scale (1.0 = 100 %)."""
        return self.transform().m11()

    def set_zoom(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``scale`` (clamped), keeping ``anchor`` (scene) under the same pixel."""
        scale = max(MIN_ZOOM, min(MAX_ZOOM, scale))
        factor = scale / self.zoom()
        if abs(factor - 1.0) < 1e-9:
            return
        old = self.transformationAnchor()
        if anchor is None:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
            self.scale(factor, factor)
        else:
            # Keep ``anchor`` under the same pixel: scale, then scroll by how far it moved.
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
            before = self.mapFromScene(anchor)
            self.scale(factor, factor)
            after = self.mapFromScene(anchor)
            hbar, vbar = self.horizontalScrollBar(), self.verticalScrollBar()
            hbar.setValue(hbar.value() + after.x() - before.x())
            vbar.setValue(vbar.value() + after.y() - before.y())
        self.setTransformationAnchor(old)
        self.zoom_changed.emit(self.zoom())
        self.minimap.sync_view()

    def zoom_in(self) -> None:
        """Zoom in one step around the view's centre."""
        self.set_zoom(self.zoom() * 1.25)

    def zoom_out(self) -> None:
        """Zoom out one step around the view's centre."""
        self.set_zoom(self.zoom() / 1.25)

    def zoom_reset(self) -> None:
        """Back to 100 %."""
        self.set_zoom(1.0)

    def fit_to_view(self) -> None:
        """Show the whole graph (never zooming in beyond 100 %)."""
        scene = self.graph_scene()
        if scene is None or not scene.node_items:
            return
        self._fit(scene.nodes_rect())

    def zoom_to_selection(self) -> None:
        """Show the selected nodes (the whole graph if none is selected)."""
        scene = self.graph_scene()
        ids = scene.selected_node_ids() if scene else []
        if not ids:
            self.fit_to_view()
            return
        self._fit(scene.nodes_rect(ids))

    def center_on_node(self, node_id: str) -> None:
        """Scroll so that a node is in the middle of the view."""
        scene = self.graph_scene()
        item = scene.node_items.get(node_id) if scene else None
        if item is not None:
            self.centerOn(item.sceneBoundingRect().center())
            self.minimap.sync_view()

    def _fit(self, rect: QRectF) -> None:
        if rect.isNull():
            return
        margin = 40.0
        rect = rect.adjusted(-margin, -margin, margin, margin)
        view = self.viewport().rect()
        scale = min(view.width() / max(rect.width(), 1.0), view.height() / max(rect.height(), 1.0))
        self.set_zoom(min(1.0, scale))
        self.centerOn(rect.center())
        self.zoom_changed.emit(self.zoom())
        self.minimap.sync_view()

    def visible_scene_rect(self) -> QRectF:
        """The part of the scene the viewport shows."""
        return self.mapToScene(self.viewport().rect()).boundingRect()

    @property
    def quick_add(self) -> QuickAddPopup:
        """The quick-search popup (created the first time it is needed)."""
        if self._quick_add is None:
            self._quick_add = QuickAddPopup(self)
            self._quick_add.chosen.connect(self._quick_add_chosen)
        return self._quick_add

    def open_quick_add(self, scene_pos: QPointF | None = None) -> None:
        """The quick search that adds the chosen layer at ``scene_pos``."""
        if scene_pos is None:
            cursor = self.mapFromGlobal(QCursor.pos())
            inside = self.viewport().rect().contains(cursor)
            scene_pos = self.mapToScene(cursor) if inside else self.visible_scene_rect().center()
        self._quick_add_pos = scene_pos
        view_pt = self.mapFromScene(scene_pos)
        self.quick_add.popup_at(self.viewport().mapToGlobal(view_pt))

    def _quick_add_chosen(self, key: str) -> None:
        self.add_layer(key, self._quick_add_pos)

    # -- mouse ------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        scene = self.graph_scene()
        pan = event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and self._space_down
        )
        if pan:
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton and scene is not None:
            pos = self.mapToScene(event.position().toPoint())
            item = scene.node_at(pos)
            if item is not None:
                port = item.port_at(pos)
                if port is not None:
                    self._connect = ConnectDrag(scene, item, port[0], port[1])
                    event.accept()
                    return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position().toPoint() - self._pan_from
            self._pan_from = event.position().toPoint()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        if self._connect is not None:
            note = self._connect.move(self.mapToScene(event.position().toPoint()))
            if note and note != self._connect_note:
                self.tell(note, 4000)
            self._connect_note = note
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.LeftButton,
        ):
            self._pan_from = None
            self.viewport().setCursor(
                Qt.CursorShape.OpenHandCursor if self._space_down else Qt.CursorShape.ArrowCursor
            )
            event.accept()
            return
        if self._connect is not None and event.button() == Qt.MouseButton.LeftButton:
            drag, self._connect, self._connect_note = self._connect, None, None
            refused = drag.finish(self.mapToScene(event.position().toPoint()), self.attempt)
            if refused:
                self.tell(f"Cannot connect: {refused}")
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self.editor.commit_moves()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        scene = self.graph_scene()
        if event.button() == Qt.MouseButton.LeftButton and scene is not None:
            pos = self.mapToScene(event.position().toPoint())
            item = scene.node_at(pos)
            if item is None and scene.edge_near(pos) is None:
                self.open_quick_add(pos)
                event.accept()
                return
            if item is not None:
                self.node_activated.emit(item.node_id)
                event.accept()
                return
        super().mouseDoubleClickEvent(event)

    def _cancel_connect(self) -> None:
        if self._connect is not None:
            self._connect.cancel()
            self._connect = None
            self._connect_note = None

    # -- wheel and gestures -------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        pixel = event.pixelDelta()
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if not pixel.isNull() and not ctrl:
            # A trackpad scroll pans; ctrl+scroll (or a mouse wheel) zooms.
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - pixel.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - pixel.y())
            event.accept()
            return
        angle = event.angleDelta().y() or event.angleDelta().x()
        if angle:
            anchor = self.mapToScene(event.position().toPoint())
            self.set_zoom(self.zoom() * WHEEL_STEP**angle, anchor)
        event.accept()

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.NativeGesture:
            if event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:
                anchor = self.mapToScene(event.position().toPoint())
                self.set_zoom(self.zoom() * (1.0 + event.value()), anchor)
                return True
        elif event.type() == QEvent.Type.Gesture:
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if pinch is not None:
                center = self.viewport().mapFromGlobal(pinch.centerPoint().toPoint())
                anchor = self.mapToScene(center)
                self.set_zoom(self.zoom() * pinch.scaleFactor(), anchor)
                event.accept()
                return True
        elif event.type() == QEvent.Type.ToolTip:  # node texts are built on demand
            for item in self.items(event.pos()):
                while item is not None and not hasattr(item, "prepare_tooltip"):
                    item = item.parentItem()
                if item is not None:
                    item.prepare_tooltip()
                    break
        return super().viewportEvent(event)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        if self.minimap.isVisible():
            self.minimap.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.minimap.place()
        self.cost_overlay.legend.place()
        self.minimap.sync_view()

    # -- keyboard ---------------------------------------------------------------------
    def focusNextPrevChild(self, next: bool) -> bool:
        return False  # Tab belongs to the quick search

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        plain = mods == Qt.KeyboardModifier.NoModifier
        if key == Qt.Key.Key_Tab and plain:
            self.open_quick_add()
        elif key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif key == Qt.Key.Key_F and plain:
            self.zoom_to_selection()
        elif key == Qt.Key.Key_Escape:
            self._cancel_connect()
            scene = self.graph_scene()
            if scene is not None:
                scene.clearSelection()
        elif key in _ARROWS and mods in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.ShiftModifier,
        ):
            step = 1.0 if mods == Qt.KeyboardModifier.ShiftModifier else 12.0
            dx, dy = _ARROWS[key]
            self.editor.nudge(dx * step, dy * step)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            if self._pan_from is None:
                self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    # -- drag and drop (see :class:`DropTarget`) ---------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.drops.accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        pos = self.mapToScene(event.position().toPoint())
        if self.drops.hover(event.mimeData(), pos):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:
        self.drops.leave()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        done = self.drops.drop(event.mimeData(), self.mapToScene(event.position().toPoint()))
        if done is False:
            event.ignore()
            return
        event.acceptProposedAction()
        if isinstance(done, str):
            self.file_dropped.emit(done)
        else:
            self.setFocus()


_ARROWS = {
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Up: (0, -1),
    Qt.Key.Key_Down: (0, 1),
}
