"""One cached picture per chart of the overlaid runs, so a pan moves pixels, not 100,000 points.

The overlay items (each bucket's ``PlotDataItem`` curves and band fills) stay ordinary
pyqtgraph items: they hold the data, count for the auto-range, report ``isVisible()`` and
``getData()``.  They are flagged ``ItemHasNoContents``, and :class:`OverlayLayer` paints all
of them, in their stacking order, into one pixmap: the view itself after new data or a
zoom, and once a pan goes past that, the view and one view's width and height beyond it
(clipped to the data).  A repaint at the same scale (a pan) draws that
pixmap shifted by the pan; a zoom, a pan past the margin, a resize or any change of the
items' data, pens or visibility paints the picture again.  Qt's own per-item
``DeviceCoordinateCache`` does not help here: pyqtgraph's view matrix drifts by rounding on
every pan (so Qt re-renders), and 60 item-sized pixmaps cost more to composite than to draw.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QPainter, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

NO_CONTENTS = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents
SCALE_TOLERANCE = 1e-9  # relative: pyqtgraph's view matrix drifts by rounding on a pan
PAD_PX = 4  # around the data: pen widths
SETTLE_MS = 150  # after the last shifted repaint: draw again exactly (a shift rounds to pixels)


class OverlayLayer(pg.GraphicsObject):
    """Paints a chart's overlay items from a cached pixmap (see the module docstring)."""

    def __init__(self, box: pg.ViewBox, z: float = -1.0) -> None:
        super().__init__()
        self._box = box
        self._items: list[QGraphicsItem] = []  # in stacking order
        self._pix: QPixmap | None = None
        self._bounds: QRectF | None = None  # of the visible items, in data coordinates
        self._key: tuple[float, ...] = ()
        self._origin = QPointF()  # device position of the pixmap under the matrix it was drawn
        self._drawn_dx = self._drawn_dy = 0.0
        self.renders = 0  # how often the picture was painted again (tests, benchmark)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.settle)
        self.setZValue(z)
        box.addItem(self, ignoreBounds=True)

    # -- the items ----------------------------------------------------------------------
    def add(self, item: QGraphicsItem) -> None:
        """Paint ``item`` (a ``PlotDataItem`` or a fill) in the layer from now on."""
        self._items.append(item)
        for part in _painted_parts(item):
            part.setFlag(NO_CONTENTS, True)
        for signal in ("sigPlotChanged", "visibleChanged"):
            sig = getattr(item, signal, None)
            if sig is not None:
                sig.connect(self.invalidate)
        if isinstance(item, pg.PlotDataItem):
            # pyqtgraph's dynamic range limit re-derives the curve at every vertical pan (so
            # the picture would be drawn again each time); recorded per-epoch values need
            # no guard against million-fold zooms
            item.setDynamicRangeLimit(None)
            item.curve.sigPlotChanged.connect(self.invalidate)
        self.invalidate()

    def remove(self, item: QGraphicsItem) -> None:
        """Stop painting ``item`` (it is being removed from the chart)."""
        if item in self._items:
            self._items.remove(item)
            self.invalidate()

    def invalidate(self, *_args: Any) -> None:
        """Paint the picture again at the next repaint."""
        self._pix = None
        self._bounds = None
        self.update()

    # -- QGraphicsItem --------------------------------------------------------------------
    def viewRangeChanged(self) -> None:  # noqa: N802 - pyqtgraph's hook
        self.prepareGeometryChange()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt
        return self._box.viewRect()

    def paint(self, p: QPainter, opt: Any, widget: Any = None) -> None:
        if not any(item.isVisible() for item in self._items):
            return
        t = p.worldTransform()
        view = t.mapRect(self._box.viewRect()).toAlignedRect()
        dpr = p.device().devicePixelRatioF() if p.device() is not None else 1.0
        key = (t.m11(), t.m12(), t.m21(), t.m22(), dpr)
        if not self._fits(key, t, view):
            panned = self._pix is not None and self._same_scale(key)  # not new data, no zoom
            self._bounds = None  # pen padding is in pixels: new bounds at a new scale
            self._render(t, view, key, dpr, margin=panned)
        assert self._pix is not None
        at = self._origin + QPointF(t.dx() - self._drawn_dx, t.dy() - self._drawn_dy)
        snapped = QPointF(round(at.x()), round(at.y()))
        if (snapped - at).manhattanLength() > 0.01:  # off by a fraction of a pixel: at rest,
            self._settle.start()  # draw it again where it belongs
        p.save()
        p.resetTransform()
        p.drawPixmap(snapped, self._pix)
        p.restore()

    def settle(self) -> None:
        """Draw the picture again at the current place (a pan ended off the pixel grid)."""
        self._settle.stop()
        self.invalidate()

    # -- the cached picture ---------------------------------------------------------------
    def _same_scale(self, key: tuple[float, ...]) -> bool:
        return len(key) == len(self._key) and all(
            abs(a - b) <= SCALE_TOLERANCE * max(abs(a), abs(b), 1e-300)
            for a, b in zip(key, self._key, strict=True)
        )

    def _fits(self, key: tuple[float, ...], t: QTransform, view: QRect) -> bool:
        if self._pix is None or not self._same_scale(key):
            return False
        dx, dy = t.dx() - self._drawn_dx, t.dy() - self._drawn_dy
        covered = QRectF(self._origin + QPointF(dx, dy), QRectF(self._pix.rect()).size() / key[4])
        wanted = QRectF(view) & self._data_rect(t)
        return wanted.isEmpty() or covered.contains(wanted)

    def _data_rect(self, t: QTransform) -> QRectF:
        """The visible items' data in device pixels, with room for their pens."""
        if self._bounds is None:
            self._bounds = self._item_bounds()
        pad = PAD_PX
        return t.mapRect(self._bounds).adjusted(-pad, -pad, pad, pad)

    def _item_bounds(self) -> QRectF:
        """The visible items' data, in the layer's (the view's data) coordinates."""
        rect = QRectF()
        for item in self._items:
            if item.isVisible():
                for part in _painted_parts(item):
                    if part.isVisible():
                        rect |= part.mapRectToItem(self, part.boundingRect())
        return rect

    def _render(
        self, t: QTransform, view: QRect, key: tuple[float, ...], dpr: float, margin: bool
    ) -> None:
        """Paint the items at ``t``: the view alone after new data or a zoom (an edit or a
        zoom costs what it did before the layer), with ``margin`` the view and its own size
        each way (a pan went past the picture, and goes on)."""
        reach = view
        if margin:
            reach = view.adjusted(-view.width(), -view.height(), view.width(), view.height())
        area = (QRectF(reach) & self._data_rect(t)).toAlignedRect()
        if area.isEmpty():  # nothing in reach: an empty picture
            area = QRect(view.x(), view.y(), 1, 1)
        pix = QPixmap(area.size() * dpr)
        pix.setDevicePixelRatio(dpr)
        pix.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pix)
        base = t * QTransform.fromTranslate(-area.x(), -area.y())
        opt = QStyleOptionGraphicsItem()
        for item in sorted(self._items, key=lambda i: i.zValue()):  # stable: added order
            if not item.isVisible():
                continue
            for part in _painted_parts(item):
                if not part.isVisible():
                    continue
                painter.save()
                painter.setTransform(part.itemTransform(self)[0] * base)
                part.paint(painter, opt, None)
                painter.restore()
        painter.end()
        self._pix, self._key, self._origin = pix, key, QPointF(area.topLeft())
        self._drawn_dx, self._drawn_dy = t.dx(), t.dy()
        self.renders += 1


def _painted_parts(item: QGraphicsItem) -> list[QGraphicsItem]:
    """What paints of an overlay item: a ``PlotDataItem``'s curve, or the item itself."""
    if isinstance(item, pg.PlotDataItem):
        return [item.curve]
    return [item]
