"""Watch one layer learn: its activations on the probe batch and its weights per epoch.

Dense and recurrent layers show a heatmap (samples x units) and the activation histogram over
time; convolution layers a grid of feature maps for a chosen sample; ReLU-family layers their
share of dead units; every layer with weights the weight histogram and the gradient norm per
epoch.  The data arrive as ``probe`` and ``weights`` run events (NumPy, from the core).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from nnstudio.core.training.probes import activations_from_event, weights_from_event

MAX_SNAPSHOTS = 400
COMMON_BINS = 64


def tile_maps(maps: np.ndarray, pad: int = 1) -> np.ndarray:
    """Feature maps ``(H, W, C)`` as one ``(rows, cols)`` image, each map scaled to 0..1."""
    h, w, c = maps.shape
    cols = max(1, math.ceil(math.sqrt(c)))
    rows = math.ceil(c / cols)
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad), np.nan, np.float32)
    for i in range(c):
        m = maps[..., i].astype(np.float32)
        lo, hi = float(np.nanmin(m)), float(np.nanmax(m))
        m = (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)
        r, k = divmod(i, cols)
        out[r * (h + pad) : r * (h + pad) + h, k * (w + pad) : k * (w + pad) + w] = m
    return out


def histograms_over_time(
    snapshots: list[tuple[np.ndarray, tuple[float, float]]], bins: int = COMMON_BINS
) -> tuple[np.ndarray, tuple[float, float]]:
    """Histograms with their own ranges re-binned onto one common value range.

    Returns ``(image, (lo, hi))`` where ``image[t]`` is snapshot ``t``'s histogram over
    ``bins`` equal bins of ``lo..hi`` on a log scale (``log1p`` of the counts), scaled so
    that its largest bin is 1.
    """
    lo = min(r[0] for _, r in snapshots)
    hi = max(r[1] for _, r in snapshots)
    if hi <= lo:
        hi = lo + 1.0
    image = np.zeros((len(snapshots), bins), np.float32)
    for t, (counts, (a, b)) in enumerate(snapshots):
        k = len(counts)
        centres = a + (np.arange(k) + 0.5) * (b - a) / k
        row, _ = np.histogram(centres, bins=bins, range=(lo, hi), weights=counts)
        row = np.log1p(row)  # a ReLU's pile at zero would hide everything else
        peak = row.max()
        image[t] = row / peak if peak > 0 else row
    return image, (lo, hi)


class ActivationsView(QWidget):
    """The selected layer's live activations and weights (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer: str | None = None
        self.latest: dict[str, Any] = {}
        self.snapshots: dict[str, list[tuple[np.ndarray, tuple[float, float]]]] = {}
        self.weights: dict[str, list[tuple[int, Any]]] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        self.title = QLabel("Select a layer on the canvas to watch it learn.")
        self.title.setWordWrap(True)
        self.sample = QSpinBox()
        self.sample.setPrefix("sample ")
        self.sample.setToolTip("Which probe sample's feature maps to show")
        self.sample.valueChanged.connect(lambda _v: self._draw_activations())
        top.addWidget(self.title, 1)
        top.addWidget(self.sample)
        layout.addLayout(top)
        self.stats = QLabel("")
        layout.addWidget(self.stats)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(None)
        layout.addWidget(self.view, 1)
        cmap = pg.colormap.get("viridis")
        self.main_plot = self.view.addPlot(row=0, col=0, title="activations")
        self.main_plot.invertY(True)
        self.main_plot.setAspectLocked(False)
        self.main_image = pg.ImageItem()
        self.main_image.setColorMap(cmap)
        self.main_plot.addItem(self.main_image)
        self.hist_plot = self.view.addPlot(row=1, col=0, title="activation histogram over time")
        self.hist_plot.setLabel("bottom", "probe")
        self.hist_image = pg.ImageItem()
        self.hist_image.setColorMap(cmap)
        self.hist_plot.addItem(self.hist_image)
        self.weight_plot = self.view.addPlot(row=2, col=0, title="weight histogram per epoch")
        self.weight_plot.setLabel("bottom", "epoch")
        self.weight_image = pg.ImageItem()
        self.weight_image.setColorMap(cmap)
        self.weight_plot.addItem(self.weight_image)
        self.grad_plot = self.view.addPlot(row=3, col=0, title="gradient norm per epoch")
        self.grad_plot.setLabel("bottom", "epoch")
        self.grad_curve = self.grad_plot.plot(
            pen=pg.mkPen("#e07a2f", width=2), symbol="o", symbolSize=5
        )
        self._update_visibility()

    # -- input ------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything of the previous run."""
        self.latest.clear()
        self.snapshots.clear()
        self.weights.clear()
        self.redraw()

    def select_layer(self, name: str | None) -> None:
        """Show layer ``name`` (``None``: nothing selected)."""
        self.layer = name
        self.redraw()

    def handle_events(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Take ``probe`` and ``weights`` events; redraw the selected layer if it changed."""
        touched = False
        for e in events:
            if e["type"] == "start":
                self.reset()
            elif e["type"] == "probe":
                for name, act in activations_from_event(e).items():
                    self.latest[name] = act
                    snaps = self.snapshots.setdefault(name, [])
                    snaps.append((act.hist, act.hist_range))
                    del snaps[:-MAX_SNAPSHOTS]
                touched = touched or self.layer in e["layers"]
            elif e["type"] == "weights":
                for name, w in weights_from_event(e).items():
                    self.weights.setdefault(name, []).append((e["epoch"], w))
                touched = touched or self.layer in e["layers"]
        if touched:
            self.redraw()

    # -- drawing ----------------------------------------------------------------------
    def redraw(self) -> None:
        """Draw the selected layer's latest data."""
        self._draw_activations()
        self._draw_histograms()
        self._draw_weights()
        self._update_visibility()

    def _update_visibility(self) -> None:
        act = self.latest.get(self.layer or "")
        self.sample.setVisible(act is not None and act.maps is not None)

    def _draw_activations(self) -> None:
        act = self.latest.get(self.layer or "")
        if self.layer is None:
            self.title.setText("Select a layer on the canvas to watch it learn.")
            self.stats.setText("")
            self.main_image.clear()
            return
        if act is None:
            self.title.setText(f"{self.layer}: no activations yet (they appear while training)")
            self.stats.setText("")
            self.main_image.clear()
            return
        shape = "×".join(str(d) for d in act.shape)
        self.title.setText(f"<b>{act.name}</b> · output {shape}")
        dead = f" · dead units {act.dead:.0%}" if act.dead is not None else ""
        self.stats.setText(f"mean {act.mean:.3g} · std {act.std:.3g}{dead}")
        if act.maps is not None:
            self.sample.setRange(0, act.maps.shape[0] - 1)
            image = tile_maps(act.maps[self.sample.value()])
            self.main_plot.setTitle(f"feature maps of sample {self.sample.value()}")
            self.main_plot.setAspectLocked(True)
            self.main_plot.setLabel("bottom", "")
            self.main_plot.setLabel("left", "")
        elif act.heat is not None:
            image = act.heat
            title = (
                "last time step: samples × units" if act.kind == "sequence" else "samples × units"
            )
            self.main_plot.setTitle(title)
            self.main_plot.setAspectLocked(False)
            self.main_plot.setLabel("bottom", "unit")
            self.main_plot.setLabel("left", "sample")
        else:
            self.main_image.clear()
            self.main_plot.setTitle("no image for this layer's output")
            return
        self.main_image.setImage(image.T, autoLevels=True)  # ImageItem wants [x, y]
        self.main_image.setRect(QRectF(0, 0, image.shape[1], image.shape[0]))

    def _draw_histograms(self) -> None:
        snaps = self.snapshots.get(self.layer or "")
        if not snaps:
            self.hist_image.clear()
            return
        image, (lo, hi) = histograms_over_time(snaps)
        self.hist_image.setImage(image, autoLevels=True)
        self.hist_image.setRect(QRectF(0, lo, len(snaps), hi - lo))

    def _draw_weights(self) -> None:
        records = self.weights.get(self.layer or "")
        if not records:
            self.weight_image.clear()
            self.grad_curve.setData([], [])
            return
        image, (lo, hi) = histograms_over_time([(w.hist, w.hist_range) for _, w in records])
        first = records[0][0] + 1  # epoch -1 is the start: x = 0
        self.weight_image.setImage(image, autoLevels=True)
        self.weight_image.setRect(QRectF(first - 0.5, lo, len(records), hi - lo))
        grads = [(epoch + 1, w.grad_norm) for epoch, w in records if w.grad_norm is not None]
        if grads:
            xs, ys = zip(*grads, strict=True)
            self.grad_curve.setData(list(xs), list(ys))
        else:
            self.grad_curve.setData([], [])
            self.grad_plot.setTitle("gradient norm per epoch (TensorFlow backend only)")
