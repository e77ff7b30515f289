"""Graphics items of the canvas: nodes, edges and the rubber-band connection preview.

Items paint and hit-test; they hold a copy of what they show and never change the model.
The scene (:mod:`.scene`) keeps them in step with the Graph's events.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.core.graph.model import Edge, Node
from nnstudio.core.graph.validation import Issue
from nnstudio.core.layout import NODE_H, NODE_W
from nnstudio.ui.canvas.geometry import (
    CORNER,
    PORT_RADIUS,
    input_port_pos,
    node_rect,
    output_port_pos,
    port_at,
)
from nnstudio.ui.canvas.labels import key_params_text, params_count_text, shape_text
from nnstudio.ui.resources import category_icon
from nnstudio.ui.theme import CanvasColors

HEADER_H = 28.0
LOD_SIMPLE = 0.33  # below this zoom a node is a coloured box
LOD_NAME_ONLY = 0.6  # below this only the name is written
TEXT_SLACK = 4.0  # hinted text at a fractional zoom runs a little wider than its metrics
_LEFT_NO_CLIP = (
    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextDontClip
)


def _static_paths() -> tuple[QPainterPath, QPainterPath, QPainterPath]:
    body = QPainterPath()
    body.addRoundedRect(node_rect(), CORNER, CORNER)
    header = QPainterPath()
    header.addRect(QRectF(0, 0, NODE_W, HEADER_H))
    stripe = QPainterPath()
    stripe.addRect(QRectF(0, 0, 4.0, NODE_H))
    return body, body.intersected(header), body.intersected(stripe)


_BODY, _HEADER, _STRIPE = _static_paths()


def _font(pixels: int, weight: QFont.Weight = QFont.Weight.Normal, italic: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(pixels)
    font.setWeight(weight)
    font.setItalic(italic)
    return font


@dataclass
class NodeStatus:
    """What the last check says about a node."""

    severity: str | None = None  # "error", "warning" or None
    issues: tuple[Issue, ...] = ()
    shape: tuple[int | None, ...] | None = None
    params: int | None = None
    pending: bool = True  # shapes not inferred yet (engine loading)


class NodeItem(QGraphicsItem):
    """One layer: name, type, key parameters, output shape, parameter count and ports."""

    _NAME_FONT = _font(13, QFont.Weight.DemiBold)
    _TYPE_FONT = _font(11)
    _BODY_FONT = _font(12)
    _SMALL_FONT = _font(11)
    _BADGE_FONT = _font(12, QFont.Weight.Bold)

    def __init__(self, node: Node, colors: CanvasColors) -> None:
        super().__init__()
        self.node_id = node.id
        self.spec = node.spec
        self.colors = colors
        self.status = NodeStatus()
        self.connected: set[str] = set()
        self.is_output = False
        self.output_text = ""
        self.indicator: tuple[str, QColor | None] | None = None
        self.hover_port: tuple[str, str] | None = None
        self.candidate: tuple[str, bool] | None = None  # (port, allowed) while connecting
        self._icon = category_icon(self.spec.category).pixmap(32, 32)
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsScenePositionChanges
        )
        self.setAcceptHoverEvents(True)
        self.setZValue(1.0)
        self.sync(node)
        self.setPos(QPointF(*node.pos))

    # -- state ------------------------------------------------------------------------
    def sync(self, node: Node) -> None:
        """Take the node's name and parameters."""
        self.name = node.name
        self.params_line = key_params_text(self.spec, node.params)
        self.refresh_tooltip()
        self.update()

    def set_status(self, status: NodeStatus) -> None:
        """Show a check result."""
        self.status = status
        self.refresh_tooltip()
        self.update()

    def set_output(self, declared: bool, text: str = "") -> None:
        """Mark the node as a model output (``text``: its loss)."""
        self.is_output, self.output_text = declared, text
        self.update()

    def set_indicator(self, text: str | None, color: QColor | None = None) -> None:
        """A small live label under the node (``None`` removes it)."""
        self.indicator = None if text is None else (text, color)
        self.update()

    def set_colors(self, colors: CanvasColors) -> None:
        """Repaint with another palette."""
        self.colors = colors
        self.refresh_tooltip()
        self.update()

    def port_at(self, scene_pos: QPointF) -> tuple[str, str] | None:
        """The port under a scene position, as ``("in", port)`` or ``("out", "out")``."""
        return port_at(self.spec, self.mapFromScene(scene_pos))

    def port_scene_pos(self, side: str, port: str = "out") -> QPointF:
        """Scene position of a port (``side`` is ``"in"`` or ``"out"``)."""
        local = output_port_pos() if side == "out" else input_port_pos(self.spec, port)
        return self.mapToScene(local)

    def refresh_tooltip(self) -> None:
        """Rebuild the hover text: name and type, then each issue with its hint."""
        lines = [f"<b>{html.escape(self.name)}</b> — {html.escape(self.spec.display)}"]
        for issue in self.status.issues:
            color = self.colors.severity(issue.severity).name()
            lines.append(f"<p style='color:{color}'>{html.escape(issue.message)}</p>")
            if issue.hint:
                lines.append(f"<p><i>{html.escape(issue.hint)}</i></p>")
        if not self.status.issues:
            lines.append(f"<p>{html.escape(self.spec.help.split('. ')[0].rstrip('.'))}.</p>")
        self.setToolTip("".join(lines))

    # -- geometry ---------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        left = -48.0 if len(self.spec.inputs) > 1 else -10.0
        return QRectF(left, -12.0, NODE_W - left + 12.0, NODE_H + 36.0)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(node_rect().adjusted(-PORT_RADIUS, 0, PORT_RADIUS, 0), CORNER, CORNER)
        return path

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemScenePositionHasChanged:
            scene = self.scene()
            if scene is not None and hasattr(scene, "node_item_moved"):
                scene.node_item_moved(self)
        return super().itemChange(change, value)

    def hoverMoveEvent(self, event) -> None:
        port = self.port_at(event.scenePos())
        if port != self.hover_port:
            self.hover_port = port
            self.setCursor(Qt.CursorShape.CrossCursor if port else Qt.CursorShape.ArrowCursor)
            self.update()
        super().hoverMoveEvent(event)

    def hoverLeaveEvent(self, event) -> None:
        if self.hover_port is not None:
            self.hover_port = None
            self.unsetCursor()
            self.update()
        super().hoverLeaveEvent(event)

    # -- painting ---------------------------------------------------------------------
    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        c = self.colors
        accent = c.category(self.spec.category)
        selected = self.isSelected()
        severity = self.status.severity
        rect = node_rect()
        if lod < LOD_SIMPLE:
            fill = QColor(accent)
            fill.setAlpha(120 if not c.dark else 150)
            painter.setBrush(fill)
            if selected:
                painter.setPen(QPen(c.selection, 6.0))
            elif severity:
                painter.setPen(QPen(c.severity(severity), 6.0))
            else:
                painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRect(rect)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        # Body and header band.
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(c.node_fill)
        painter.drawPath(_BODY)
        band = QColor(accent)
        band.setAlpha(60 if c.dark else 38)
        painter.setBrush(band)
        painter.drawPath(_HEADER)
        painter.setBrush(accent)
        painter.drawPath(_STRIPE)
        # Outline: selection > error > warning > neutral.
        pen = QPen(c.severity(severity), 2.0) if severity else QPen(c.node_border, 1.0)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(pen)
        painter.drawRoundedRect(rect, CORNER, CORNER)
        if selected:
            painter.setPen(QPen(c.selection, 2.5))
            painter.drawRoundedRect(rect.adjusted(-3, -3, 3, 3), CORNER + 2, CORNER + 2)
        if lod < LOD_NAME_ONLY:
            painter.setPen(c.text)
            font = _font(max(16, min(34, round(12 / max(lod, 0.01)))), QFont.Weight.DemiBold)
            painter.setFont(font)
            fm = QFontMetricsF(font)
            text = fm.elidedText(self.name, Qt.TextElideMode.ElideMiddle, NODE_W - 20)
            painter.drawText(QRectF(10, 0, NODE_W - 20, NODE_H), Qt.AlignmentFlag.AlignCenter, text)
        else:
            self._paint_text(painter, c)
        self._paint_ports(painter, c, accent)
        if severity:
            self._paint_badge(painter, c.severity(severity))
        self._paint_pills(painter, c)

    def _paint_text(self, painter: QPainter, c: CanvasColors) -> None:
        painter.drawPixmap(QRectF(11, 6, 16, 16), self._icon, QRectF(self._icon.rect()))
        right = NODE_W - 12 - (14 if self.status.severity else 0)
        name_fm = QFontMetricsF(self._NAME_FONT)
        type_fm = QFontMetricsF(self._TYPE_FONT)
        avail = right - 32
        name_need = name_fm.horizontalAdvance(self.name) + TEXT_SLACK
        type_need = type_fm.horizontalAdvance(self.spec.display) + TEXT_SLACK
        # The name has priority; the type (also told by the icon and colour) goes first.
        show_type = name_need + 8 + type_need <= avail
        name_w = min(name_need, avail)
        painter.setFont(self._NAME_FONT)
        painter.setPen(c.text)
        painter.drawText(
            QRectF(32, 0, name_w + TEXT_SLACK, HEADER_H),
            _LEFT_NO_CLIP,
            name_fm.elidedText(self.name, Qt.TextElideMode.ElideRight, name_w - TEXT_SLACK),
        )
        if show_type:
            painter.setFont(self._TYPE_FONT)
            painter.setPen(c.muted)
            painter.drawText(
                QRectF(right - type_need, 0, type_need, HEADER_H),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                self.spec.display,
            )
        body_fm = QFontMetricsF(self._BODY_FONT)
        painter.setFont(self._BODY_FONT)
        line = self.params_line or "—"
        painter.drawText(
            QRectF(12, HEADER_H + 3, NODE_W - 20, 20),
            _LEFT_NO_CLIP,
            body_fm.elidedText(line, Qt.TextElideMode.ElideRight, NODE_W - 24 - TEXT_SLACK),
        )
        # Bottom line: output shape (left) and parameter count (right).
        st = self.status
        small_fm = QFontMetricsF(self._SMALL_FONT)
        painter.setFont(self._SMALL_FONT)
        row = QRectF(12, NODE_H - 26, NODE_W - 24, 20)
        if st.shape is not None:
            shape = "→ " + shape_text(st.shape)
            shape_need = small_fm.horizontalAdvance(shape) + TEXT_SLACK
            count = params_count_text(st.params or 0)
            if shape_need + 8 + small_fm.horizontalAdvance(count) > row.width():
                count = count.replace(" params", "")
            count_w = small_fm.horizontalAdvance(count) + TEXT_SLACK
            if shape_need + 8 + count_w <= row.width():
                painter.setPen(c.muted)
                painter.drawText(
                    row, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, count
                )
            else:
                count_w = -8.0
            painter.setPen(c.text)
            shape_w = row.width() - count_w - 8
            painter.drawText(
                QRectF(row.left(), row.top(), shape_w + TEXT_SLACK, row.height()),
                _LEFT_NO_CLIP,
                small_fm.elidedText(shape, Qt.TextElideMode.ElideRight, shape_w - TEXT_SLACK),
            )
        else:
            if st.pending and st.severity != "error":
                text, color = "shape pending…", c.muted
            elif st.severity == "error":
                text, color = "no output shape", c.error
            else:
                text, color = "shape unknown", c.muted
            painter.setPen(color)
            painter.drawText(row, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        # A faint rule between header and body.
        rule = QColor(c.node_border)
        rule.setAlpha(110)
        painter.setPen(QPen(rule, 1.0))
        painter.drawLine(QPointF(4, HEADER_H), QPointF(NODE_W, HEADER_H))

    def _paint_ports(self, painter: QPainter, c: CanvasColors, accent: QColor) -> None:
        spec = self.spec
        open_error = {
            i.port for i in self.status.issues if i.severity == "error" and i.port is not None
        }
        for port in spec.inputs:
            pos = input_port_pos(spec, port)
            connected = port in self.connected
            self._paint_port(
                painter,
                c,
                accent,
                pos,
                ("in", port),
                connected,
                port in open_error,
                wide=spec.variadic,
            )
            if len(spec.inputs) > 1:
                painter.setFont(self._SMALL_FONT)
                painter.setPen(c.muted)
                painter.drawText(
                    QRectF(pos.x() - 48, pos.y() - 17, 40, 14),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    port,
                )
        self._paint_port(
            painter,
            c,
            accent,
            output_port_pos(),
            ("out", "out"),
            "out" in self.connected or self.is_output,
            False,
            wide=False,
        )

    def _paint_port(
        self,
        painter: QPainter,
        c: CanvasColors,
        accent: QColor,
        pos: QPointF,
        which: tuple[str, str],
        filled: bool,
        error: bool,
        wide: bool,
    ) -> None:
        r = PORT_RADIUS + (1.5 if self.hover_port == which else 0.0)
        ring = c.error if error else (accent if filled else c.port_open)
        if self.candidate is not None and which == ("in", self.candidate[0]):
            ring = c.ok if self.candidate[1] else c.error
            r += 2.0
        painter.setPen(QPen(ring, 2.0))
        painter.setBrush(accent if filled else c.node_fill)
        if wide:
            painter.drawRoundedRect(QRectF(pos.x() - r, pos.y() - 2.2 * r, 2 * r, 4.4 * r), r, r)
        else:
            painter.drawEllipse(pos, r, r)

    def _paint_badge(self, painter: QPainter, color: QColor) -> None:
        center = QPointF(NODE_W - 2, 2)
        painter.setPen(QPen(self.colors.node_fill, 2.0))
        painter.setBrush(color)
        painter.drawEllipse(center, 9.0, 9.0)
        painter.setPen(QColor("#ffffff"))
        painter.setFont(self._BADGE_FONT)
        painter.drawText(
            QRectF(center.x() - 9, center.y() - 9, 18, 18), Qt.AlignmentFlag.AlignCenter, "!"
        )

    def _paint_pills(self, painter: QPainter, c: CanvasColors) -> None:
        fm = QFontMetricsF(self._SMALL_FONT)
        painter.setFont(self._SMALL_FONT)
        top = NODE_H + 5
        if self.is_output:
            text = "output" + (f" · {self.output_text}" if self.output_text else "")
            text = fm.elidedText(text, Qt.TextElideMode.ElideRight, NODE_W - 90)
            w = fm.horizontalAdvance(text) + 14
            pill = QRectF(6, top, w, 18)
            fill = QColor(c.selection)
            fill.setAlpha(40)
            painter.setPen(QPen(c.selection, 1.0))
            painter.setBrush(fill)
            painter.drawRoundedRect(pill, 9, 9)
            painter.setPen(c.text)
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        if self.indicator is not None:
            text, color = self.indicator
            text = fm.elidedText(text, Qt.TextElideMode.ElideRight, 80)
            w = fm.horizontalAdvance(text) + 14
            pill = QRectF(NODE_W - 6 - w, top, w, 18)
            col = QColor(color) if color is not None else QColor(c.muted)
            fill = QColor(col)
            fill.setAlpha(50)
            painter.setPen(QPen(col, 1.0))
            painter.setBrush(fill)
            painter.drawRoundedRect(pill, 9, 9)
            painter.setPen(c.text)
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)


