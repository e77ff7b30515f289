"""Sizes and port positions of nodes, shared by items, hit-testing and interactions.

Positions in the model are the top-left corner of a node; the node's size matches the one
the automatic layout (:mod:`nnstudio.core.layout`) assumes.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QFont, QPainterPath

from nnstudio.core.catalog.spec import LayerSpec
from nnstudio.core.layout import NODE_H, NODE_W

PORT_RADIUS = 5.5
PORT_HIT_RADIUS = 12.0
CORNER = 7.0
# Levels of detail by zoom: full detail above LOD_NAME_ONLY; between LOD_DETAIL and it the
# name (large, wrapped) and the type; below LOD_DETAIL a flat box with its name only; below
# LOD_SIMPLE edges are drawn as hairlines.  Names stay readable down to LOD_DETAIL (40 %).
LOD_NAME_ONLY = 0.6
LOD_DETAIL = 0.4
LOD_SIMPLE = 0.33
LOD_NO_TEXT = 0.12  # below this a node is too small on screen for any text


def small_font() -> QFont:
    """The font of small labels on the canvas (port names, merge order)."""
    font = QFont()
    font.setPixelSize(11)
    return font


def pixel_font(
    pixels: int, weight: QFont.Weight = QFont.Weight.Normal, italic: bool = False
) -> QFont:
    """A font of ``pixels`` pixels."""
    font = QFont()
    font.setPixelSize(pixels)
    font.setWeight(weight)
    font.setItalic(italic)
    return font


def node_paths(header_h: float) -> tuple[QPainterPath, QPainterPath, QPainterPath]:
    """A node's rounded body, its header band and its left stripe (node coordinates)."""
    body = QPainterPath()
    body.addRoundedRect(node_rect(), CORNER, CORNER)
    header = QPainterPath()
    header.addRect(QRectF(0, 0, NODE_W, header_h))
    stripe = QPainterPath()
    stripe.addRect(QRectF(0, 0, 4.0, NODE_H))
    return body, body.intersected(header), body.intersected(stripe)


def node_rect() -> QRectF:
    """A node's rectangle in its own coordinates."""
    return QRectF(0.0, 0.0, NODE_W, NODE_H)


def input_port_pos(spec: LayerSpec, port: str) -> QPointF:
    """Where input ``port`` sits on the node's left edge (node coordinates)."""
    ports = spec.inputs
    index = ports.index(port) if port in ports else 0
    return QPointF(0.0, NODE_H * (index + 1) / (len(ports) + 1))


def output_port_pos() -> QPointF:
    """Where the output port sits on the node's right edge (node coordinates)."""
    return QPointF(NODE_W, NODE_H / 2.0)


def port_at(spec: LayerSpec, local: QPointF) -> tuple[str, str] | None:
    """The port under ``local`` as ``("in", port)`` or ``("out", "out")``, else ``None``."""
    best: tuple[float, tuple[str, str]] | None = None
    candidates: list[tuple[QPointF, tuple[str, str]]] = [
        (input_port_pos(spec, p), ("in", p)) for p in spec.inputs
    ]
    candidates.append((output_port_pos(), ("out", "out")))
    for pos, which in candidates:
        d = pos - local
        dist = (d.x() ** 2 + d.y() ** 2) ** 0.5
        if dist <= PORT_HIT_RADIUS and (best is None or dist < best[0]):
            best = (dist, which)
    return best[1] if best else None
