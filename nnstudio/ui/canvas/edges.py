"""Graphics items for connections: an edge between two nodes and the live drag preview."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.core.catalog.spec import LayerSpec
from nnstudio.core.graph.model import Edge
from nnstudio.ui.canvas.geometry import LOD_NAME_ONLY, LOD_SIMPLE, small_font
from nnstudio.ui.canvas.routing import Band, Blocked, curve, route
from nnstudio.ui.theme import CanvasColors


class PortOwner(Protocol):
    """What an edge needs from the nodes at its ends."""

    spec: LayerSpec

    def port_scene_pos(self, side: str, port: str = "out") -> QPointF: ...


class EdgeItem(QGraphicsItem):
    """A connection drawn as a smooth cubic curve from an output port to an input port."""

    def __init__(
        self,
        edge: Edge,
        src: PortOwner,
        dst: PortOwner,
        colors: CanvasColors,
        blocked: Blocked | None = None,
        band: Band | None = None,
    ) -> None:
        super().__init__()
        self.edge = edge
        self._blocked = blocked
        self._band = band
        self.src = src
        self.dst = dst
        self.colors = colors
        self.order: int | None = None  # 1-based position among a merge's inputs
        self.highlighted = False
        self._path = QPainterPath()
        self._shape: QPainterPath | None = None
        self._bounds = QRectF()
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)  # z stays 0: under nodes
        self.update_path(geometry_change=False)  # not in a scene yet: nothing to tell it

    def update_path(self, geometry_change: bool = True) -> None:
        """Recompute the curve from the two nodes' port positions."""
        p1 = self.src.port_scene_pos("out", self.edge.src_port)  # a block has several
        p2 = self.dst.port_scene_pos("in", self.edge.port)
        if geometry_change:
            self.prepareGeometryChange()
        self._path = route(p1, p2, self._blocked, self._band)
        self._bounds = self._path.controlPointRect().adjusted(-8, -8, 8, 8)
        self._shape = None

    def set_colors(self, colors: CanvasColors) -> None:
        """Repaint with another palette."""
        self.colors = colors
        self.update()

    def set_highlighted(self, on: bool) -> None:
        """Emphasise the edge (a layer dragged over it would be inserted here)."""
        if on != self.highlighted:
            self.highlighted = on
            self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(12.0)
            self._shape = stroker.createStroke(self._path)
        return self._shape

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        c = self.colors
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if lod >= LOD_SIMPLE:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self.highlighted:
            pen = QPen(c.selection, 3.5, Qt.PenStyle.DashLine)
        elif self.isSelected():
            pen = QPen(c.selection, 3.0)
        else:
            pen = QPen(c.edge, 1.8)
        if lod < LOD_SIMPLE:
            pen.setCosmetic(True)
            pen.setWidthF(1.0 if not (self.highlighted or self.isSelected()) else 2.5)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        if self.order is not None and lod >= LOD_NAME_ONLY:
            end = self._path.pointAtPercent(0.93)
            painter.setFont(small_font())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(c.node_fill)
            painter.drawEllipse(end, 7.5, 7.5)
            painter.setPen(c.muted)
            painter.drawText(
                QRectF(end.x() - 8, end.y() - 8, 16, 16),
                Qt.AlignmentFlag.AlignCenter,
                str(self.order),
            )


class ConnectionPreview(QGraphicsItem):
    """The live rubber-band edge while dragging from a port."""

    def __init__(self, anchor: QPointF, from_output: bool, colors: CanvasColors) -> None:
        super().__init__()
        self.anchor = anchor
        self.from_output = from_output
        self.colors = colors
        self.allowed: bool | None = None  # None: not over a port
        self._path = QPainterPath()
        self.setZValue(3.0)
        self.move_to(anchor)

    def move_to(self, pos: QPointF) -> None:
        """Follow the cursor."""
        self.prepareGeometryChange()
        self._path = curve(self.anchor, pos) if self.from_output else curve(pos, self.anchor)
        self.update()

    def set_allowed(self, allowed: bool | None) -> None:
        """Colour the preview: green over an accepting port, red over a refusing one."""
        self.allowed = allowed
        self.update()

    def boundingRect(self) -> QRectF:
        return self._path.controlPointRect().adjusted(-6, -6, 6, 6)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        c = self.colors
        color = c.selection if self.allowed is None else (c.ok if self.allowed else c.error)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(color, 2.2, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        painter.setBrush(QBrush(color))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(self._path.pointAtPercent(1.0 if self.from_output else 0.0), 4, 4)
