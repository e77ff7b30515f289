"""A small picture of a graph (template gallery): boxes by category and curved edges."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap, QTransform

from nnstudio.core.graph.model import Graph
from nnstudio.core.layout import NODE_H, NODE_W
from nnstudio.ui.canvas.routing import route
from nnstudio.ui.theme import CanvasColors


def render_thumbnail(
    graph: Graph, width: int, height: int, colors: CanvasColors, device_pixel_ratio: float = 2.0
) -> QPixmap:
    """Draw ``graph`` (with its stored positions) fitted into ``width`` x ``height``."""
    pixmap = QPixmap(round(width * device_pixel_ratio), round(height * device_pixel_ratio))
    pixmap.setDevicePixelRatio(device_pixel_ratio)
    pixmap.fill(colors.background)
    if not graph.nodes:
        return pixmap
    xs = [n.pos[0] for n in graph.nodes.values()]
    ys = [n.pos[1] for n in graph.nodes.values()]
    world = QRectF(min(xs), min(ys), max(xs) - min(xs) + NODE_W, max(ys) - min(ys) + NODE_H)
    pad = 10.0
    scale = min((width - 2 * pad) / world.width(), (height - 2 * pad) / world.height())
    ox = (width - world.width() * scale) / 2 - world.x() * scale
    oy = (height - world.height() * scale) / 2 - world.y() * scale

    def to_px(x: float, y: float) -> QPointF:
        return QPointF(x * scale + ox, y * scale + oy)

    rects = [QRectF(n.pos[0], n.pos[1], NODE_W, NODE_H) for n in graph.nodes.values()]

    def blocked(x1: float, x2: float, y: float) -> bool:
        lane = QRectF(x1, y - 10.0, max(x2 - x1, 1.0), 20.0)
        return any(r.intersects(lane) for r in rects)

    def band(x1: float, x2: float) -> tuple[float, float]:
        inside = [r for r in rects if r.right() > x1 and r.left() < x2]
        if not inside:
            return 0.0, 0.0
        return min(r.top() for r in inside), max(r.bottom() for r in inside)

    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setPen(QPen(colors.edge, max(1.0, 2.0 * scale)))
    p.setBrush(Qt.BrushStyle.NoBrush)
    to_view = QTransform(scale, 0, 0, scale, ox, oy)
    for e in graph.edges:
        a, b = graph.nodes[e.src].pos, graph.nodes[e.dst].pos
        path = route(
            QPointF(a[0] + NODE_W, a[1] + NODE_H / 2),
            QPointF(b[0], b[1] + NODE_H / 2),
            blocked,
            band,
        )
        p.drawPath(to_view.map(path))
    radius = max(2.0, 8.0 * scale)
    for node in graph.nodes.values():
        top_left = to_px(*node.pos)
        rect = QRectF(top_left.x(), top_left.y(), NODE_W * scale, NODE_H * scale)
        accent = colors.category(node.spec.category)
        fill = QColor(accent)
        fill.setAlpha(70 if not colors.dark else 110)
        p.setPen(QPen(accent, 1.2))
        p.setBrush(colors.node_fill)
        p.drawRoundedRect(rect, radius, radius)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(fill)
        p.drawRoundedRect(rect.adjusted(1, 1, -1, -1), radius, radius)
    p.end()
    return pixmap
