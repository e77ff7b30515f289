"""The marks a node draws around its body: the error badge on its corner and the pills
under it (the output pill on the left, an indicator such as a run's value on the right)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from nnstudio.core.layout import NODE_H, NODE_W
from nnstudio.ui.theme import CanvasColors


def paint_badge(painter: QPainter, c: CanvasColors, color: QColor, font: QFont) -> None:
    """A round "!" badge on the node's top right corner."""
    center = QPointF(NODE_W - 2, 2)
    painter.setPen(QPen(c.node_fill, 2.0))
    painter.setBrush(color)
    painter.drawEllipse(center, 9.0, 9.0)
    painter.setPen(QColor("#ffffff"))
    painter.setFont(font)
    painter.drawText(
        QRectF(center.x() - 9, center.y() - 9, 18, 18), Qt.AlignmentFlag.AlignCenter, "!"
    )


def paint_pills(
    painter: QPainter,
    c: CanvasColors,
    font: QFont,
    output: str | None,
    indicator: tuple[str, QColor | None] | None,
) -> None:
    """The output pill (``output`` is its text, None for a node that is not an output)
    and the indicator pill (text and colour, muted without one)."""
    fm = QFontMetricsF(font)
    painter.setFont(font)
    top = NODE_H + 5
    if output is not None:
        text = fm.elidedText(output, Qt.TextElideMode.ElideRight, NODE_W - 90)
        w = fm.horizontalAdvance(text) + 14
        _pill(painter, c, QRectF(6, top, w, 18), QColor(c.selection), 40, text)
    if indicator is not None:
        text, color = indicator
        text = fm.elidedText(text, Qt.TextElideMode.ElideRight, 80)
        w = fm.horizontalAdvance(text) + 14
        col = QColor(color) if color is not None else QColor(c.muted)
        _pill(painter, c, QRectF(NODE_W - 6 - w, top, w, 18), col, 50, text)


def _pill(
    painter: QPainter, c: CanvasColors, rect: QRectF, color: QColor, alpha: int, text: str
) -> None:
    fill = QColor(color)
    fill.setAlpha(alpha)
    painter.setPen(QPen(color, 1.0))
    painter.setBrush(fill)
    painter.drawRoundedRect(rect, 9, 9)
    painter.setPen(c.text)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
