"""Watch one layer learn: its activations on the probe batch and its weights per epoch.

A list of the model's layers on the left (choosing one selects it on the canvas too, and a
selection anywhere is followed here); on the right one tab per view, so each gets the whole
height: the layer's output (convolutions: a grid of feature maps of a chosen sample, each
tile labelled with its channel; dense and recurrent layers: a samples x units heat map), the
activation histogram over time, the weight histogram per epoch and the gradient norm per
epoch.  Heat maps have colour bars.  The data arrive as ``probe`` and ``weights`` run
events, read by one adapter (:func:`~.activation_data.event_layers`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from nnstudio.ui.training.activation_data import (
    COMMON_BINS,
    event_layers,
    histograms_over_time,
    tile_grid,
    tile_maps,
)
from nnstudio.ui.training.chart_style import HEAT_MAP, color_bar, set_levels, style_plot

__all__ = ["COMMON_BINS", "ActivationsView", "histograms_over_time", "tile_maps"]

MAX_SNAPSHOTS = 400
MAX_TILE_LABELS = 64
MAX_NAMED_TICKS = 16  # up to this many units (samples) every one gets a tick
NO_LAYER = "Select a layer (in the list, on the canvas or on the map) to watch it learn."
OUTPUT_TAB, HISTOGRAM_TAB, WEIGHTS_TAB, GRADIENTS_TAB = range(4)
HIST_SCALE = "log(1 + count), share of peak"


def _image_plot(x: str, y: str, bar: str) -> tuple[pg.GraphicsLayoutWidget, Any, Any, Any]:
    """A chart widget holding one labelled image plot with a colour bar."""
    view = pg.GraphicsLayoutWidget()
    view.setBackground(None)
    plot = style_plot(view.addPlot(), y, x)
    plot.setDownsampling(auto=False)
    image = pg.ImageItem()
    image.setColorMap(pg.colormap.get(HEAT_MAP))
    plot.addItem(image)
    return view, plot, image, color_bar(image, plot, bar)


class ActivationsView(QWidget):
    """The selected layer's live activations and weights (see the module docstring).

    ``layers`` gives the model's layer names for the list (else the probed layers are
    listed); ``layer_chosen(name)`` is emitted when the user picks one in the list.
    """

    layer_chosen = Signal(str)

    def __init__(
        self, parent: QWidget | None = None, layers: Callable[[], list[str]] | None = None
    ) -> None:
        super().__init__(parent)
        self.layer: str | None = None
        self.latest: dict[str, Any] = {}
        self.snapshots: dict[str, list[tuple[np.ndarray, tuple[float, float]]]] = {}
        self.weights: dict[str, list[tuple[int, Any]]] = {}
        self._layers = layers
        self._tile_labels: list[pg.TextItem] = []
        outer = QHBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addLayout(self._layer_column())
        right = QVBoxLayout()
        outer.addLayout(right, 1)
        top = QHBoxLayout()
        self.title = QLabel(NO_LAYER)
        self.title.setWordWrap(True)
        self.sample = QSpinBox()
        self.sample.setPrefix("sample ")
        self.sample.setToolTip("Which probe sample's feature maps to show")
        self.sample.valueChanged.connect(lambda _v: self._draw_activations())
        top.addWidget(self.title, 1)
        top.addWidget(self.sample)
        right.addLayout(top)
        self.stats = QLabel("")
        right.addWidget(self.stats)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        right.addWidget(self.tabs, 1)
        self._add_tabs()
        self.redraw()

    def _layer_column(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.addWidget(QLabel("Layers"))
        self.layer_list = QListWidget()
        self.layer_list.setMaximumWidth(160)
        self.layer_list.setToolTip("The layer whose activations, weights and gradients are shown")
        self.layer_list.currentItemChanged.connect(self._list_chosen)
        column.addWidget(self.layer_list, 1)
        return column

    def _add_tabs(self) -> None:
        view, self.main_plot, self.main_image, self.main_bar = _image_plot(
            "unit", "sample", "value"
        )
        self.main_plot.invertY(True)
        self.tabs.addTab(view, "Output")
        view, self.hist_plot, self.hist_image, self.hist_bar = _image_plot(
            "probe (in training order)", "activation value", HIST_SCALE
        )
        self.hist_plot.setTitle("activation histogram over time")
        self.tabs.addTab(view, "Histogram")
        view, self.weight_plot, self.weight_image, self.weight_bar = _image_plot(
            "epoch", "weight value", HIST_SCALE
        )
        self.weight_plot.setTitle("weight histogram per epoch")
        self.tabs.addTab(view, "Weights")
        view = pg.GraphicsLayoutWidget()
        view.setBackground(None)
        self.grad_plot = style_plot(view.addPlot(), "gradient norm (L2)")
        self.grad_plot.setTitle("gradient norm per epoch")
        self.grad_curve = self.grad_plot.plot(
            pen=pg.mkPen("#e07a2f", width=2), symbol="o", symbolSize=5
        )
        self.tabs.addTab(view, "Gradients")

    # -- input ------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything of the previous run (the selected layer stays)."""
        self.latest.clear()
        self.snapshots.clear()
        self.weights.clear()
        self.redraw()

    def select_layer(self, name: str | None) -> None:
        """Show layer ``name`` (``None``: nothing selected)."""
        self.layer = name
        self.refresh_layers()
        self.redraw()

    def handle_events(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Take ``probe`` and ``weights`` events; redraw the selected layer if it changed."""
        touched = new = False
        for e in events:
            if e["type"] == "start":
                self.reset()
            elif e["type"] == "probe":
                layers = event_layers(e)
                new = new or bool(set(layers) - set(self.latest))
                for name, act in layers.items():
                    self.latest[name] = act
                    snaps = self.snapshots.setdefault(name, [])
                    snaps.append((act.hist, act.hist_range))
                    del snaps[:-MAX_SNAPSHOTS]
                touched = touched or self.layer in layers
            elif e["type"] == "weights":
                layers = event_layers(e)
                for name, w in layers.items():
                    self.weights.setdefault(name, []).append((e["epoch"], w))
                touched = touched or self.layer in layers
        if new:
            self.refresh_layers()
        if touched:
            self.redraw()

    # -- the layer list -----------------------------------------------------------------
    def layer_names(self) -> list[str]:
        """The names listed: the model's layers, else the layers probed so far."""
        names = list(self._layers()) if self._layers is not None else []
        return names + [n for n in self.latest if n not in names]

    def refresh_layers(self) -> None:
        """Re-list the layers (greyed out: no activations yet) and mark the selected one."""
        names = self.layer_names()
        self.layer_list.blockSignals(True)
        try:
            if [self.layer_list.item(i).text() for i in range(self.layer_list.count())] != names:
                self.layer_list.clear()
                self.layer_list.addItems(names)
            grey = QColor("#8a8a8a")
            for i in range(self.layer_list.count()):
                item = self.layer_list.item(i)
                probed = item.text() in self.latest or item.text() in self.weights
                item.setForeground(self.palette().text() if probed else grey)
                item.setToolTip("" if probed else "No activations yet: they appear while training")
            found = self.layer_list.findItems(self.layer or "", Qt.MatchFlag.MatchExactly)
            self.layer_list.setCurrentItem(found[0] if found and self.layer else None)
        finally:
            self.layer_list.blockSignals(False)

    def _list_chosen(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if item is None or item.text() == self.layer:
            return
        self.select_layer(item.text())
        self.layer_chosen.emit(item.text())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        self.refresh_layers()  # the model may have changed while the view was hidden

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

    def _clear_main(self, title: str, stats: str = "") -> None:
        self.title.setText(title)
        self.stats.setText(stats)
        self.main_image.clear()
        self._clear_tile_labels()
        self.main_plot.setTitle("")
        self.tabs.setTabText(OUTPUT_TAB, "Output")
        self.main_bar.setVisible(False)
        for axis in ("left", "bottom"):  # no empty pixel axes while there is nothing to show
            self.main_plot.hideAxis(axis)

    def _draw_activations(self) -> None:
        act = self.latest.get(self.layer or "")
        if self.layer is None:
            self._clear_main(NO_LAYER)
            return
        if act is None:
            self._clear_main(f"{self.layer}: no activations yet (they appear while training)")
            return
        shape = "×".join(str(d) for d in act.shape)
        self.title.setText(f"<b>{act.name}</b> · output {shape}")
        dead = f" · dead units {act.dead:.0%}" if act.dead is not None else ""
        self.stats.setText(f"mean {act.mean:.3g} · std {act.std:.3g}{dead}")
        if act.maps is not None:
            self._draw_feature_maps(act.maps)
        elif act.heat is not None:
            self._draw_heat(act)
        else:
            self._clear_main(self.title.text(), self.stats.text())
            self.main_plot.setTitle("no image for this layer's output")

    def _draw_feature_maps(self, maps: np.ndarray) -> None:
        """An image grid, no pixel axes: one tile per channel, labelled with its number."""
        self.sample.setRange(0, maps.shape[0] - 1)
        index = self.sample.value()
        sample = maps[index]
        image = tile_maps(sample)
        self.tabs.setTabText(OUTPUT_TAB, "Feature maps")
        channels = sample.shape[-1]
        plural = "channel" if channels == 1 else "channels"
        self.main_plot.setTitle(f"feature maps of sample {index} ({channels} {plural})")
        for axis in ("left", "bottom"):
            self.main_plot.hideAxis(axis)
        self.main_plot.setAspectLocked(True)
        self.main_bar.getAxis("left").setLabel("each map: its min → max")
        self._show_image(image, 0.0, 1.0)
        self._label_tiles(*sample.shape)

    def _draw_heat(self, act: Any) -> None:
        heat = act.heat
        self.tabs.setTabText(OUTPUT_TAB, "Heat map")
        self._clear_tile_labels()
        title = "last time step: samples × units" if act.kind == "sequence" else "samples × units"
        self.main_plot.setTitle(title)
        for axis in ("left", "bottom"):
            self.main_plot.showAxis(axis)
        self.main_plot.setAspectLocked(False)
        self.main_bar.getAxis("left").setLabel("activation")
        finite = heat[np.isfinite(heat)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        self._show_image(heat, lo, hi, centred=True)
        for axis, count in (("bottom", heat.shape[1]), ("left", heat.shape[0])):
            ticks = [[(i, str(i)) for i in range(count)]] if count <= MAX_NAMED_TICKS else None
            self.main_plot.getAxis(axis).setTicks(ticks)  # whole units, not 0.5 steps

    def _show_image(self, image: np.ndarray, lo: float, hi: float, centred: bool = False) -> None:
        """``centred``: cell ``i`` is centred on ``i`` (integer ticks name units, samples)."""
        self.main_bar.setVisible(True)
        self.main_image.setImage(image.T, autoLevels=False)  # ImageItem wants [x, y]
        at = -0.5 if centred else 0.0
        self.main_image.setRect(QRectF(at, at, image.shape[1], image.shape[0]))
        set_levels(self.main_image, self.main_bar, lo, hi)

    def _label_tiles(self, h: int, w: int, channels: int) -> None:
        self._clear_tile_labels()
        if not 1 < channels <= MAX_TILE_LABELS:  # a single map needs no number
            return
        _rows, cols = tile_grid(channels)
        for c in range(channels):
            r, k = divmod(c, cols)
            label = pg.TextItem(str(c), color="w", anchor=(0, 0), fill=pg.mkBrush(0, 0, 0, 120))
            font = label.textItem.font()
            font.setPointSize(7)
            label.setFont(font)
            label.setPos(k * (w + 1), r * (h + 1))
            self.main_plot.addItem(label)
            self._tile_labels.append(label)

    def _clear_tile_labels(self) -> None:
        for label in self._tile_labels:
            self.main_plot.removeItem(label)
        self._tile_labels = []

    def _draw_histograms(self) -> None:
        snaps = self.snapshots.get(self.layer or "")
        if not snaps:
            self.hist_image.clear()
            return
        image, (lo, hi) = histograms_over_time(snaps)
        self.hist_image.setImage(image, autoLevels=False)
        self.hist_image.setRect(QRectF(0, lo, len(snaps), hi - lo))
        set_levels(self.hist_image, self.hist_bar, 0.0, 1.0)

    def _draw_weights(self) -> None:
        records = self.weights.get(self.layer or "")
        if not records:
            self.weight_image.clear()
            self.grad_curve.setData([], [])
            return
        image, (lo, hi) = histograms_over_time([(w.hist, w.hist_range) for _, w in records])
        first = records[0][0] + 1  # epoch -1 is the start: x = 0
        self.weight_image.setImage(image, autoLevels=False)
        self.weight_image.setRect(QRectF(first - 0.5, lo, len(records), hi - lo))
        set_levels(self.weight_image, self.weight_bar, 0.0, 1.0)
        grads = [(epoch + 1, w.grad_norm) for epoch, w in records if w.grad_norm is not None]
        if grads:
            xs, ys = zip(*grads, strict=True)
            self.grad_curve.setData(list(xs), list(ys))
            self.grad_plot.setTitle("gradient norm per epoch")
        else:
            self.grad_curve.setData([], [])
            self.grad_plot.setTitle("gradient norm per epoch")
