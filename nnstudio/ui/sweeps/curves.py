"""The learning curves of the selected trials, overlaid: one chart of a chosen logged
quantity (the sweep's metric by default) per epoch, one curve per trial in the colour the
parallel-coordinates plot gives it, with a legend."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nnstudio.ui.training.chart_style import axis_label, style_plot

PALETTE = ("#4c9be8", "#e8884c", "#5cb85c", "#d1495b", "#9b6ad6", "#c9a227", "#3fb8af")


def trial_history(trial: Any) -> dict[str, list[float | None]]:
    """``{name: per-epoch values}`` of a trial's run (empty when it has no record)."""
    record = trial.record
    history = getattr(record, "history", None)
    if history is None and isinstance(record, Mapping):
        history = record.get("history")
    if not isinstance(history, Mapping):
        return {}
    return {str(k): list(v) for k, v in history.items() if isinstance(v, list)}


def _points(values: list[Any]) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for i, v in enumerate(values):
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            xs.append(float(i + 1))
            ys.append(float(v))
    return xs, ys


class TrialCurves(QWidget):
    """A chooser of the quantity and the overlaid chart."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metric = "val_loss"
        self.trials: list[Any] = []
        self.colors: dict[int, QColor] = {}
        self.curves: dict[int, pg.PlotDataItem] = {}
        self.quantity = QComboBox()
        self.quantity.setObjectName("curveQuantity")
        self.quantity.setToolTip("The logged quantity to overlay")
        self.quantity.currentTextChanged.connect(lambda _t: self._draw())
        self.hint = QLabel("Select trials in the table to compare their curves.")
        self.hint.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("trialCurves")
        self.plot.setMinimumHeight(200)
        self.plot.setBackground(None)
        style_plot(self.plot.getPlotItem(), "loss")
        base = QColor(self.palette().color(QPalette.ColorRole.Base))
        base.setAlpha(210)  # the legend stays readable over the curves
        self.legend = self.plot.getPlotItem().addLegend(offset=(-10, 10), brush=pg.mkBrush(base))
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.quantity, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.hint)
        layout.addWidget(self.plot, 1)

    def show_trials(
        self, trials: Iterable[Any], metric: str, colors: Mapping[int, QColor] | None = None
    ) -> None:
        """Overlay the curves of ``trials`` (``colors``: trial number -> colour)."""
        self.trials = list(trials)
        self.metric = metric
        self.colors = dict(colors or {})
        names: list[str] = []
        for trial in self.trials:
            names.extend(n for n in trial_history(trial) if n not in names)
        current = self.quantity.currentText()
        self.quantity.blockSignals(True)
        self.quantity.clear()
        self.quantity.addItems(names)
        wanted = current if current in names else metric if metric in names else ""
        if wanted:
            self.quantity.setCurrentText(wanted)
        self.quantity.blockSignals(False)
        self._draw()

    def _draw(self) -> None:
        item = self.plot.getPlotItem()
        for curve in self.curves.values():
            item.removeItem(curve)
        self.curves.clear()
        self.legend.clear()
        name = self.quantity.currentText()
        self.hint.setVisible(not self.trials)
        if not name:
            return
        item.setLabel(
            "left",
            axis_label(name.removeprefix("val_"))
            + (" (validation)" if name.startswith("val_") else ""),
        )
        for i, trial in enumerate(self.trials):
            xs, ys = _points(trial_history(trial).get(name, []))
            color = self.colors.get(trial.number) or QColor(PALETTE[i % len(PALETTE)])
            curve = item.plot(
                xs,
                ys,
                pen=pg.mkPen(color, width=2),
                symbol="o",
                symbolSize=5,
                symbolBrush=color,
                symbolPen=None,
                name=f"trial {trial.number}",
            )
            self.curves[trial.number] = curve