class EdgeItem(QGraphicsItem):
    """A connection drawn as a smooth cubic curve from an output port to an input port."""

    def __init__(
        self,
        edge: Edge,
        src: NodeItem,
        dst: NodeItem,
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
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0.0)
        self.update_path()

    def update_path(self) -> None:
        """Recompute the curve from the two nodes' port positions."""
        p1 = self.src.port_scene_pos("out")
        p2 = self.dst.port_scene_pos("in", self.edge.port)
        self.prepareGeometryChange()
        self._path = route(p1, p2, self._blocked, self._band)
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
        return self._path.controlPointRect().adjusted(-8, -8, 8, 8)

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
            painter.setFont(NodeItem._SMALL_FONT)
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


SKIP_SPAN = 1.5 * NODE_W  # an edge longer than this may run behind other nodes: route it
TURN = 70.0  # length of the bends into and out of a routed lane

# ``blocked(x1, x2, y)``: is a horizontal lane at ``y`` between ``x1`` and ``x2`` crossed by a
# node?  ``band(x1, x2)``: the top and bottom of the nodes between ``x1`` and ``x2``.
Blocked = Callable[[float, float, float], bool]
Band = Callable[[float, float], tuple[float, float]]


def route(
    p1: QPointF, p2: QPointF, blocked: Blocked | None = None, band: Band | None = None
) -> QPainterPath:
    """The path of an edge: a smooth curve, or for a long edge a lane clear of other nodes.

    A long edge (a skip connection) keeps to its source's height or its target's if no node
    stands in the way there, and otherwise passes above (or below) the nodes it spans.
    """
    span = p2.x() - p1.x()
    if span <= SKIP_SPAN or blocked is None or band is None:
        return curve(p1, p2)
    x1, x2 = p1.x() + TURN * 0.5, p2.x() - TURN * 0.5
    for lane in (p1.y(), p2.y()):
        if not blocked(x1, x2, lane):
            return lane_path(p1, p2, lane)
    top, bottom = band(x1, x2)
    middle = (p1.y() + p2.y()) / 2
    lane = top - 28.0 if middle - top <= bottom - middle else bottom + 28.0
    return lane_path(p1, p2, lane)


