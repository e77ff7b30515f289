"""The canvas item of a block use: collapsed, one node drawn as a stack of cards (with a
"×N" badge when repeated and a chevron that expands it); expanded, a labelled frame with the
block's layers drawn in place, its input ports on the frame's left edge and its outputs on
the right.

The item paints and hit-tests only; what expanding does to the layout around it is
:mod:`nnstudio.ui.blocks`'s.  :func:`make_node_item` is the scene's factory: a block use
gets a :class:`BlockNodeItem`, any other node a plain :class:`NodeItem`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from nnstudio.core.graph.model import Graph, Node
from nnstudio.core.layout import NODE_H, NODE_W, layered_layout
from nnstudio.ui.canvas.geometry import (
    CORNER,
    LOD_DETAIL,
    LOD_NAME_ONLY,
    PORT_HIT_RADIUS,
    node_rect,
)
from nnstudio.ui.canvas.items import HEADER_H, NodeItem, NodeStatus
from nnstudio.ui.canvas.labels import params_count_text, shape_text
from nnstudio.ui.canvas.namefit import fit_name
from nnstudio.ui.theme import CanvasColors

BLOCK_KEY = "Block"
STACK_STEP = 5.0  # offset of each card behind a collapsed block
FRAME_PAD = 28.0
FRAME_HEADER = 44.0
CHEVRON = 18.0


def is_block(node: Node) -> bool:
    """True for a block use."""
    return node.key == BLOCK_KEY


def make_node_item(node: Node, colors: CanvasColors, graph: Graph) -> NodeItem:
    """The scene's item for ``node``: a :class:`BlockNodeItem` for a block use."""
    if is_block(node):
        return BlockNodeItem(node, colors, graph)
    return NodeItem(node, colors)


def definition_of(graph: Graph, node: Node) -> Any:
    """The block definition a use refers to (``None`` if it is missing)."""
    blocks = getattr(graph, "blocks", {}) or {}
    return blocks.get(str(node.params.get("definition", "")))


def _font(pixels: int, weight: QFont.Weight = QFont.Weight.Normal) -> QFont:
    font = QFont()
    font.setPixelSize(pixels)
    font.setWeight(weight)
    return font


def inner_layout(definition: Any) -> dict[str, tuple[float, float]]:
    """Positions of a definition's layers (its Input ports left out), from (0, 0): the
    automatic layered layout, compact whatever the positions on the block's own canvas."""
    graph: Graph = definition.graph
    shown = [n for n in graph.nodes.values() if n.key != "Input"]
    if not shown:
        return {}
    laid = layered_layout(graph, layer_gap=50.0, node_gap=24.0)
    positions = {n.id: laid[n.id] for n in shown}
    x0 = min(p[0] for p in positions.values())
    y0 = min(p[1] for p in positions.values())
    return {nid: (p[0] - x0, p[1] - y0) for nid, p in positions.items()}


