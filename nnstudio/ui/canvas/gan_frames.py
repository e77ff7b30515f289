"""Labelled frames behind groups of nodes: the two regions of a GAN ("Generator",
"Discriminator") on the one canvas.

:class:`RegionFrames` belongs to a :class:`~nnstudio.ui.canvas.scene.GraphScene`; the scene
tells it when a node moves or leaves (:meth:`RegionFrames.node_moved`,
:meth:`RegionFrames.on_event`) and who decides the regions calls :meth:`set_regions`
(:mod:`nnstudio.ui.gan.link` does, from the project's GAN roles).  A frame is drawn behind
the nodes and edges, takes no clicks and is not selectable, so editing inside it works as on
the bare canvas.  It is a light tint with a dashed border and its title at the top left,
legible on the light and the dark canvas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.core.graph import model as gm
from nnstudio.core.layout import NODE_H, NODE_W
from nnstudio.ui.theme import CanvasColors

__all__ = ["FRAME_COLORS", "RegionFrame", "RegionFrames", "frame_rect"]

PAD = 26.0  # around the nodes' bodies
TITLE_H = 40.0  # room for the title above the first row of nodes
BELOW = 34.0  # the live indicator and the shape label under a node
FRAME_Z = -10.0  # behind edges (0) and nodes (1)
FRAME_COLORS = {"Generator": "#2a9d8f", "Discriminator": "#8e6cc9"}
OTHER_COLOR = "#5f7a8c"


def frame_rect(positions: Iterable[tuple[float, float]]) -> QRectF:
    """The frame around nodes at ``positions`` (their top-left corners), title row included."""
    rect = QRectF()
    for x, y in positions:
        rect = rect.united(QRectF(x, y, NODE_W, NODE_H))
    if rect.isNull():
        return rect
    return rect.adjusted(-PAD, -PAD - TITLE_H, PAD, PAD + BELOW)


class RegionFrame(QGraphicsItem):
    """One framed region: a tinted rounded rectangle with a title."""

    def __init__(self, title: str, colors: CanvasColors, subtitle: str = "") -> None:
        super().__init__()
        self.title = title
        self.subtitle = subtitle
        self.colors = colors
        self.rect = QRectF()
        self.setZValue(FRAME_Z)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, False)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, False)
        self.setToolTip(title)

    def accent(self) -> QColor:
        """The region's colour (lighter on the dark canvas)."""
        color = QColor(FRAME_COLORS.get(self.title, OTHER_COLOR))
        return color.lighter(135) if self.colors.dark else color

    def set_rect(self, rect: QRectF) -> None:
        """Move and size the frame."""
        if rect != self.rect:
            self.prepareGeometryChange()
            self.rect = QRectF(rect)
            self.update()

    def set_subtitle(self, text: str) -> None:
        """A short line after the title (e.g. the sample shape)."""
        if text != self.subtitle:
            self.subtitle = text
            self.update()

    def set_colors(self, colors: CanvasColors) -> None:
        """Repaint with another palette."""
        self.colors = colors
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt name
        return self.rect.adjusted(-2, -2, 2, 2)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        if self.rect.isNull():
            return
        accent = self.accent()
        fill = QColor(accent)
        fill.setAlpha(40 if self.colors.dark else 24)
        border = QColor(accent)
        border.setAlpha(200)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(border, 1.6, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(self.rect, 14.0, 14.0)
        font = QFont(painter.font())
        font.setPointSizeF(17.0)
        font.setBold(True)
        painter.setFont(font)
        text = QColor(accent) if not self.colors.dark else accent.lighter(115)
        painter.setPen(text)
        base = QPointF(self.rect.left() + 16.0, self.rect.top() + 34.0)
        painter.drawText(base, self.title)
        if self.subtitle:
            width = QFontMetricsF(font).horizontalAdvance(self.title)
            small = QFont(font)
            small.setBold(False)
            small.setPointSizeF(12.0)
            painter.setFont(small)
            painter.setPen(self.colors.muted)
            painter.drawText(QPointF(base.x() + width + 10.0, base.y()), self.subtitle)


class RegionFrames:
    """The frames of one scene, each following its nodes."""

    def __init__(self, scene: Any) -> None:
        self.scene = scene
        self.frames: dict[str, RegionFrame] = {}
        self.members: dict[str, tuple[str, ...]] = {}
        self._region_of: dict[str, str] = {}

    def set_regions(
        self,
        regions: Mapping[str, Iterable[str]] | None,
        subtitles: Mapping[str, str] | None = None,
    ) -> None:
        """Show one frame per ``title -> node ids`` (``None`` or empty: no frames)."""
        regions = {t: tuple(ids) for t, ids in (regions or {}).items() if ids}
        for title in [t for t in self.frames if t not in regions]:
            self.scene.removeItem(self.frames.pop(title))
        self.members = regions
        self._region_of = {nid: t for t, ids in regions.items() for nid in ids}
        for title in regions:
            frame = self.frames.get(title)
            if frame is None:
                frame = self.frames[title] = RegionFrame(title, self.scene.colors)
                self.scene.addItem(frame)
            frame.set_subtitle((subtitles or {}).get(title, ""))
            self._fit(title)

    def region_of(self, node_id: str) -> str | None:
        """The title of the region a node belongs to."""
        return self._region_of.get(node_id)

    def _fit(self, title: str) -> None:
        items = self.scene.node_items
        positions = [
            (items[n].pos().x(), items[n].pos().y()) for n in self.members[title] if n in items
        ]
        self.frames[title].set_rect(frame_rect(positions))
        self.frames[title].setVisible(bool(positions))

    def node_moved(self, node_id: str) -> None:
        """A node's item moved (a drag in progress, or the model moved it)."""
        title = self._region_of.get(node_id)
        if title is not None and title in self.frames:
            self._fit(title)

    def on_event(self, event: str, payload: Any) -> None:
        """A graph event the scene has mirrored: frames of removed or added nodes refit."""
        if not self.frames:
            return
        if event in (gm.NODE_REMOVED, gm.NODE_ADDED):
            title = self._region_of.get(payload.id)
            if title is not None:
                self._fit(title)

    def set_colors(self, colors: CanvasColors) -> None:
        """Repaint every frame with another palette."""
        for frame in self.frames.values():
            frame.set_colors(colors)

    def clear(self) -> None:
        """No frames."""
        self.set_regions(None)
