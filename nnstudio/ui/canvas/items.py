"""Graphics items of the canvas: nodes, edges and the rubber-band connection preview.

Items paint and hit-test; they hold a copy of what they show and never change the model.
The scene (:mod:`.scene`) keeps them in step with the Graph's events.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.core.graph.model import Node
from nnstudio.core.graph.validation import Issue
from nnstudio.core.layout import NODE_H, NODE_W
from nnstudio.ui.canvas.edges import ConnectionPreview, EdgeItem
from nnstudio.ui.canvas.geometry import (
    CORNER,
    LOD_DETAIL,
    LOD_NAME_ONLY,
    LOD_NO_TEXT,
    PORT_RADIUS,
    input_port_pos,
    node_paths,
    node_rect,
    output_port_pos,
    pixel_font,
    port_at,
)
from nnstudio.ui.canvas.labels import (
    hover_html,
    key_params_text,
    params_count_text,
    shape_text,
)
from nnstudio.ui.canvas.namefit import FittedName, fit_name
from nnstudio.ui.canvas.node_marks import paint_badge, paint_pills
from nnstudio.ui.canvas.routing import route
from nnstudio.ui.resources import category_pixmap
from nnstudio.ui.theme import CanvasColors

HEADER_H = 28.0
TEXT_SLACK = 4.0  # hinted text at a fractional zoom runs a little wider than its metrics
_LEFT_NO_CLIP = (
    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextDontClip
)


_BODY, _HEADER, _STRIPE = node_paths(HEADER_H)
_NODE_FLAGS = (
    QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
    | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
    | QGraphicsItem.GraphicsItemFlag.ItemSendsScenePositionChanges
)


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

    _NAME_FONT = pixel_font(13, QFont.Weight.DemiBold)
    _TYPE_FONT = pixel_font(11)
    _BODY_FONT = pixel_font(12)
    _SMALL_FONT = pixel_font(11)
    _BADGE_FONT = pixel_font(12, QFont.Weight.Bold)

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
        self.heat: QColor | None = None  # the cost overlay's colour (None: none)
        self.heat_text: str | None = None  # the cost overlay's value (None: overlay off)
        self.hover_port: tuple[str, str] | None = None
        self.candidate: tuple[str, bool] | None = None  # (port, allowed) while connecting
        self._tooltip: str | None = None  # the hover text, built when first asked for
        self._icon = category_pixmap(self.spec.category, 32)
        left = -48.0 if len(self.spec.inputs) > 1 else -10.0
        self._bounds = QRectF(left, -12.0, NODE_W - left + 12.0, NODE_H + 36.0)
        self.setFlags(_NODE_FLAGS)
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
        issues_changed = status.issues != self.status.issues
        self.status = status
        if issues_changed:  # the hover text shows the issues only (thousands change shape)
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

    def set_heat(self, color: QColor | None, text: str | None) -> None:
        """The cost overlay: a halo of ``color`` and ``text`` in place of the parameter
        count (``None, None``: overlay off)."""
        if (color, text) != (self.heat, self.heat_text):
            self.heat, self.heat_text = color, text
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
        """The hover text changed: it is built again when next asked for (on hover; a
        graph of thousands of nodes does not build thousands of texts it never shows)."""
        self._tooltip = None
        if self.isUnderMouse():  # shown now, or about to be
            QGraphicsItem.setToolTip(self, self.toolTip())

    def toolTip(self) -> str:  # noqa: N802  (Qt's name)
        """The hover text: name and type, then each issue with its hint."""
        if self._tooltip is None:
            self._tooltip = self.tooltip_text()
        return self._tooltip

    def tooltip_text(self) -> str:
        """Build the hover text (see :meth:`toolTip`)."""
        return hover_html(
            self.name, self.spec, self.status.issues, lambda s: self.colors.severity(s).name()
        )

    # -- geometry ---------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(node_rect().adjusted(-PORT_RADIUS, 0, PORT_RADIUS, 0), CORNER, CORNER)
        return path

    def follow_moves(self) -> None:
        """Tell the scene whenever the item moves (``node_item_moved``), from now on: the
        scene calls this once it has added the item.

        Not a method of the class: Qt would call it a dozen times while each item is
        built and added, a fifth of the build of a 5,000-node scene.  PySide dispatches a
        virtual to a callable set on the instance; this one holds the item weakly.
        """
        ref = weakref.ref(self)

        def item_change(change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
            item = ref()
            if item is None:
                return value
            if change == QGraphicsItem.GraphicsItemChange.ItemScenePositionHasChanged:
                scene = item.scene()
                if scene is not None and hasattr(scene, "node_item_moved"):
                    scene.node_item_moved(item)
            return QGraphicsItem.itemChange(item, change, value)

        self.itemChange = item_change  # type: ignore[method-assign]

    def prepare_tooltip(self) -> None:
        """Set the hover text on the item, where Qt looks for it (on hover, or on a tooltip
        event over an item the mouse never entered)."""
        if QGraphicsItem.toolTip(self) != self.toolTip():
            QGraphicsItem.setToolTip(self, self.toolTip())

    def hoverEnterEvent(self, event) -> None:
        self.prepare_tooltip()
        super().hoverEnterEvent(event)

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
        if lod < LOD_DETAIL:
            self._paint_flat(painter, lod)
            return
        c = self.colors
        accent = c.category(self.spec.category)
        severity = self.status.severity
        rect = node_rect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        if self.heat is not None:  # the cost overlay's halo, under the body
            painter.setBrush(self.heat)
            painter.drawRoundedRect(rect.adjusted(-6, -6, 6, 6), CORNER + 5, CORNER + 5)
        # Body and header band.
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
        if self.isSelected():
            painter.setPen(QPen(c.selection, 2.5))
            painter.drawRoundedRect(rect.adjusted(-3, -3, 3, 3), CORNER + 2, CORNER + 2)
        if lod < LOD_NAME_ONLY:
            self._paint_name_and_type(painter, lod)
        else:
            self._paint_text(painter, c)
        self._paint_ports(painter, c, accent, port_names=lod >= LOD_NAME_ONLY)
        if severity:
            self._paint_badge(painter, c.severity(severity))
        output = None
        if self.is_output:
            output = "output" + (f" · {self.output_text}" if self.output_text else "")
        paint_pills(painter, c, self._SMALL_FONT, output, self.indicator)

    def _paint_badge(self, painter: QPainter, color: QColor) -> None:
        paint_badge(painter, self.colors, color, self._BADGE_FONT)

    def name_layout(self, lod: float) -> FittedName:
        """How the name is written at zoom ``lod`` below full detail (font, lines)."""
        if lod < LOD_DETAIL:
            return fit_name(self.name, NODE_W - 8, NODE_H - 6, lod, screen_px=11.0)
        return fit_name(self.name, NODE_W - 20, NODE_H - 34, lod, screen_px=13.0)

    def _paint_flat(self, painter: QPainter, lod: float) -> None:
        """Below 40 %: a coloured box with the name, as large as it fits, nothing else."""
        c = self.colors
        heat = self.heat is not None
        fill = QColor(self.heat if heat else c.category(self.spec.category))
        fill.setAlpha(230 if heat else 120 if not c.dark else 150)
        if self.heat_text is not None and not heat:  # overlay on, no cost: neutral
            fill = QColor(c.muted)
            fill.setAlpha(70)
        painter.setBrush(fill)
        if self.isSelected():
            painter.setPen(QPen(c.selection, 6.0))
        elif self.status.severity:
            painter.setPen(QPen(c.severity(self.status.severity), 6.0))
        else:
            painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRect(node_rect())
        if lod < LOD_NO_TEXT:
            return
        painter.setPen(c.text)
        self._draw_lines(painter, self.name_layout(lod), QRectF(4, 0, NODE_W - 8, NODE_H))

    def _paint_name_and_type(self, painter: QPainter, lod: float) -> None:
        """40-60 %: the name in a large font (wrapped, never cut) and the type under it."""
        c = self.colors
        painter.setPen(c.text)
        type_font = pixel_font(max(1, round(10 / lod)))
        type_fm = QFontMetricsF(type_font)
        kind = self.heat_text or self.spec.display  # the cost overlay's value replaces the type
        show_type = type_fm.horizontalAdvance(kind) <= NODE_W - 20
        name_box = QRectF(10, 2, NODE_W - 20, NODE_H - (type_fm.height() + 6 if show_type else 4))
        self._draw_lines(painter, self.name_layout(lod), name_box)
        if show_type:
            painter.setFont(type_font)
            painter.setPen(c.muted)
            painter.drawText(
                QRectF(10, name_box.bottom(), NODE_W - 20, type_fm.height() + 2),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                kind,
            )

    @staticmethod
    def _draw_lines(painter: QPainter, fitted: FittedName, box: QRectF) -> None:
        painter.setFont(fitted.font)
        fm = QFontMetricsF(fitted.font)
        total = fm.lineSpacing() * len(fitted.lines)
        top = box.center().y() - total / 2
        for i, line in enumerate(fitted.lines):
            row = QRectF(box.left() - 20, top + i * fm.lineSpacing(), box.width() + 40, fm.height())
            painter.drawText(row, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextDontClip, line)

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
            count = self.heat_text or params_count_text(st.params or 0)
            if shape_need + 8 + small_fm.horizontalAdvance(count) > row.width():
                count = count.replace(" params", "").replace(" MACs", "")
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

    def _paint_ports(
        self, painter: QPainter, c: CanvasColors, accent: QColor, port_names: bool = True
    ) -> None:
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
            if port_names and len(spec.inputs) > 1:
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


__all__ = [
    "ConnectionPreview",
    "EdgeItem",
    "NodeItem",
    "NodeStatus",
    "route",
]
