"""Helpers shared by the UI tests: building graphs, mouse drags and drops on the canvas."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.project import Project
from nnstudio.ui.canvas.view import LAYER_MIME


def chain_project() -> Project:
    """Input (8,) -> Dense 16 -> Dense 3 (softmax, declared output), laid out in a row."""
    b = GraphBuilder()
    x = b.add("Input", name="features", shape=(8,), pos=(0.0, 0.0))
    h = b.add("Dense", x, name="hidden", units=16, activation="relu", pos=(280.0, 0.0))
    y = b.add("Dense", h, name="scores", units=3, activation="softmax", pos=(560.0, 0.0))
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    return Project(graph=b.graph, name="chain")


def show(window, project: Project) -> None:
    """Open ``project`` in the window and let the view settle (fit, first check)."""
    window.set_project(project)
    QApplication.processEvents()
    window.canvas.zoom_reset()
    window.canvas.centerOn(window.canvas.graph_scene().nodes_rect().center())
    QApplication.processEvents()


def node_id(window, name: str) -> str:
    """The id of the node called ``name``."""
    node = window.graph.node_by_name(name)
    assert node is not None, name
    return node.id


def port_point(window, name: str, side: str, port: str = "in") -> QPoint:
    """Viewport coordinates of a node's port."""
    item = window.canvas.graph_scene().node_items[node_id(window, name)]
    return window.canvas.mapFromScene(item.port_scene_pos(side, port))


def node_center(window, name: str) -> QPoint:
    """Viewport coordinates of the middle of a node."""
    item = window.canvas.graph_scene().node_items[node_id(window, name)]
    return window.canvas.mapFromScene(item.sceneBoundingRect().center())


def drag(view, start: QPoint, end: QPoint, steps: int = 6) -> None:
    """A left-button drag on the view's viewport."""
    vp = view.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, steps + 1):
        t = i / steps
        point = QPoint(
            round(start.x() + (end.x() - start.x()) * t),
            round(start.y() + (end.y() - start.y()) * t),
        )
        QTest.mouseMove(vp, point)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def drop_mime(view, mime: QMimeData, point: QPoint) -> QDropEvent:
    """Drag ``mime`` in over the viewport and drop it at ``point``."""
    vp = view.viewport()
    QApplication.sendEvent(vp, _drag_event(QDragEnterEvent, point, mime))
    QApplication.sendEvent(vp, _drag_event(QDragMoveEvent, point, mime))
    drop = QDropEvent(
        QPointF(point),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(vp, drop)
    return drop


def _drag_event(cls, point: QPoint, mime: QMimeData):
    args = (
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    try:
        return cls(QPointF(point), *args)  # PySide6 >= 6.12 (the QPoint form is deprecated)
    except TypeError:
        return cls(point, *args)


def layer_mime(key: str) -> QMimeData:
    """What the palette puts on a drag of layer ``key``."""
    mime = QMimeData()
    mime.setData(LAYER_MIME, key.encode("utf-8"))
    return mime
