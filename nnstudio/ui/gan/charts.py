"""Two compact live charts of a GAN run: the discriminator's and the generator's losses on
one chart, D(x) and D(G(z)) on the other, so the tug of war reads at a glance.

Each key is a faint per-batch line (Keras' running mean within the epoch) and a bold line
through the epochs' values; the x axis counts epochs.  The names come from the core's GAN
model (:mod:`nnstudio.core.gan.model`): ``d_loss``, ``g_loss``, ``d_real`` (D(x)),
``d_fake`` (D(G(z))).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from nnstudio.ui.training.buffers import GrowingBuffer
from nnstudio.ui.training.chart_style import style_plot

__all__ = ["CHARTS", "GanCharts"]

#: chart title -> (log key, legend name, colour)
CHARTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "loss": (
        ("d_loss", "discriminator", "#8e6cc9"),
        ("g_loss", "generator", "#2a9d8f"),
    ),
    "D(·)": (
        ("d_real", "D(x): real", "#3b7dd8"),
        ("d_fake", "D(G(z)): generated", "#e07a2f"),
    ),
}


def legend_html(keys: tuple[tuple[str, str, str], ...]) -> str:
    """The chart's title: each line's name in its colour (no legend box over the data)."""
    return " &nbsp; ".join(f'<span style="color:{c}">━ {name}</span>' for _k, name, c in keys)


class _Line:
    def __init__(self, plot: pg.PlotItem, color: str) -> None:
        faint = QColor(color)
        faint.setAlpha(70)
        self.batch, self.epoch = GrowingBuffer(), GrowingBuffer(64)
        self.batch_curve = plot.plot(pen=pg.mkPen(faint, width=1))
        self.epoch_curve = plot.plot(
            pen=pg.mkPen(color, width=2),
            symbol="o",
            symbolSize=5,
            symbolBrush=color,
        )

    def refresh(self) -> None:
        self.batch_curve.setData(self.batch.x, self.batch.y)
        self.epoch_curve.setData(self.epoch.x, self.epoch.y)

    def clear(self) -> None:
        self.batch.clear()
        self.epoch.clear()


class GanCharts(QWidget):
    """The two charts; feed them with :meth:`add_batch` / :meth:`add_epoch`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(None)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.plots: dict[str, pg.PlotItem] = {}
        self.lines: dict[str, _Line] = {}
        self.marks: dict[str, pg.InfiniteLine] = {}
        for row, (title, keys) in enumerate(CHARTS.items()):
            plot = style_plot(pg.PlotItem(), title)
            plot.getAxis("left").setWidth(48)
            plot.setTitle(legend_html(keys), size="9pt")
            mark = pg.InfiniteLine(angle=90, pen=pg.mkPen(QColor(128, 128, 128, 150), width=1))
            mark.setVisible(False)
            plot.addItem(mark, ignoreBounds=True)
            self.marks[title] = mark
            if self.plots:
                plot.setXLink(next(iter(self.plots.values())))
            self.plots[title] = plot
            self.view.addItem(plot, row=row, col=0)
            for key, _name, color in keys:
                self.lines[key] = _Line(plot, color)
        self.plots["D(·)"].addLine(y=0.5, pen=pg.mkPen("#888888", style=Qt.PenStyle.DashLine))

    def mark_epoch(self, epoch: float | None) -> None:
        """A thin vertical line at the epoch whose grid is shown (``None``: none)."""
        for mark in self.marks.values():
            mark.setVisible(epoch is not None)
            if epoch is not None:
                mark.setValue(epoch)

    def reset(self) -> None:
        """No data."""
        for line in self.lines.values():
            line.clear()
            line.refresh()

    def add_batch(self, x: float, logs: Mapping[str, Any]) -> None:
        """One batch's logs at ``x`` (epochs, fractional)."""
        for key, line in self.lines.items():
            value = logs.get(key)
            if isinstance(value, int | float):
                line.batch.append(x, float(value))

    def add_epoch(self, epoch: int, logs: Mapping[str, Any]) -> None:
        """A completed epoch's logs (``epoch`` from 0)."""
        for key, line in self.lines.items():
            value = logs.get(key)
            if isinstance(value, int | float):
                line.epoch.append(epoch + 1.0, float(value))

    def set_history(self, history: Mapping[str, Any]) -> None:
        """A recorded run's per-epoch values (``{key: [values]}``)."""
        self.reset()
        for key, line in self.lines.items():
            values = history.get(key)
            if isinstance(values, list):
                for i, v in enumerate(values):
                    if isinstance(v, int | float):
                        line.epoch.append(i + 1.0, float(v))
        self.refresh()

    def refresh(self) -> None:
        """Push the buffers into the curves."""
        for line in self.lines.values():
            line.refresh()

    def point_count(self, key: str, kind: str = "epoch") -> int:
        """How many points a line has (``kind`` "batch" or "epoch")."""
        line = self.lines[key]
        return (line.batch if kind == "batch" else line.epoch).n
