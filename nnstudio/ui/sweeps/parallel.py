"""Parallel coordinates of a sweep: one vertical axis per swept parameter and one for the
metric; each trial is a polyline through its values, coloured by its metric (red the worst,
green the best); the trials selected in the table are drawn thick, the others faded."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

from nnstudio.core.objectives.monitors import metric_mode
from nnstudio.ui.sweeps.results import fmt, trial_score

MARGIN = 0.14  # room above and below the axes for their labels
MAX_LEVELS = 8  # a choice axis names every level up to this many
#: bad -> middling -> good (readable on light and dark backgrounds)
SCORE_COLORS = ("#d1495b", "#d08a1e", "#3f9a4f")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


class Axis:
    """How one column's values map onto 0..1 (numbers by range, log or linear; anything
    else by its place among the values seen)."""

    def __init__(self, name: str, values: Sequence[Any], log: bool = False) -> None:
        self.name = name
        numbers = [float(v) for v in values if _is_number(v)]
        self.numeric = bool(numbers) and len(numbers) == len([v for v in values if v is not None])
        self.log = log and self.numeric and all(v > 0 for v in numbers)
        if self.numeric:
            xs = [math.log10(v) for v in numbers] if self.log else numbers
            self.lo, self.hi = min(xs), max(xs)
            self.labels = (fmt(min(numbers)), fmt(max(numbers)))
            self.levels: list[str] = []
        else:
            self.levels = sorted({str(v) for v in values if v is not None})
            self.lo, self.hi = 0.0, float(max(len(self.levels) - 1, 1))
            self.labels = (self.levels[0], self.levels[-1]) if self.levels else ("", "")

    def position(self, value: Any) -> float | None:
        """Where ``value`` sits on the axis (0 bottom, 1 top); ``None`` if it has none."""
        if value is None:
            return None
        if self.numeric:
            if not _is_number(value) or (self.log and value <= 0):
                return None
            x = math.log10(value) if self.log else float(value)
        else:
            if str(value) not in self.levels:
                return None
            x = float(self.levels.index(str(value)))
        return 0.5 if self.hi == self.lo else (x - self.lo) / (self.hi - self.lo)


class ParallelCoordinates(pg.PlotWidget):
    """The plot; :meth:`show_trials` draws, :meth:`highlight` marks the selected trials."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("parallelCoordinates")
        self.setMinimumHeight(200)
        self.setBackground(None)
        item = self.getPlotItem()
        item.hideAxis("left")
        self._names_axis = item.getAxis("bottom")
        self._names_axis.setPen(None)
        self._names_axis.setTicks([[]])
        item.setMenuEnabled(False)
        item.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        self.lines: dict[int, pg.PlotDataItem] = {}
        self.colors: dict[int, QColor] = {}
        self.axes: list[Axis] = []
        self._decor: list[Any] = []
        self._selected: set[int] = set()
        self._cmap = pg.ColorMap([0.0, 0.5, 1.0], [QColor(c) for c in SCORE_COLORS])
        self._empty = pg.TextItem("The trials appear here as they finish", color="#888")
        self._empty.setAnchor((0.5, 0.5))
        self.addItem(self._empty)
        self._empty.setPos(0.5, 0.5)
        self.setXRange(0, 1)
        self.setYRange(0, 1)

    def clear_trials(self) -> None:
        """Remove every polyline and axis."""
        for item in [*self.lines.values(), *self._decor]:
            self.removeItem(item)
        self.lines.clear()
        self.colors.clear()
        self._decor.clear()
        self.axes = []
        self._names_axis.setTicks([[]])
        self._empty.show()

    def show_trials(
        self, params: Sequence[str], metric: str, trials: Iterable[Any], log: Iterable[str] = ()
    ) -> None:
        """Draw one polyline per trial over ``params`` and ``metric`` (``log``: the
        parameters swept on a log scale)."""
        self.clear_trials()
        trials = [t for t in trials if t.status != "running"]
        if not trials:
            return
        self._empty.hide()
        logs = set(log)
        self.axes = [Axis(p, [t.params.get(p) for t in trials], p in logs) for p in params]
        scores = [trial_score(t, metric) for t in trials]
        self.axes.append(Axis(metric, scores))
        self._draw_axes()
        found = [s for s in scores if s is not None]
        lo, hi = (min(found), max(found)) if found else (0.0, 1.0)
        better_high = metric_mode(metric) == "max"
        for trial, score in zip(trials, scores, strict=True):
            ys = [a.position(trial.params.get(a.name)) for a in self.axes[:-1]]
            ys.append(self.axes[-1].position(score))
            shade = 0.0 if score is None or hi == lo else (score - lo) / (hi - lo)
            shade = shade if better_high else 1.0 - shade
            color = self._cmap.map(shade if score is not None else 0.0, mode="qcolor")
            if score is None:
                color = QColor("#9a9a9a")
            xs = [float(i) for i, y in enumerate(ys) if y is not None]
            line = pg.PlotDataItem(
                xs, [y for y in ys if y is not None], pen=pg.mkPen(color, width=1.5)
            )
            line.setToolTip(f"trial {trial.number}: {metric} {fmt(score)}")
            self.addItem(line)
            self.lines[trial.number] = line
            self.colors[trial.number] = color
        self.setXRange(-0.3, len(self.axes) - 0.7, padding=0)
        self.setYRange(-MARGIN, 1 + MARGIN, padding=0)
        self.highlight(self._selected)

    def _draw_axes(self) -> None:
        pen = pg.mkPen("#7a7a7a", width=1)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        self._names_axis.setTextPen(pg.mkPen(text))
        self._names_axis.setTicks([[(float(i), a.name) for i, a in enumerate(self.axes)], []])
        muted = QColor(text)
        muted.setAlpha(170)
        for i, axis in enumerate(self.axes):
            line = pg.InfiniteLine(pos=i, angle=90, pen=pen, movable=False)
            self._decor.append(line)
            self.addItem(line)
            low = pg.TextItem(axis.labels[0], color=muted, anchor=(0.5, 0.0))
            low.setPos(i, -0.02)
            high = pg.TextItem(axis.labels[1], color=muted, anchor=(0.5, 1.0))
            high.setPos(i, 1.02)
            for item in (low, high):
                self._decor.append(item)
                self.addItem(item)
            for level in axis.levels[1:-1] if len(axis.levels) <= MAX_LEVELS else []:
                mid = pg.TextItem(level, color=muted, anchor=(0.0, 0.5))
                mid.setPos(i, axis.position(level) or 0.0)
                self._decor.append(mid)
                self.addItem(mid)

    def highlight(self, numbers: Iterable[int]) -> None:
        """Draw the trials ``numbers`` thick and the others faded (none: all plain)."""
        self._selected = set(numbers)
        for number, line in self.lines.items():
            color = QColor(self.colors[number])
            if not self._selected:
                line.setPen(pg.mkPen(color, width=1.5))
                line.setZValue(0)
            elif number in self._selected:
                line.setPen(pg.mkPen(color, width=3.5))
                line.setZValue(10)
            else:
                color.setAlpha(60)
                line.setPen(pg.mkPen(color, width=1))
                line.setZValue(0)

    def is_highlighted(self, number: int) -> bool:
        """True when trial ``number`` is drawn as selected."""
        line = self.lines.get(number)
        return line is not None and line.opts["pen"].widthF() > 2
