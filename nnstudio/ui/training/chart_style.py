"""Shared look of the training charts: axis labels with units, plot styling, heat-map colour
bars, the grid the live charts are laid out on."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem

from nnstudio.ui.training.chart_grid import AxisGrid

X_LABEL = "epoch"
X_UNITS = "batches as fractions of an epoch"
HEAT_MAP = "viridis"
_FRACTIONS = ("accuracy", "acc", "precision", "recall", "auc", "f1")
_NAMES = {
    "loss": "loss",
    "mae": "mean absolute error",
    "mse": "mean squared error",
    "rmse": "root mean squared error",
    "learning rate": "learning rate",
    "throughput": "throughput (samples/s)",
    "d_loss": "discriminator loss",  # a GAN run's logs (core.gan.model)
    "g_loss": "generator loss",
    "d_real": "D(x) on real",
    "d_fake": "D(G(z)) on generated",
    "d_accuracy": "discriminator accuracy (0–1)",
    "diversity": "sample diversity",
}


class DecadeAxis(pg.AxisItem):
    """An axis whose log scale ticks decades first and labels the 2..9 ticks between
    them only where there is room (pyqtgraph puts all of them on one level)."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802, N803 - pyqtgraph
        out = []
        for spacing, values in super().logTickValues(minVal, maxVal, size, stdTicks):
            if spacing is not None:
                out.append((spacing, values))
                continue
            decades = [v for v in values if abs(v - round(v)) < 1e-9]
            if decades:
                out.append((None, decades))
            out.append((None, [v for v in values if abs(v - round(v)) >= 1e-9]))
        return out


def axis_label(family: str) -> str:
    """The y-axis label of a metric family, with its unit: ``accuracy (0–1)``."""
    if family in _NAMES:
        return _NAMES[family]
    prefix, _, base = family.rpartition("_")
    if prefix and base in _NAMES:  # a named output's metric: "digit loss"
        return f"{prefix} {_NAMES[base]}"
    if any(word in family for word in _FRACTIONS):
        return f"{family} (0–1)"
    return family


def is_loss(family: str) -> bool:
    """True for the charts the log-scale toggle applies to."""
    return "loss" in family


def style_plot(plot: pg.PlotItem, label: str, x_label: str = X_LABEL) -> pg.PlotItem:
    """Grid, labelled axes, cheap-to-paint ticks, clipping and peak downsampling."""
    plot.setLabel("left", label)
    plot.setLabel("bottom", x_label)
    plot.axis_grid = AxisGrid(plot, alpha=0.2)  # pyqtgraph's showGrid, drawn cheaply
    plot.setClipToView(True)
    plot.setDownsampling(auto=True, mode="peak")
    for name in ("left", "bottom"):
        plot.getAxis(name).enableAutoSIPrefix(False)  # 0.001, not "1 (x0.001)"
    left = plot.getAxis("left")
    left.setWidth(64)  # a fixed width: new tick labels cause no relayout
    for name in ("left", "bottom"):  # text is costly to paint: keep axes as pixmaps
        plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    return plot


def grid_columns(charts: int) -> int:
    """Columns for ``charts`` charts: one row up to three, 2x2 for four, then three wide."""
    if charts <= 3:
        return max(1, charts)
    return 2 if charts == 4 else 3


def color_bar(image: pg.ImageItem, plot: pg.PlotItem, label: str) -> pg.ColorBarItem:
    """A read-only colour scale for ``image``, placed at the right of ``plot``."""
    bar = pg.ColorBarItem(
        values=(0.0, 1.0),
        colorMap=pg.colormap.get(HEAT_MAP),
        label=label,
        interactive=False,
        width=14,
        colorMapMenu=False,
    )
    bar.setImageItem(image, insert_in=plot)
    bar.getAxis("right").enableAutoSIPrefix(False)
    return bar


def set_levels(image: pg.ImageItem, bar: pg.ColorBarItem, lo: float, hi: float) -> None:
    """Show ``lo..hi`` on the image's colour scale (a flat image gets a unit range)."""
    if not hi > lo:
        hi = lo + 1.0
    bar.setLevels((lo, hi))
    image.setLevels((lo, hi))
