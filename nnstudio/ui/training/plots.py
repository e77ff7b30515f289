"""Live metric charts (pyqtgraph): loss and every metric per batch and per epoch, the
learning rate and the throughput, on one shared x axis counted in epochs.

The smoothed line is TensorBoard's debiased EMA (:mod:`.smoothing`) with a slider for its
weight; loss charts can switch to a log scale; the learning rate is text while it is
constant and a thin strip below the charts once it changes.

Curves are created once and fed from preallocated growing buffers with ``setData``; the plots
clip to the view and downsample by peaks, so a million points still pan smoothly.  Recorded
runs can be overlaid (their per-epoch curves), alone or by group, a group as lines or as its
mean and spread (:mod:`.overlays`).

Keras logs the running mean of each metric over the epoch so far; for mean-type metrics
(losses, accuracies, absolute/squared errors) the per-batch value is recovered from two
successive means, so the faint "batch" line shows each batch and the smoothed line follows it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from nnstudio.ui.training.buffers import GrowingBuffer
from nnstudio.ui.training.chart_style import (
    DecadeAxis,
    axis_label,
    grid_columns,
    is_loss,
    style_plot,
)
from nnstudio.ui.training.overlays import RunOverlays
from nnstudio.ui.training.smoothing import MAX_WEIGHT, Ema, check_weight, smooth

TRAIN_COLOR = "#3b7dd8"
VAL_COLOR = "#e07a2f"
OVERLAY_COLORS = (
    "#2a9d8f",
    "#c94f7c",
    "#8e6cc9",
    "#b08a1e",
    "#3f9a4f",
    "#5565c9",
    "#d1495b",
    "#00798c",
)
DEFAULT_SMOOTHING = 0.95  # EMA weight of the smoothed line (TensorBoard's slider)
SLIDER_STEPS = 1000
LR_STRIP_HEIGHT = 70
LINEAR_TEXT_FILL = [(0, 0.8), (2, 0.6), (4, 0.4), (6, 0.2)]  # pyqtgraph's default
LOG_TEXT_FILL = [(0, 0.8), (2, 0.25)]
REDRAW_INTERVAL = 0.2  # seconds between chart redraws while a run streams in
_MEAN_WORDS = ("loss", "accuracy", "acc", "mae", "mse", "mean_", "error", "hinge", "crossentropy")
NOT_PLOTTED = ("learning_rate", "lr")


def metric_family(key: str) -> str:
    """The chart a logged key goes to: ``val_loss`` and ``loss`` share ``loss``."""
    return key[4:] if key.startswith("val_") else key


def is_mean_metric(key: str) -> bool:
    """True for metrics Keras averages over the batches of an epoch."""
    return any(word in key for word in _MEAN_WORDS)


class _Series:
    """Buffers and curves of one metric: batch (raw, faint), smoothed, epoch, validation."""

    def __init__(self, plot: pg.PlotItem, key: str, weight: float) -> None:
        faint = QColor(TRAIN_COLOR)
        faint.setAlpha(60)
        self.batch = GrowingBuffer()
        self.smooth = GrowingBuffer()
        self.epoch = GrowingBuffer(64)
        self.val = GrowingBuffer(64)
        self.curves = {
            "batch": plot.plot(pen=pg.mkPen(faint, width=1)),
            "smooth": plot.plot(pen=pg.mkPen(TRAIN_COLOR, width=2)),
            "epoch": plot.plot(
                pen=pg.mkPen(TRAIN_COLOR, width=2, style=Qt.PenStyle.DotLine),
                symbol="o",
                symbolSize=6,
                symbolBrush=TRAIN_COLOR,
            ),
            "val": plot.plot(
                pen=pg.mkPen(VAL_COLOR, width=2), symbol="s", symbolSize=6, symbolBrush=VAL_COLOR
            ),
        }
        self.mean = is_mean_metric(key)
        self._prev_mean = 0.0
        self.ema = Ema(weight)

    def add_batch(self, x: float, batch: int, value: float) -> None:
        # the batch's own value, from the running means after this batch and the one before
        mean = self.mean and batch > 0
        raw = (batch + 1) * value - batch * self._prev_mean if mean else value
        self._prev_mean = value
        if not math.isfinite(raw):
            return
        self.batch.append(x, raw)
        self.smooth.append(x, self.ema.push(raw))

    def set_weight(self, weight: float) -> None:
        """Re-smooth every batch so far with another weight (vectorised)."""
        self.ema = Ema(weight)
        self.smooth.clear()
        if self.batch.n:
            self.smooth.extend(self.batch.x, smooth(self.batch.y, weight))
            self.ema.count = self.batch.n  # carry on streaming from the recomputed state
            self.ema.last = float(self.smooth.y[-1]) * -math.expm1(self.batch.n * _log(weight))

    def refresh(self) -> None:
        for name, buf in (
            ("batch", self.batch),
            ("smooth", self.smooth),
            ("epoch", self.epoch),
            ("val", self.val),
        ):
            self.curves[name].setData(buf.x, buf.y)

    def clear(self) -> None:
        for buf in (self.batch, self.smooth, self.epoch, self.val):
            buf.clear()
        self._prev_mean = 0.0
        self.ema.reset()


def _log(weight: float) -> float:
    return math.log(weight) if weight > 0 else -math.inf


class MetricsPlots(QWidget):
    """Charts of a live run plus overlays of recorded runs (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(None)
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setToolTip(
            "Training: faint, each batch; bold, smoothed; dotted, each epoch's value. "
            "Validation: each epoch's value. Overlaid runs follow in their colours."
        )
        self.validation_shown = True
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 0)
        layout.setSpacing(2)
        layout.addLayout(self._controls())
        layout.addWidget(self.view, 1)
        self.plots: dict[str, pg.PlotItem] = {}
        self.series: dict[str, _Series] = {}
        self.lr = GrowingBuffer()
        self.rate = GrowingBuffer()
        self.steps: int | None = None
        self._max_batch = -1
        self.runs_overlay = RunOverlays(self.plot_for, metric_family, OVERLAY_COLORS)
        self._dirty = False
        self._drawn_at = -math.inf
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.timeout.connect(self.refresh)
        self._resmooth = QTimer(self)  # a dragged slider re-smooths once it rests
        self._resmooth.setSingleShot(True)
        self._resmooth.setInterval(60)
        self._resmooth.timeout.connect(self._apply_smoothing)
        self.lr_strip = False  # the learning-rate strip is shown once the rate changes
        self.lr_plot = style_plot(pg.PlotItem(), "learning rate", "")
        self.lr_plot.setMaximumHeight(LR_STRIP_HEIGHT)
        self.lr_plot.getAxis("left").setStyle(tickTextOffset=2)
        self.lr_curve = self.lr_plot.plot(pen=pg.mkPen("#8e6cc9", width=2))
        # every run logs a loss: its chart exists before the run, and it is the one the
        # others' x axes follow (its x auto-range sees the live run and the overlaid runs)
        self._series("loss")
        self.rate_plot = self._add_plot("throughput")
        self.rate_curve = self.rate_plot.plot(pen=pg.mkPen("#3f9a4f", width=2))
        self._update_legend()

    def _controls(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.legend, 1)
        row.addWidget(QLabel("Smoothing"))
        self.smoothing = QSlider(Qt.Orientation.Horizontal)
        self.smoothing.setRange(0, int(MAX_WEIGHT * SLIDER_STEPS))
        self.smoothing.setValue(round(DEFAULT_SMOOTHING * SLIDER_STEPS))
        self.smoothing.setMaximumWidth(180)
        self.smoothing.setToolTip(
            "Weight of the exponential moving average of the per-batch values (debiased, as "
            "in TensorBoard): 0 shows the raw values, 0.99 a very smooth line"
        )
        self.smoothing.valueChanged.connect(self._smoothing_moved)
        self.smoothing_label = QLabel(f"{self.smoothing_weight():.3f}")
        self.log_loss = QCheckBox("Log-scale loss")
        self.log_loss.setToolTip("Show the loss charts on a logarithmic axis")
        self.log_loss.toggled.connect(self._set_log_loss)
        self.lr_label = QLabel("")
        self.lr_label.setToolTip("The learning rate; charted in a strip once it changes")
        row.addWidget(self.smoothing)
        row.addWidget(self.smoothing_label)
        row.addSpacing(12)
        row.addWidget(self.log_loss)
        row.addSpacing(12)
        row.addWidget(self.lr_label)
        return row

    # -- structure --------------------------------------------------------------------
    def _add_plot(self, key: str) -> pg.PlotItem:
        plot = style_plot(pg.PlotItem(axisItems={"left": DecadeAxis("left")}), axis_label(key))
        if is_loss(key) and self.log_loss.isChecked():
            self._log_scale(plot, True)
        plot.getViewBox().sigXRangeChanged.connect(self._follow_x)
        self.plots[key] = plot
        self._relayout()
        return plot

    def _relink(self) -> None:
        """Every chart's x axis follows the first metric chart's (the loss chart where the
        run logs a loss), whose x auto-range sees the live run and the overlaid runs."""
        keys = [k for k in self.plots if k != "throughput"] or list(self.plots)
        if not keys:
            return
        lead = self.plots[keys[0]]
        lead.setXLink(None)
        for plot in self.plots.values():
            if plot is not lead:
                plot.setXLink(lead)

    def _relayout(self) -> None:
        """Metric charts in order of appearance on a grid (see :func:`grid_columns`), the
        throughput in a narrower column at the right, the thin learning-rate strip (when
        shown) along the bottom."""
        self.view.clear()
        self._relink()
        keys = [k for k in self.plots if k != "throughput"]
        cols = grid_columns(len(keys))
        rows = max(1, (len(keys) + cols - 1) // cols)
        for i, key in enumerate(keys):
            row, col = divmod(i, cols)
            self.view.addItem(self.plots[key], row=row, col=col)
        rate = self.plots.get("throughput")
        if rate is not None:
            self.view.addItem(rate, row=0, col=cols, rowspan=rows)
        grid = self.view.ci.layout
        for col in range(cols):
            grid.setColumnStretchFactor(col, 2)
        grid.setColumnStretchFactor(cols, 1)
        if self.lr_strip:  # wider than any chart: its x range follows theirs, not its pixels
            self.view.addItem(self.lr_plot, row=rows, col=0, colspan=cols + 1)

    def _follow_x(self, _box: Any, x_range: tuple[float, float]) -> None:
        self.lr_plot.setXRange(*x_range, padding=0)

    def plot_for(self, family: str) -> pg.PlotItem:
        """The chart of a metric family, created on first use."""
        plot = self.plots.get(family)
        if plot is None:
            plot = self._add_plot(family)
        return plot

    def _series(self, family: str) -> _Series:
        s = self.series.get(family)
        if s is None:
            s = _Series(self.plot_for(family), family, self.smoothing_weight())
            self.series[family] = s
        return s

    def prepare(self, families: Iterable[str]) -> None:
        """Create the charts a run will need before it streams (creating one mid-run
        costs the GUI a long frame)."""
        for family in families:
            self._series(metric_family(family))

    # -- smoothing and scales -----------------------------------------------------------
    def smoothing_weight(self) -> float:
        """The slider's EMA weight (0 = raw values)."""
        return self.smoothing.value() / SLIDER_STEPS

    def set_smoothing(self, weight: float) -> None:
        """Set the slider (and re-smooth every chart at once)."""
        self.smoothing.setValue(round(check_weight(weight) * SLIDER_STEPS))
        self._apply_smoothing()

    def _smoothing_moved(self, _value: int) -> None:
        self.smoothing_label.setText(f"{self.smoothing_weight():.3f}")
        self._resmooth.start()

    def _apply_smoothing(self) -> None:
        self._resmooth.stop()
        weight = self.smoothing_weight()
        for s in self.series.values():
            s.set_weight(weight)
        self._dirty = True
        self.refresh()

    def _set_log_loss(self, on: bool) -> None:
        for key, plot in self.plots.items():
            if is_loss(key):
                self._log_scale(plot, on)

    @staticmethod
    def _log_scale(plot: pg.PlotItem, on: bool) -> None:
        plot.setLogMode(y=on)
        # log scale: the decades always labelled, the 2..9 ticks between only where sparse
        plot.getAxis("left").setStyle(textFillLimits=LOG_TEXT_FILL if on else LINEAR_TEXT_FILL)
        plot.enableAutoRange(y=True)

    # -- live data --------------------------------------------------------------------
    def reset(self, families: Iterable[str] | None = None) -> None:
        """Empty, as new: no data, no overlays, only the loss and throughput charts; with
        ``families`` (the metrics the next run logs) the loss chart only if it logs one
        (a GAN logs its two losses instead)."""
        self.runs_overlay.clear()
        self._update_legend()
        keep = {"throughput"}
        if families is None or "loss" in {metric_family(f) for f in families}:
            keep.add("loss")
        for key in [k for k in self.plots if k not in keep]:
            self.series.pop(key, None)
            self.plots.pop(key)
        self.lr_strip = False
        self._relayout()
        self.begin_run()
        self.lr_label.setText("")

    def begin_run(self, steps: int | None = None, epochs: int | None = None) -> None:
        """Start a new live run: clear its buffers (overlays stay).  With ``epochs`` the x
        axis spans the whole run from the start, so its ticks are drawn once."""
        for s in self.series.values():
            s.clear()
        self.lr.clear()
        self.rate.clear()
        self.steps = steps
        self._max_batch = -1
        first = next(iter(self.plots.values()))
        if epochs:
            first.setXRange(0, epochs, padding=0.02)
        else:
            first.enableAutoRange(x=True)
        self._dirty = True
        self.refresh()

    def handle_events(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Take a batch of run events and redraw once."""
        for e in events:
            kind = e["type"]
            if kind == "start":
                self.begin_run(e.get("steps"), e.get("epochs"))
            elif kind == "batch":
                self.add_batch(e)
            elif kind == "epoch":
                self.add_epoch(e["epoch"], e["logs"])
        if self._dirty and not self._redraw.isActive():
            wait = self._drawn_at + REDRAW_INTERVAL - time.monotonic()
            if wait <= 0:
                self.refresh()
            else:  # at most a few redraws a second; the last data always get drawn
                self._redraw.start(int(wait * 1000) + 1)

    def _x(self, epoch: int, batch: int, steps: int | None) -> float:
        """Epochs as a fraction; with an unknown epoch length (until the first epoch ends)
        the points approach the epoch's end without reaching it."""
        self._max_batch = max(self._max_batch, batch)
        steps = steps or self.steps
        if not steps:
            return epoch + 1.0 - 1.0 / (batch + 2)
        return epoch + (batch + 1) / max(steps, batch + 1)

    def add_batch(self, event: Mapping[str, Any]) -> None:
        """One batch event: metric values, learning rate, throughput."""
        epoch, batch = event["epoch"], event["batch"]
        x = self._x(epoch, batch, event.get("steps"))
        for key, value in event["logs"].items():
            if key not in NOT_PLOTTED and isinstance(value, float | int):
                self._series(metric_family(key)).add_batch(x, batch, float(value))
        lr = event.get("learning_rate")
        if lr is not None:
            self.lr.append(x, lr)
        rate = event.get("samples_per_s")
        if rate:
            self.rate.append(x, rate)
        self._dirty = True

    def add_epoch(self, epoch: int, logs: Mapping[str, Any]) -> None:
        """The values of a completed epoch (train and validation)."""
        if self.steps is None and self._max_batch >= 0:
            self.steps = self._max_batch + 1  # learnt from the first epoch
        for key, value in logs.items():
            if key in NOT_PLOTTED or not isinstance(value, float | int):
                continue
            s = self._series(metric_family(key))
            (s.val if key.startswith("val_") else s.epoch).append(epoch + 1.0, float(value))
        self._dirty = True

    def refresh(self) -> None:
        """Push the buffers into the curves."""
        for s in self.series.values():
            s.refresh()
        self._refresh_lr()
        self.rate_curve.setData(self.rate.x, self.rate.y)
        if self.rate.n:  # from zero: a steady rate would otherwise sit in a ±0.5 band
            self.rate_plot.setYRange(0.0, float(self.rate.y.max()) * 1.1, padding=0)
        self._dirty = False
        self._drawn_at = time.monotonic()

    def _refresh_lr(self) -> None:
        """The learning rate as text while constant; a thin strip once it changes."""
        if not self.lr.n:
            self.lr_label.setText("")
            return
        lo, hi = float(self.lr.y.min()), float(self.lr.y.max())
        last = float(self.lr.y[-1])
        if hi == lo:
            self.lr_label.setText(f"learning rate {last:.4g} (constant)")
            return
        self.lr_label.setText(f"learning rate {last:.4g} (from {float(self.lr.y[0]):.4g})")
        if not self.lr_strip:
            self.lr_strip = True
            self._relayout()
        self.lr_curve.setData(self.lr.x, self.lr.y)
        self.lr_plot.setYRange(0.0, hi * 1.1, padding=0)

    def point_count(self, family: str, kind: str = "batch") -> int:
        """Points held for a metric family's curve (``batch``, ``smooth``, ``epoch``,
        ``val``)."""
        s = self.series.get(family)
        return getattr(s, kind).n if s is not None else 0

    # -- overlays of recorded runs (see :mod:`.overlays`) -----------------------------
    def set_overlay(
        self, run_id: str, name: str, history: Mapping[str, list[Any]], visible: bool = True
    ) -> None:
        """Show a recorded run's per-epoch curves (replacing an earlier overlay of it)."""
        self.runs_overlay.add_run(run_id, name, history)
        self.runs_overlay.show([run_id], visible)
        self._update_legend()

    def set_runs(
        self,
        runs: Iterable[Any],
        groups: Mapping[str, str | None] | None = None,
        bands: Iterable[str] = (),
    ) -> None:
        """The runs that can be overlaid, their groups and the groups drawn as bands (see
        :meth:`.overlays.RunOverlays.set_runs`); nothing is drawn for runs not shown."""
        self.runs_overlay.set_runs(runs, groups, bands)
        self._update_legend()

    def show_overlays(self, run_ids: Iterable[str], visible: bool) -> None:
        """Show or hide many runs at once (a group's checkbox)."""
        self.runs_overlay.show(run_ids, visible)
        self._update_legend()

    def show_overlay(self, run_id: str, visible: bool) -> None:
        """Show or hide one overlay."""
        self.show_overlays([run_id], visible)

    def set_bands(self, groups: Iterable[str]) -> None:
        """Draw these groups as their mean and spread."""
        self.runs_overlay.set_bands(groups)
        self._update_legend()

    def set_spread(self, spread: str) -> None:
        """What a band spans: ``minmax`` or ``std`` (the mean ± 1 standard deviation)."""
        self.runs_overlay.set_spread(spread)
        self._update_legend()

    def remove_overlay(self, run_id: str) -> None:
        """Drop an overlay."""
        self.runs_overlay.remove(run_id)
        self._update_legend()

    def overlay_curves(self, run_id: str) -> list[tuple[pg.PlotItem, pg.PlotDataItem]]:
        """The curves a run is drawn in (shared with the runs of its colour or group)."""
        return self.runs_overlay.curves_of(run_id)

    def show_validation(self, on: bool) -> None:
        """Whether the legend names validation (a run that validates; a GAN does not)."""
        self.validation_shown = on
        self._update_legend()

    def _update_legend(self) -> None:
        parts = [f"<span style='color:{TRAIN_COLOR}'>━ training</span>"]
        if self.validation_shown:
            parts.append(f"<span style='color:{VAL_COLOR}'>━ validation</span>")
        parts += self.runs_overlay.legend_parts()
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join(parts))

    def overlays(self) -> dict[str, bool]:
        """Overlaid run ids (toggled at least once) and whether each is shown."""
        return dict(self.runs_overlay.shown)
