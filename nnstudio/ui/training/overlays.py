"""Recorded runs overlaid on the metric charts, drawn by bucket so hundreds stay smooth.

A *bucket* is what one colour stands for: a group of runs (a sweep or a tag) or, for runs by
themselves, one palette slot (run index modulo the palette).  Each bucket draws one curve per
metric key holding every shown member's per-epoch values, separated by NaN gaps, so 500 runs
are a few dozen curves, not thousands.  A group drawn as a band shows instead, per metric
key, the mean of its shown members and their spread (min–max, or the mean ± 1 standard
deviation) as a filled band (``pg.FillBetweenItem``).

Histories become arrays on first draw only; showing or hiding runs redraws the buckets they
belong to, nothing else.  The curves hold a run's epochs, not batches, so they are neither
clipped to the view nor downsampled (clipping presumes increasing x, which a bucket's
concatenated runs are not).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from nnstudio.ui.training.overlay_layer import OverlayLayer

SPREADS = {"minmax": "min–max", "std": "±1 std"}
LEGEND_RUNS = 6  # ungrouped runs named in the legend; the others counted
BAND_ALPHA = 60

Key = tuple[str, Any]  # ("group", label) or ("slot", palette index)


@dataclass
class _Run:
    name: str
    history: Mapping[str, Any]
    index: int
    group: str | None = None
    arrays: dict[str, np.ndarray] | None = None

    def values(self) -> dict[str, np.ndarray]:
        """The per-epoch arrays of every plotted key (built once)."""
        if self.arrays is None:
            self.arrays = {}
            for key, values in self.history.items():
                if key in NOT_PLOTTED or not isinstance(values, list):
                    continue
                self.arrays[key] = np.array(
                    [float(v) if isinstance(v, int | float) else np.nan for v in values], float
                )
        return self.arrays


@dataclass
class _Bucket:
    color: str
    members: list[str] = field(default_factory=list)
    lines: dict[str, tuple[pg.PlotItem, pg.PlotDataItem]] = field(default_factory=dict)
    bands: dict[str, tuple[pg.PlotItem, list[Any]]] = field(default_factory=dict)


NOT_PLOTTED = ("learning_rate", "lr")


def band_stats(arrays: Sequence[np.ndarray], spread: str) -> tuple[np.ndarray, ...]:
    """Epoch numbers, mean, low and high edge over ``arrays`` (different lengths, NaN
    gaps); epochs no array has a finite value for are left out."""
    n = max((a.size for a in arrays), default=0)
    m = np.full((len(arrays), n), np.nan)
    for i, a in enumerate(arrays):
        m[i, : a.size] = a
    finite = np.isfinite(m)
    count = finite.sum(axis=0)
    keep = count > 0
    m, finite, count = m[:, keep], finite[:, keep], count[keep]
    xs = np.arange(1, n + 1, dtype=float)[keep]
    mean = np.where(finite, m, 0.0).sum(axis=0) / np.maximum(count, 1)
    if spread == "std":
        var = np.where(finite, (m - mean) ** 2, 0.0).sum(axis=0) / np.maximum(count, 1)
        std = np.sqrt(var)
        return xs, mean, mean - std, mean + std
    return xs, mean, np.where(finite, m, np.inf).min(axis=0), np.where(finite, m, -np.inf).max(0)


class RunOverlays:
    """The overlaid runs of :class:`~nnstudio.ui.training.plots.MetricsPlots`.

    ``plot_for(family)`` gives (or creates) a chart, ``family_of(key)`` names the chart of a
    logged key, ``colors`` is the palette.
    """

    def __init__(
        self,
        plot_for: Callable[[str], pg.PlotItem],
        family_of: Callable[[str], str],
        colors: Sequence[str],
    ) -> None:
        self._plot_for, self._family_of, self._colors = plot_for, family_of, colors
        self.runs: dict[str, _Run] = {}
        self.shown: dict[str, bool] = {}  # runs toggled at least once
        self.bands: set[str] = set()
        self.spread = "minmax"
        self._buckets: dict[Key, _Bucket] = {}
        self._group_colors: dict[str, str] = {}
        self._layers: dict[int, tuple[pg.PlotItem, OverlayLayer]] = {}

    def layer(self, plot: pg.PlotItem) -> OverlayLayer:
        """The cached picture a chart's overlays are painted in (:mod:`.overlay_layer`)."""
        hit = self._layers.get(id(plot))
        if hit is None or hit[0] is not plot:
            hit = self._layers[id(plot)] = (plot, OverlayLayer(plot.getViewBox()))
        return hit[1]

    # -- what is listed -------------------------------------------------------------------
    def set_runs(
        self,
        runs: Iterable[Any],
        groups: Mapping[str, str | None] | None = None,
        bands: Iterable[str] = (),
    ) -> None:
        """The runs that can be overlaid (records, in the project's order), each run's group
        and the groups drawn as bands; shown runs stay shown, runs gone are dropped."""
        groups = groups or {}
        old = self.runs
        self.runs = {}
        for i, rec in enumerate(runs):
            prev = old.get(rec.id)
            run = _Run(rec.name or rec.id, rec.history, i, groups.get(rec.id))
            if prev is not None and prev.history is rec.history:
                run.arrays = prev.arrays
            self.runs[rec.id] = run
        self.shown = {k: v for k, v in self.shown.items() if k in self.runs}
        self._group_colors = {}
        for run in self.runs.values():
            if run.group is not None and run.group not in self._group_colors:
                self._group_colors[run.group] = self._colors[
                    len(self._group_colors) % len(self._colors)
                ]
        self._rebucket()
        self.set_bands(bands)

    def add_run(self, run_id: str, name: str, history: Mapping[str, Any]) -> None:
        """Add (or replace) one ungrouped run at the end."""
        self.runs.pop(run_id, None)
        self.runs[run_id] = _Run(name, history, len(self.runs))
        self._rebucket()

    def remove(self, run_id: str) -> None:
        """Forget one run (and stop drawing it)."""
        if self.runs.pop(run_id, None) is not None:
            self.shown.pop(run_id, None)
            self._rebucket()

    def clear(self) -> None:
        """No runs, no curves."""
        self.runs, self.shown = {}, {}
        self._rebucket()

    def _key(self, run_id: str, run: _Run) -> Key:
        if run.group is not None:
            return ("group", run.group)
        return ("slot", run.index % len(self._colors))

    def color_of(self, run_id: str) -> str:
        """The colour a run is drawn in."""
        return self._bucket_color(self._key(run_id, self.runs[run_id]))

    def _bucket_color(self, key: Key) -> str:
        if key[0] == "group":
            return self._group_colors.get(key[1], self._colors[0])
        return self._colors[(key[1] + len(self._group_colors)) % len(self._colors)]  # after groups

    def _rebucket(self) -> None:
        """Re-sort runs into buckets; redraw the buckets whose shown members changed."""
        members: dict[Key, list[str]] = {}
        for run_id, run in self.runs.items():
            members.setdefault(self._key(run_id, run), []).append(run_id)
        for key in list(self._buckets):
            if key not in members:
                self._drop(self._buckets.pop(key))
        for key, ids in members.items():
            bucket = self._buckets.get(key)
            color = self._bucket_color(key)
            if bucket is not None and bucket.color != color:
                self._drop(self._buckets.pop(key))
                bucket = None
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(color)
            if bucket.members != ids or self._is_drawn(bucket) != self._wants(key, ids):
                bucket.members = ids
                self._draw(key, bucket)

    # -- visibility -------------------------------------------------------------------------
    def show(self, run_ids: Iterable[str], visible: bool) -> None:
        """Show or hide runs; each bucket touched is redrawn once."""
        touched: set[Key] = set()
        for run_id in run_ids:
            run = self.runs.get(run_id)
            if run is None or self.shown.get(run_id) == visible:
                continue
            self.shown[run_id] = visible
            touched.add(self._key(run_id, run))
        for key in touched:
            self._draw(key, self._buckets[key])

    def set_bands(self, groups: Iterable[str]) -> None:
        """Draw these groups as bands (the others as lines)."""
        new = set(groups)
        changed = new ^ self.bands
        self.bands = new
        for label in changed:
            bucket = self._buckets.get(("group", label))
            if bucket is not None:
                self._draw(("group", label), bucket)

    def set_spread(self, spread: str) -> None:
        """``minmax`` or ``std``: what a band spans."""
        if spread not in SPREADS:
            raise ValueError(f"spread {spread!r}: expected one of {', '.join(SPREADS)}")
        if spread != self.spread:
            self.spread = spread
            for label in self.bands:
                bucket = self._buckets.get(("group", label))
                if bucket is not None:
                    self._draw(("group", label), bucket)

    def visible_ids(self, bucket: _Bucket) -> list[str]:
        """A bucket's shown members."""
        return [r for r in bucket.members if self.shown.get(r)]

    def _wants(self, key: Key, ids: list[str]) -> bool:
        return any(self.shown.get(r) for r in ids)

    @staticmethod
    def _is_drawn(bucket: _Bucket) -> bool:
        return any(c.isVisible() for _, c in bucket.lines.values()) or any(
            items[0].isVisible() for _, items in bucket.bands.values()
        )

    # -- drawing ----------------------------------------------------------------------------
    def _draw(self, key: Key, bucket: _Bucket) -> None:
        shown = [self.runs[r] for r in self.visible_ids(bucket)]
        as_band = key[0] == "group" and key[1] in self.bands
        per_key: dict[str, list[np.ndarray]] = {}
        for run in shown:
            for metric, ys in run.values().items():
                per_key.setdefault(metric, []).append(ys)
        line_keys = set() if as_band else set(per_key)
        band_keys = set(per_key) if as_band else set()
        for metric, (_plot, curve) in bucket.lines.items():
            if metric not in line_keys:
                curve.setData([], [])
                curve.setVisible(False)
        for metric, (_plot, items) in bucket.bands.items():
            if metric not in band_keys:
                for item in items:
                    item.setVisible(False)
        for metric in line_keys:
            self._draw_lines(bucket, metric, per_key[metric])
        for metric in band_keys:
            self._draw_band(bucket, metric, per_key[metric])

    def _pen(self, color: str, metric: str, width: float = 1.5, alpha: int = 255) -> Any:
        c = QColor(color)
        c.setAlpha(alpha)
        style = Qt.PenStyle.DashLine if metric.startswith("val_") else Qt.PenStyle.SolidLine
        return pg.mkPen(c, width=width, style=style)

    def _new_item(self, plot: pg.PlotItem, pen: Any) -> pg.PlotDataItem:
        item = pg.PlotDataItem(pen=pen, connect="finite")
        plot.addItem(item)
        item.setClipToView(False)  # a bucket's x restarts at each run: never clip or thin
        item.setDownsampling(auto=False)
        _cache_bounds(item.curve)
        self.layer(plot).add(item)
        return item

    def _draw_lines(self, bucket: _Bucket, metric: str, arrays: list[np.ndarray]) -> None:
        if metric not in bucket.lines:
            plot = self._plot_for(self._family_of(metric))
            width = 1.5 if len(bucket.members) == 1 else 1.0
            bucket.lines[metric] = (
                plot,
                self._new_item(plot, self._pen(bucket.color, metric, width)),
            )
        _plot, curve = bucket.lines[metric]
        xs = np.concatenate(
            [np.append(np.arange(1, a.size + 1, dtype=float), np.nan) for a in arrays]
        )
        ys = np.concatenate([np.append(a, np.nan) for a in arrays])
        curve.setData(xs, ys, connect="finite")
        curve.setVisible(True)

    def _draw_band(self, bucket: _Bucket, metric: str, arrays: list[np.ndarray]) -> None:
        if metric not in bucket.bands:
            plot = self._plot_for(self._family_of(metric))
            edge = pg.mkPen(style=Qt.PenStyle.NoPen)  # a pen (not None): the curves get paths
            lo, hi = self._new_item(plot, edge), self._new_item(plot, edge)  # the fill's edges
            fill_color = QColor(bucket.color)
            fill_color.setAlpha(BAND_ALPHA)
            fill = pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(fill_color))
            fill.setZValue(-5)
            plot.addItem(fill)
            self.layer(plot).add(fill)
            mean = self._new_item(plot, self._pen(bucket.color, metric, 2.0))
            bucket.bands[metric] = (plot, [mean, lo, hi, fill])
        _plot, (mean, lo, hi, fill) = bucket.bands[metric]
        xs, m, low, high = band_stats(arrays, self.spread)
        mean.setData(xs, m)
        lo.setData(xs, low)
        hi.setData(xs, high)
        for item in (mean, lo, hi, fill):
            item.setVisible(True)

    def _drop(self, bucket: _Bucket) -> None:
        for plot, curve in bucket.lines.values():
            self.layer(plot).remove(curve)
            plot.removeItem(curve)
        for plot, items in bucket.bands.values():
            for item in items:
                self.layer(plot).remove(item)
                plot.removeItem(item)
        bucket.lines.clear()
        bucket.bands.clear()

    # -- reading back (legend, tests) -------------------------------------------------------
    def curves_of(self, run_id: str) -> list[tuple[pg.PlotItem, pg.PlotDataItem]]:
        """The line curves of the bucket a run is drawn in."""
        run = self.runs.get(run_id)
        if run is None:
            return []
        return list(self._buckets[self._key(run_id, run)].lines.values())

    def band_items(self, group: str) -> dict[str, list[Any]]:
        """A group's band items per metric key: mean, low edge, high edge, fill."""
        bucket = self._buckets.get(("group", group))
        return {} if bucket is None else {k: v[1] for k, v in bucket.bands.items()}

    def legend_parts(self) -> list[str]:
        """Rich-text legend entries of what is shown: groups first, then runs."""
        parts, runs = [], []
        spread = SPREADS[self.spread]
        for key, bucket in self._buckets.items():
            ids = self.visible_ids(bucket)
            if not ids:
                continue
            if key[0] == "group":
                how = f"mean, band {spread}" if key[1] in self.bands else "lines"
                text = f"━\u00a0{key[1]}: {how} ({len(ids)} of {len(bucket.members)} runs)"
                parts.append(f"<span style='color:{bucket.color}'>{_html(text)}</span>")
            else:
                runs += [(self.runs[r].index, r, bucket.color) for r in ids]
        runs.sort()
        for _i, run_id, color in runs[:LEGEND_RUNS]:
            name = _html(self.runs[run_id].name)
            parts.append(f"<span style='color:{color}'>━&nbsp;{name} (dashed: validation)</span>")
        if len(runs) > LEGEND_RUNS:
            parts.append(f"+{len(runs) - LEGEND_RUNS} more runs")
        return parts


def _cache_bounds(curve: pg.PlotCurveItem) -> None:
    """Keep a curve's data bounds until its data change: pyqtgraph drops them on every view
    change (a pan), and recomputing them over 50,000 points with NaN gaps cost more than
    drawing them."""
    original = curve.dataBounds
    cache: dict[int, tuple[Any, Any]] = {}

    def bounds(ax: int, frac: float = 1.0, orthoRange: Any = None) -> Any:  # noqa: N803
        if frac != 1.0 or orthoRange is not None:
            return original(ax, frac, orthoRange)
        data = curve.xData if ax == 0 else curve.yData
        hit = cache.get(ax)
        if hit is not None and hit[0] is data:
            return hit[1]
        value = original(ax, frac, orthoRange)
        cache[ax] = (data, value)
        return value

    curve.dataBounds = bounds


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
