"""The runs view's cheap-to-pan charts look as pyqtgraph draws them: the overlay picture
(``OverlayLayer``) and the grid drawn as lines (``AxisGrid``)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage

from nnstudio.ui.training.chart_grid import AxisGrid
from nnstudio.ui.training.overlay_layer import OverlayLayer

SIZE = (360, 260)


def _pixels(widget: pg.PlotWidget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    ptr = image.constBits()
    return (
        np.frombuffer(ptr, np.uint8)
        .reshape(image.height(), image.bytesPerLine())[:, : image.width() * 4]
        .reshape(image.height(), image.width(), 4)[..., :3]
        .astype(int)
    )


def _chart(qtbot, grid: str = "none") -> pg.PlotWidget:
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(*SIZE)
    widget.setBackground("w")
    plot = widget.getPlotItem()
    if grid == "pyqtgraph":
        plot.showGrid(x=True, y=True, alpha=0.2)
    elif grid == "lines":
        AxisGrid(plot, alpha=0.2)
    widget.show()
    return widget


def _curves(plot: pg.PlotItem) -> list[pg.PlotDataItem]:
    x = np.arange(1, 101, dtype=float)
    items = []
    for k, color in enumerate(("#c94f7c", "#2a9d8f")):
        ys = np.sin(x / (7 + k)) + k
        item = pg.PlotDataItem(
            np.append(x, [np.nan, *x]),
            np.append(ys, [np.nan, *(ys * 0.5)]),
            pen=pg.mkPen(color, width=1),  # solid: a dash pattern's phase follows the clip
            connect="finite",
        )
        plot.addItem(item)
        items.append(item)
    return items


def _differ(a: np.ndarray, b: np.ndarray, threshold: int = 60) -> float:
    return float((np.abs(a - b).sum(axis=2) > threshold).mean())


def _differ_by_more_than_a_pixel(a: np.ndarray, b: np.ndarray, threshold: int = 10) -> float:
    """Pixels of ``a`` that ``b`` has at none of their nine nearest places (a line may land
    a pixel over when its position is a tie in rounding)."""
    pad = np.pad(b, ((1, 1), (1, 1), (0, 0)), mode="edge")
    h, w = a.shape[:2]
    best = np.min(
        [
            np.abs(a - pad[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]).sum(axis=2)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
        ],
        axis=0,
    )
    return float((best > threshold).mean())


def test_the_overlay_picture_looks_as_the_items_drawn_by_themselves(qtbot) -> None:
    plain, cached = _chart(qtbot), _chart(qtbot)
    _curves(plain.getPlotItem())
    layer = OverlayLayer(cached.getPlotItem().getViewBox())
    for item in _curves(cached.getPlotItem()):
        layer.add(item)
    for widget in (plain, cached):
        widget.getPlotItem().setRange(xRange=(10, 60), yRange=(-1.5, 2.5), padding=0)
    a, b = _pixels(plain), _pixels(cached)
    assert (np.abs(a - 255).sum(axis=2) > 60).mean() > 0.02  # curves were drawn at all
    assert _differ(a, b) < 0.003
    for step in (3.0, 7.3):  # the first pan draws a margin, the second shifts the picture
        for widget in (plain, cached):
            widget.getPlotItem().getViewBox().translateBy(x=step, y=0.1)
        _pixels(cached)
    assert _differ(_pixels(plain), _pixels(cached)) < 0.01
    assert layer._settle.isActive()  # off the pixel grid: drawn again once the pan rests
    layer.settle()
    assert _differ(_pixels(plain), _pixels(cached)) < 0.003


def test_the_picture_is_drawn_again_only_when_it_must(qtbot) -> None:
    widget = _chart(qtbot)
    box = widget.getPlotItem().getViewBox()
    layer = OverlayLayer(box)
    first, second = _curves(widget.getPlotItem())
    layer.add(first)
    layer.add(second)
    box.setRange(xRange=(0, 40), yRange=(-1.5, 2.5), padding=0)
    widget.grab()
    drawn = layer.renders
    box.translateBy(x=2, y=0)
    widget.grab()  # the first pan after a new scale draws the margin around the view
    drawn_with_margin = layer.renders
    assert drawn_with_margin <= drawn + 1
    for _ in range(5):
        box.translateBy(x=2, y=0)
        widget.grab()
    assert layer.renders == drawn_with_margin  # pans within the margin only shift it
    box.scaleBy(x=0.5, y=1)
    widget.grab()
    assert layer.renders == drawn_with_margin + 1  # a zoom draws again
    count = layer.renders
    second.setData([1.0, 2.0], [0.0, 1.0])
    widget.grab()
    assert layer.renders == count + 1  # new data draw again
    before = _pixels(widget)
    first.setVisible(False)
    second.setVisible(False)
    after = _pixels(widget)
    assert _differ(before, after) > 0.005 and layer.renders == count + 1  # nothing to draw
    layer.remove(first)
    assert first not in layer._items


@pytest.mark.parametrize("log", [False, True])
def test_the_grid_as_lines_matches_pyqtgraphs_grid(qtbot, log: bool) -> None:
    charts = [_chart(qtbot, "pyqtgraph"), _chart(qtbot, "lines"), _chart(qtbot)]
    for widget in charts:
        plot = widget.getPlotItem()
        plot.setLogMode(y=log)
        plot.setRange(xRange=(3, 87), yRange=(-2, 1) if log else (0.1, 1.3), padding=0)
    a, b, bare = (_pixels(w) for w in charts)
    assert _differ(a, bare, 10) > 0.01  # the grid is there to see
    assert _differ_by_more_than_a_pixel(a, b) < 0.0005
    assert _differ_by_more_than_a_pixel(a, bare) > 0.005  # the comparison can fail
    for widget in charts:
        widget.getPlotItem().getViewBox().translateBy(x=5.5, y=0.05)
    a, b, _bare = (_pixels(w) for w in charts)
    assert _differ_by_more_than_a_pixel(a, b) < 0.0005
