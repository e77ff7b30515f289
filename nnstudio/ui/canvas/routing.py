"""Paths of edges: smooth curves, and lanes that keep long skip connections clear of nodes."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF
from PySide6.QtGui import QPainterPath

from nnstudio.core.layout import NODE_H, NODE_W

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
