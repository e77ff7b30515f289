"""A chart's grid drawn as a few plain lines, not as part of its axes' pictures.

pyqtgraph draws a grid as the axes' tick lines stretched across the view, so an axis with a
grid covers the whole chart: every pan re-records and re-rasterises a view-sized picture
per axis (about 8 ms of a 16 ms frame with three charts).  :class:`AxisGrid` keeps the axes
small (no grid, no tick marks) and draws the same lines itself, straight onto the view: the
axes' own tick values, the same pen and the same fading per tick level, on top of the curves
as before (the axes sat above the view).
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QColor, QPainter, QPen

GRID_Z = 1e6  # above the curves, as pyqtgraph's axis grid is
SIZE_SLACK = 3.0  # pixels: the grid measures the axis length as the axis does, to a pixel


class AxisGrid(pg.GraphicsObject):
    """The grid lines of ``plot``'s bottom and left axes, ``alpha`` as in ``showGrid``."""

    def __init__(self, plot: pg.PlotItem, alpha: float = 0.2) -> None:
        super().__init__()
        self._plot = plot
        self._box = plot.getViewBox()
        self.alpha = int(alpha * 255)
        for name in ("bottom", "left"):
            axis = plot.getAxis(name)
            _share_ticks(axis)
            axis.setGrid(False)
            axis.setStyle(tickLength=0, tickAlpha=0)  # the grid line stands for the tick mark
            if axis.style["hideOverlappingLabels"] is False:  # a gridded axis keeps its labels
                axis.setStyle(hideOverlappingLabels=0)  # within the chart's height
        self.setZValue(GRID_Z)
        self._box.addItem(self, ignoreBounds=True)

    def viewRangeChanged(self) -> None:  # noqa: N802 - pyqtgraph's hook
        self.prepareGeometryChange()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt
        return self._box.viewRect()

    def paint(self, p: QPainter, opt: Any, widget: Any = None) -> None:
        view = self._box.viewRect()
        t = p.worldTransform()
        device = t.mapRect(view)
        p.save()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for name, vertical in (("bottom", True), ("left", False)):
            axis = self._plot.getAxis(name)
            if not axis.isVisible():
                continue
            lo, hi = (view.left(), view.right()) if vertical else (view.top(), view.bottom())
            length = (device.width() if vertical else device.height()) + 2  # as the axis's span
            for pen, values in self._levels(axis, lo, hi, length):
                p.setPen(pen)
                lines = []
                for v in values:
                    if not lo <= v <= hi:
                        continue
                    if vertical:
                        x = t.map(v, view.top())[0]
                        lines.append(QLineF(x, device.top(), x, device.bottom()))
                    else:
                        y = t.map(view.left(), v)[1]
                        lines.append(QLineF(device.left(), y, device.right(), y))
                p.drawLines(lines)
        p.restore()

    def _levels(self, axis: pg.AxisItem, lo: float, hi: float, length: float) -> list:
        """(pen, tick values) per tick level, faded as ``AxisItem.generateDrawSpecs`` does."""
        if axis._tickLevels is None:
            levels = [values for _spacing, values in axis.tickValues(lo, hi, length)]
        else:
            levels = [[v for v, _text in level] for level in axis._tickLevels]
        out = []
        for i, values in enumerate(levels):
            alpha = 255 / (i + 1) * self.alpha / 255.0
            alpha *= min(max(0.05 * length / (len(values) + 1), 0.0), 1.0)
            pen = QPen(axis.tickPen())
            color = QColor(pen.color())
            color.setAlpha(int(alpha))
            pen.setColor(color)
            out.append((pen, values))
        return out


def _share_ticks(axis: pg.AxisItem) -> None:
    """Let the grid and the axis share one ``tickValues`` per range: the grid paints first
    (the view sits below its axes), and the axis then finds the ticks computed."""
    if getattr(axis, "_shared_ticks", False):
        return
    original = axis.tickValues
    memo: list[Any] = [None, None]

    def tick_values(min_val: float, max_val: float, size: float) -> Any:
        key = (min_val, max_val, axis.logMode, axis.scale, axis._tickSpacing)
        if memo[0] is not None and memo[0][0] == key and abs(memo[0][1] - size) < SIZE_SLACK:
            return memo[1]
        memo[0], memo[1] = (key, size), original(min_val, max_val, size)
        return memo[1]

    axis.tickValues = tick_values
    axis._shared_ticks = True