def lane_path(p1: QPointF, p2: QPointF, lane: float) -> QPainterPath:
    """Out of ``p1``, along the horizontal ``lane``, into ``p2``, with smooth bends."""
    path = QPainterPath(p1)
    if abs(lane - p1.y()) > 0.5:
        path.cubicTo(
            QPointF(p1.x() + TURN * 0.6, p1.y()),
            QPointF(p1.x() + TURN * 0.4, lane),
            QPointF(p1.x() + TURN, lane),
        )
    if abs(lane - p2.y()) > 0.5:
        path.lineTo(QPointF(p2.x() - TURN, lane))
        path.cubicTo(QPointF(p2.x() - TURN * 0.4, lane), QPointF(p2.x() - TURN * 0.6, p2.y()), p2)
    else:
        path.lineTo(p2)
    return path


def curve(p1: QPointF, p2: QPointF) -> QPainterPath:
    """A smooth S-curve from ``p1`` (an output port) to ``p2`` (an input port)."""
    span = p2.x() - p1.x()
    path = QPainterPath(p1)
    if span < -20.0:  # backwards: out to the right, across between the rows, in from the left
        dy = p2.y() - p1.y()
        mid = p1.y() + dy / 2 if abs(dy) > NODE_H * 1.5 else max(p1.y(), p2.y()) + NODE_H
        path.cubicTo(
            QPointF(p1.x() + 60.0, p1.y()), QPointF(p1.x() + 60.0, mid), QPointF(p1.x(), mid)
        )
        path.lineTo(QPointF(p2.x(), mid))
        path.cubicTo(QPointF(p2.x() - 60.0, mid), QPointF(p2.x() - 60.0, p2.y()), p2)
        return path
    dx = max(40.0, abs(span) * 0.5)
    path.cubicTo(QPointF(p1.x() + dx, p1.y()), QPointF(p2.x() - dx, p2.y()), p2)
    return path
