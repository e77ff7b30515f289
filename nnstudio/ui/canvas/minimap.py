"""An overview of the whole graph in a corner of the canvas; click or drag to navigate."""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from nnstudio.core.layout import NODE_H, NODE_W
from nnstudio.ui.canvas.scene import GraphScene

WIDTH, HEIGHT, MARGIN = 200, 140, 12


class MapView(Protocol):
    """What the overview needs from the canvas view it sits on (a ``QGraphicsView``)."""

    def viewport(self) -> QWidget: ...

    def graph_scene(self) -> GraphScene | None: ...

    def visible_scene_rect(self) -> QRectF: ...

    def centerOn(self, pos: QPointF) -> None: ...  # noqa: N802  (Qt's name)


class Minimap(QWidget):
    """Draws every node as a small box, and the visible part of the canvas as a frame.

    It shows itself only when the graph does not fit in the view (and the user has not
    switched it off).
    """

    def __init__(self, view: MapView, parent: QWidget) -> None:
        super().__init__(parent)
        self.view = view
        self.enabled = True
        self.setFixedSize(WIDTH, HEIGHT)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move around the graph")
        self._world = QRectF()
        self._layer: QPixmap | None = None  # the nodes, redrawn only when the graph changes
        self._key: tuple | None = None  # the scene's map_key() when the layer was drawn
        self._places: tuple[Any, QRectF, dict[str, QRectF]] | None = None  # see _boxes
        self.hide()

    def set_enabled(self, on: bool) -> None:
        """Allow or forbid the overview (View > Minimap)."""
        self.enabled = on
        self.refresh()

    def place(self) -> None:
        """Stay in the view's bottom-right corner."""
        vp = self.view.viewport().geometry()
        self.move(vp.right() - WIDTH - MARGIN, vp.bottom() - HEIGHT - MARGIN)

    def refresh_if_changed(self) -> None:
        """Something in the scene changed: redraw the nodes layer if it shows what changed
        (a place, a colour, the selection), else only follow the view."""
        scene = self.view.graph_scene()
        key = self._key
        new = scene.map_key() if scene is not None else None
        if (
            key is not None
            and new is not None
            and key[0] == new[0]
            and key[1] is new[1]
            and key[2] == new[2]
            and key[3] is scene
        ):
            self.sync_view()
            return
        self.refresh()

    def refresh(self) -> None:
        """The graph changed: redraw the nodes layer, then show or hide the overview."""
        self._layer = None
        scene = self.view.graph_scene()
        self._key = (*scene.map_key(), scene) if scene is not None else None
        nodes = scene.nodes_rect() if scene is not None and scene.node_items else QRectF()
        self._world = nodes.adjusted(-60, -60, 60, 60) if not nodes.isNull() else QRectF()
        self.sync_view()

    def sync_view(self) -> None:
        """The view moved or zoomed: show the overview only if the graph does not fit."""
        if not self.enabled or self._world.isNull():
            self.hide()
            return
        if self.view.visible_scene_rect().contains(self._world.adjusted(60, 60, -60, -60)):
            self.hide()
            return
        self.place()
        self.show()
        self.raise_()
        self.update()

    def _transform(self) -> tuple[float, QPointF]:
        inner = QRectF(6, 6, WIDTH - 12, HEIGHT - 12)
        w = self._world
        scale = min(inner.width() / max(w.width(), 1.0), inner.height() / max(w.height(), 1.0))
        offset = QPointF(
            inner.center().x() - w.center().x() * scale, inner.center().y() - w.center().y() * scale
        )
        return scale, offset

    def _to_map(self, rect: QRectF) -> QRectF:
        scale, off = self._transform()
        return QRectF(
            rect.x() * scale + off.x(),
            rect.y() * scale + off.y(),
            rect.width() * scale,
            rect.height() * scale,
        )

    def node_rects(self, scene: GraphScene) -> list[tuple[QColor, list[QRectF]]]:
        """Every node's box on the map, grouped by the colour it is drawn in, in drawing
        order: category or cost colours first, then warnings, errors and the selection on
        top (boxes overlap on the map of a big graph: what needs the eye is drawn last)."""
        c = scene.colors
        boxes = self._boxes(scene)
        selected = set(scene.selected_node_ids())
        groups: dict[tuple[int, Any], tuple[QColor, list[QRectF]]] = {}
        for nid, item in scene.node_items.items():
            severity = item.status.severity
            if nid in selected:
                key: tuple[int, Any] = (3, None)
                color = c.selection
            elif severity:
                key = (2, None) if severity == "error" else (1, None)
                color = c.severity(severity)
            elif item.heat is not None:
                color = item.heat
                key = (0, color.rgba())
            elif item.heat_text is not None:  # cost overlay on, no cost
                key, color = (0, "muted"), c.muted
            else:
                category = item.spec.category
                key = (0, category)
                if key in groups:
                    groups[key][1].append(boxes[nid])
                    continue
                color = c.category(category)
            group = groups.get(key)
            if group is None:
                groups[key] = (color, [boxes[nid]])
            else:
                group[1].append(boxes[nid])
        return [groups[key] for key in sorted(groups, key=lambda k: k[0])]

    def _boxes(self, scene: GraphScene) -> dict[str, QRectF]:
        """Each node's box in map coordinates (kept while no node moves and the map's
        extent stays: drawing again for a new colour does not place them again)."""
        places = scene.node_places()
        cached = self._places
        if cached is not None and cached[0] is places and cached[1] == self._world:
            return cached[2]
        scale, off = self._transform()
        ox, oy = off.x(), off.y()
        w, h = NODE_W * scale + 0.8, NODE_H * scale + 0.8
        boxes = {}
        for nid, item in scene.node_items.items():
            pos = item.pos()
            boxes[nid] = QRectF(pos.x() * scale + ox, pos.y() * scale + oy, w, h)
        self._places = (places, QRectF(self._world), boxes)
        return boxes

    def _render_layer(self) -> QPixmap:
        scene = self.view.graph_scene()
        ratio = self.devicePixelRatioF()
        layer = QPixmap(round(WIDTH * ratio), round(HEIGHT * ratio))
        layer.setDevicePixelRatio(ratio)
        layer.fill(Qt.GlobalColor.transparent)
        if scene is None:
            return layer
        c = scene.colors
        p = QPainter(layer)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        frame = QColor(c.node_fill)
        frame.setAlpha(235)
        p.setPen(QPen(c.node_border, 1.0))
        p.setBrush(frame)
        p.drawRoundedRect(QRectF(0.5, 0.5, WIDTH - 1, HEIGHT - 1), 6, 6)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(Qt.PenStyle.NoPen)
        for color, rects in self.node_rects(scene):
            p.setBrush(color)
            p.drawRects(rects)  # one call per colour: thousands of nodes in a few ms
        p.end()
        return layer

    def paintEvent(self, event: QPaintEvent) -> None:
        scene = self.view.graph_scene()
        if scene is None:
            return
        if self._layer is None:
            self._layer = self._render_layer()
        c = scene.colors
        p = QPainter(self)
        p.drawPixmap(0, 0, self._layer)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(c.selection, 1.5))
        p.drawRect(
            self._to_map(self.view.visible_scene_rect()).intersected(
                QRectF(1, 1, WIDTH - 2, HEIGHT - 2)
            )
        )
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._navigate(event.position())
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._navigate(event.position())
        event.accept()

    def _navigate(self, point: QPointF) -> None:
        scale, off = self._transform()
        target = QPointF((point.x() - off.x()) / scale, (point.y() - off.y()) / scale)
        self.view.centerOn(target)
        self.update()