class BlockNodeItem(NodeItem):
    """A block use; ``expanded`` switches between the card stack and the frame."""

    _FRAME_FONT = _font(13, QFont.Weight.DemiBold)
    _INNER_NAME = _font(12, QFont.Weight.DemiBold)
    _INNER_SMALL = _font(11)

    def __init__(self, node: Node, colors: CanvasColors, graph: Graph) -> None:
        self.graph = graph
        self.expanded = False
        self.repeat = 1
        self.definition_name = ""
        self.layer_count = 0
        self.inner_status: dict[str, NodeStatus] = {}
        self.outputs: list[str] = []
        self._inner: dict[str, tuple[float, float]] = {}
        self._frame = QRectF(node_rect())
        self._lod = 1.0
        self.last_press: QPointF | None = None  # where the latest click landed (item coords)
        super().__init__(node, colors)
        self.setZValue(0.5)

    # -- state ------------------------------------------------------------------------
    def sync(self, node: Node) -> None:
        """Take the use's name, definition and repeat count."""
        self.name = node.name
        self.definition_name = str(node.params.get("definition", ""))
        repeat = node.params.get("repeat", 1)
        self.repeat = repeat if isinstance(repeat, int) and repeat > 0 else 1
        definition = definition_of(self.graph, node)
        inner = [] if definition is None else list(definition.graph.nodes.values())
        self.layer_count = sum(1 for n in inner if n.key != "Input")
        layers = f"{self.layer_count} layer{'s' if self.layer_count != 1 else ''}"
        self.params_line = f"{layers} × {self.repeat}" if self.repeat > 1 else layers
        self.spec = node.spec
        self.outputs = definition.output_ports() if definition is not None else []
        self._inner = inner_layout(definition) if definition is not None else {}
        self._relayout()
        self.refresh_tooltip()
        self.update()

    def set_expanded(self, on: bool) -> None:
        """Show the block's layers in a frame (``True``) or as one node."""
        if on != self.expanded:
            self.prepareGeometryChange()
            self.expanded = on
            self._relayout()
            self.update()

    def set_inner_status(self, statuses: dict[str, NodeStatus]) -> None:
        """What the last check says about the layers inside (shown when expanded)."""
        self.inner_status = dict(statuses)
        if self.expanded:
            self.update()

    def _relayout(self) -> None:
        if not self.expanded or not self._inner:
            self._frame = QRectF(node_rect())
            return
        width = max(p[0] for p in self._inner.values()) + NODE_W + 2 * FRAME_PAD
        height = max(p[1] for p in self._inner.values()) + NODE_H + 2 * FRAME_PAD
        self._frame = QRectF(0, 0, max(width, NODE_W * 1.5), height + FRAME_HEADER)

    def frame_size(self) -> tuple[float, float]:
        """The size the item takes on the canvas now (a node's, or the frame's)."""
        return self._frame.width(), self._frame.height()

    def expanded_size(self) -> tuple[float, float]:
        """The frame's size if the block were expanded."""
        was = self.expanded
        self.expanded = True
        self._relayout()
        size = self.frame_size()
        self.expanded = was
        self._relayout()
        return size

    def inner_rect(self, inner_id: str) -> QRectF | None:
        """Where an inner layer is drawn (item coordinates; expanded only)."""
        pos = self._inner.get(inner_id)
        if pos is None or not self.expanded:
            return None
        return QRectF(FRAME_PAD + pos[0], FRAME_HEADER + FRAME_PAD + pos[1], NODE_W, NODE_H)

    def chevron_rect(self) -> QRectF:
        """The expand/collapse toggle (item coordinates)."""
        if self.expanded:
            return QRectF(8, (FRAME_HEADER - CHEVRON) / 2, CHEVRON, CHEVRON)
        return QRectF(NODE_W - CHEVRON - 8, HEADER_H + 6, CHEVRON, CHEVRON)

    # -- geometry ---------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        if self.expanded:
            return self._frame.adjusted(-12, -12, 12, 12)
        rect = super().boundingRect()
        return rect.adjusted(0, 0, 2 * STACK_STEP, 2 * STACK_STEP)

    def shape(self) -> QPainterPath:
        if not self.expanded:
            return super().shape()
        path = QPainterPath()
        path.addRoundedRect(self._frame.adjusted(-6, 0, 6, 0), CORNER, CORNER)
        return path

    def _in_pos(self, port: str) -> QPointF:
        ports = list(self.spec.inputs)
        index = ports.index(port) if port in ports else 0
        height = self._frame.height() if self.expanded else NODE_H
        return QPointF(0.0, height * (index + 1) / (len(ports) + 1))

    def _out_pos(self, port: str = "out") -> QPointF:
        """Output ``port``'s place on the right edge (one per output of the definition)."""
        ports = self.outputs or ["out"]
        index = ports.index(port) if port in ports else 0
        height = self._frame.height() if self.expanded else NODE_H
        return QPointF(self._frame.width(), height * (index + 1) / (len(ports) + 1))

    def out_port_name(self, port: str) -> str:
        """The edge's source port as this use names it (``out``: its first output)."""
        return port if port in self.outputs else (self.outputs[0] if self.outputs else "out")

    def port_at(self, scene_pos: QPointF) -> tuple[str, str] | None:
        if not self.expanded and len(self.outputs) <= 1:
            return super().port_at(scene_pos)
        local = self.mapFromScene(scene_pos)
        candidates = [(self._in_pos(p), ("in", p)) for p in self.spec.inputs]
        candidates += [(self._out_pos(p), ("out", p)) for p in self.outputs or ["out"]]
        for pos, which in candidates:
            d = pos - local
            if (d.x() ** 2 + d.y() ** 2) ** 0.5 <= PORT_HIT_RADIUS:
                return which
        return None

    def port_scene_pos(self, side: str, port: str = "out") -> QPointF:
        if not self.expanded and (side != "out" or len(self.outputs) <= 1):
            return super().port_scene_pos(side, port)
        return self.mapToScene(self._out_pos(port) if side == "out" else self._in_pos(port))

    def tooltip_text(self) -> str:
        extra = f"<p>Block “{self.definition_name}” · {self.params_line}"
        extra += "<br><i>Double-click or the chevron: expand · Enter: open</i>"
        extra += "<br><i>Expanded: double-click a layer to open the block at it</i></p>"
        return super().tooltip_text() + extra

    def inner_at(self, local: QPointF) -> str | None:
        """The inner layer drawn at ``local`` (item coordinates; expanded only)."""
        for nid in self._inner:
            rect = self.inner_rect(nid)
            if rect is not None and rect.contains(local):
                return nid
        return None

    def mousePressEvent(self, event: Any) -> None:
        self.last_press = QPointF(event.pos())
        toggle: Callable[[str], None] | None = getattr(self.scene(), "block_toggle", None)
        if (
            event.button() == Qt.MouseButton.LeftButton
            and toggle is not None
            and self.chevron_rect().adjusted(-4, -4, 4, 4).contains(event.pos())
        ):
            event.accept()
            toggle(self.node_id)
            return
        super().mousePressEvent(event)

    # -- painting ---------------------------------------------------------------------
    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if self.expanded:
            self._paint_frame(painter, option)
            return
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        c = self.colors
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        accent = c.category(self.spec.category)
        for k in (2, 1):  # the cards behind: a block is several layers
            card = node_rect().translated(k * STACK_STEP, k * STACK_STEP)
            fill = QColor(c.node_fill).darker(104 + 6 * k)
            painter.setBrush(fill)
            painter.setPen(QPen(accent if k == 1 else c.node_border, 1.2))
            painter.drawRoundedRect(card, CORNER, CORNER)
        super().paint(painter, option, widget)
        if lod < LOD_DETAIL:
            return
        if len(self.outputs) > 1:
            self._paint_out_ports(painter, accent, cover=True)
        self._paint_chevron(painter, expanded=False)
        if self.repeat > 1:
            self._paint_repeat_badge(painter, QPointF(NODE_W - 4, NODE_H - 2))

    def _paint_chevron(self, painter: QPainter, expanded: bool) -> None:
        rect = self.chevron_rect()
        c = self.colors
        painter.setPen(QPen(c.node_border, 1.0))
        painter.setBrush(c.node_fill)
        painter.drawRoundedRect(rect, 4, 4)
        painter.setPen(QPen(c.text, 1.8))
        mid = rect.center()
        if expanded:  # pointing down: click to collapse
            pts = [QPointF(mid.x() - 4, mid.y() - 2), mid + QPointF(0, 3), mid + QPointF(4, -2)]
        else:  # pointing right: click to expand
            pts = [QPointF(mid.x() - 2, mid.y() - 4), mid + QPointF(3, 0), mid + QPointF(-2, 4)]
        painter.drawPolyline(pts)

    def _paint_repeat_badge(self, painter: QPainter, anchor: QPointF) -> None:
        text = f"×{self.repeat}"
        fm = QFontMetricsF(self._BADGE_FONT)
        w = fm.horizontalAdvance(text) + 12
        rect = QRectF(anchor.x() - w / 2, anchor.y() - 10, w, 20)
        painter.setPen(QPen(self.colors.node_fill, 2.0))
        painter.setBrush(self.colors.category(self.spec.category).darker(130))
        painter.drawRoundedRect(rect, 10, 10)
        painter.setPen(QColor("#ffffff"))
        painter.setFont(self._BADGE_FONT)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_frame(self, painter: QPainter, option: QStyleOptionGraphicsItem) -> None:
        self._lod = option.levelOfDetailFromTransform(painter.worldTransform())
        c = self.colors
        frame = self._frame
        accent = c.category(self.spec.category)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        fill = QColor(accent)
        fill.setAlpha(26 if not c.dark else 40)
        severity = self.status.severity
        pen = (
            QPen(c.severity(severity), 2.0) if severity else QPen(accent, 1.5, Qt.PenStyle.DashLine)
        )
        if self.isSelected():
            pen = QPen(c.selection, 2.5)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(frame, CORNER + 3, CORNER + 3)
        band = QColor(accent)
        band.setAlpha(60 if c.dark else 40)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(band)
        painter.drawRoundedRect(QRectF(1, 1, frame.width() - 2, FRAME_HEADER), CORNER, CORNER)
        self._paint_chevron(painter, expanded=True)
        frame_font = _font(min(34, max(13, round(11 / max(self._lod, 0.05)))))
        frame_font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(frame_font)
        painter.setPen(c.text)
        label = f"{self.name}  ·  block {self.definition_name}  ·  {self.params_line}"
        fm = QFontMetricsF(frame_font)
        avail = frame.width() - 46 - (70 if self.repeat > 1 else 0)
        label_w = min(fm.horizontalAdvance(label) + 4, avail)
        painter.drawText(
            QRectF(34, 0, label_w, FRAME_HEADER),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(label, Qt.TextElideMode.ElideRight, label_w),
        )
        st = self.status
        summary = "→ " + shape_text(st.shape) if st.shape is not None else ""
        if st.params is not None:
            summary += ("  " if summary else "") + (self.heat_text or params_count_text(st.params))
        small = _font(min(26, max(11, round(9 / max(self._lod, 0.05)))))
        room = avail - label_w - 16
        if summary and QFontMetricsF(small).horizontalAdvance(summary) <= room:
            painter.setFont(small)
            painter.setPen(c.muted)
            painter.drawText(
                QRectF(34 + label_w + 16, 0, room, FRAME_HEADER),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                summary,
            )
        if self.repeat > 1:
            self._paint_repeat_badge(painter, QPointF(frame.width() - 36, FRAME_HEADER / 2))
        self._paint_inner(painter)
        self._paint_frame_ports(painter, accent)
        if severity:
            self._paint_badge(painter, c.severity(severity))

    def _paint_inner(self, painter: QPainter) -> None:
        """The definition's layers and the connections among them (and from the ports)."""
        definition = definition_of(self.graph, self.graph.nodes.get(self.node_id) or _NONE)
        if definition is None:
            return
        inner: Graph = definition.graph
        c = self.colors
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(c.edge, 1.6))
        for e in inner.edges:
            dst = self.inner_rect(e.dst)
            if dst is None:
                continue
            src = self.inner_rect(e.src)
            if src is not None:
                a = QPointF(src.right(), src.center().y())
            else:  # from one of the block's input ports
                a = self._in_pos(e.src) + QPointF(6, 0)
            b = QPointF(dst.left(), dst.center().y())
            path = QPainterPath(a)
            dx = max(abs(b.x() - a.x()) / 2, 20.0)
            path.cubicTo(a + QPointF(dx, 0), b - QPointF(dx, 0), b)
            painter.drawPath(path)
        for out in inner.outputs:
            src = self.inner_rect(out.node)
            if src is not None:
                a = QPointF(src.right(), src.center().y())
                b = self._out_pos() - QPointF(6, 0)
                path = QPainterPath(a)
                dx = max(abs(b.x() - a.x()) / 2, 20.0)
                path.cubicTo(a + QPointF(dx, 0), b - QPointF(dx, 0), b)
                painter.setPen(QPen(c.edge, 1.6, Qt.PenStyle.DashLine))
                painter.drawPath(path)
        for nid in self._inner:
            node = inner.nodes.get(nid)
            rect = self.inner_rect(nid)
            if node is not None and rect is not None:
                self._paint_inner_node(painter, node, rect)

    def _paint_inner_node(self, painter: QPainter, node: Node, rect: QRectF) -> None:
        c = self.colors
        try:
            accent = c.category(node.spec.category)
            kind = node.spec.display
        except KeyError:
            accent, kind = c.muted, node.key
        status = self.inner_status.get(node.id)
        severity = status.severity if status else None
        if is_block(node):  # a nested block: the card stack here too
            painter.setPen(QPen(c.node_border, 1.0))
            painter.setBrush(QColor(c.node_fill).darker(112))
            for k in (2, 1):
                painter.drawRoundedRect(rect.translated(k * 4, k * 4), CORNER, CORNER)
        painter.setPen(QPen(c.severity(severity), 2.0) if severity else QPen(c.node_border, 1.0))
        if self._lod < LOD_NAME_ONLY:  # zoomed out: a coloured box with the name, large
            fill = QColor(accent)
            fill.setAlpha(120 if not c.dark else 150)
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, CORNER, CORNER)
            fitted = fit_name(node.name, NODE_W - 12, NODE_H - 8, self._lod, screen_px=11.0)
            painter.setPen(c.text)
            NodeItem._draw_lines(painter, fitted, rect.adjusted(6, 0, -6, 0))
            return
        painter.setBrush(c.node_fill)
        painter.drawRoundedRect(rect, CORNER, CORNER)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(accent)
        painter.drawRect(QRectF(rect.left(), rect.top() + 3, 4, rect.height() - 6))
        fm = QFontMetricsF(self._INNER_NAME)
        painter.setFont(self._INNER_NAME)
        painter.setPen(c.text)
        text_rect = QRectF(rect.left() + 12, rect.top() + 4, rect.width() - 20, 22)
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(node.name, Qt.TextElideMode.ElideRight, text_rect.width()),
        )
        painter.setFont(self._INNER_SMALL)
        painter.setPen(c.muted)
        painter.drawText(
            QRectF(rect.left() + 12, rect.top() + 28, rect.width() - 20, 20),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            kind,
        )
        if status is not None and status.shape is not None:
            painter.setPen(c.text)
            painter.drawText(
                QRectF(rect.left() + 12, rect.bottom() - 26, rect.width() - 20, 20),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                "→ " + shape_text(status.shape),
            )
        if severity:
            painter.setPen(QPen(c.node_fill, 2.0))
            painter.setBrush(c.severity(severity))
            painter.drawEllipse(QPointF(rect.right() - 2, rect.top() + 2), 8.0, 8.0)

    def _paint_frame_ports(self, painter: QPainter, accent: QColor) -> None:
        c = self.colors
        painter.setFont(self._INNER_SMALL)
        definition = definition_of(self.graph, self.graph.nodes.get(self.node_id) or _NONE)
        for port in self.spec.inputs:
            pos = self._in_pos(port)
            filled = port in self.connected
            painter.setPen(QPen(accent if filled else c.port_open, 2.0))
            painter.setBrush(accent if filled else c.node_fill)
            painter.drawEllipse(pos, 5.5, 5.5)
            label = definition.port_label(port) if definition is not None else port
            painter.setPen(c.muted)
            painter.drawText(
                QRectF(pos.x() + 10, pos.y() - 18, 120, 14),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                label,
            )
        self._paint_out_ports(painter, accent)

    def _paint_out_ports(self, painter: QPainter, accent: QColor, cover: bool = False) -> None:
        """One port per output (``cover``: paint over the single port of a plain node)."""
        c = self.colors
        if cover:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(c.node_fill)
            painter.drawEllipse(QPointF(NODE_W, NODE_H / 2), 8.0, 8.0)
            painter.setPen(QPen(c.node_border, 1.0))
            painter.drawLine(QPointF(NODE_W, NODE_H / 2 - 8), QPointF(NODE_W, NODE_H / 2 + 8))
        definition = definition_of(self.graph, self.graph.nodes.get(self.node_id) or _NONE)
        painter.setFont(self._INNER_SMALL)
        for port in self.outputs or ["out"]:
            pos = self._out_pos(port)
            filled = "out" in self.connected or self.is_output
            painter.setPen(QPen(accent if filled else c.port_open, 2.0))
            painter.setBrush(accent if filled else c.node_fill)
            painter.drawEllipse(pos, 5.5, 5.5)
            if len(self.outputs) > 1 and definition is not None:
                painter.setPen(c.muted)
                painter.drawText(
                    QRectF(pos.x() + 8, pos.y() - 16, 90, 14),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    definition.port_label(port),
                )


_NONE = Node("", "", "", {})
