"""The cost overlay: a heat colour per node by MACs or memory, with a legend on the canvas.

The overlay listens to the scene's check results (:attr:`GraphScene.checked`), computes the
cost of every node with one memoising :class:`~nnstudio.core.insight.cost.CostModel` (so an
edit recomputes only the nodes it changed), and gives each node item a heat colour and a
value label.  Colours run on a log scale from the cheapest to the dearest node, blue to red
(mid-lightness hues that read on light and dark canvases); a node that costs nothing keeps
its usual look and says "0".

On a graph of more than :data:`COST_SYNC_NODES` nodes the cost of a check is computed
:data:`COST_DEFER_MS` after it has been shown (once for a burst of checks), so that the check's
badges reach the canvas without waiting for the whole-graph cost model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QFont, QLinearGradient, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QComboBox, QWidget

from nnstudio.core.insight.cost import CostModel, CostReport, NodeCost, human_bytes, human_count

if TYPE_CHECKING:
    from nnstudio.ui.canvas.scene import GraphScene
    from nnstudio.ui.canvas.view import GraphView

HEAT_STOPS = ("#3b6fd8", "#2aa9c2", "#6cbf4f", "#e8b923", "#ee7b22", "#d63a24")
# mode -> (menu text, legend note, value of a node, text of a value)
MODES: dict[str, tuple[str, str, Callable[[NodeCost], int], Callable[[float], str]]] = {
    "macs": ("MACs", "per sample", lambda c: c.macs, lambda v: f"{human_count(v)} MACs"),
    "activations": (
        "Activation memory",
        "output, per sample",
        lambda c: c.activation_bytes,
        human_bytes,
    ),
    "params": ("Parameter memory", "float32 weights", lambda c: c.param_bytes, human_bytes),
}
LEGEND_W, LEGEND_H, MARGIN = 290, 84, 12
COST_SYNC_NODES = 400  # up to this many nodes the cost comes with the check's result
COST_DEFER_MS = 120  # on bigger graphs, this long after the last check


def defer_cost(node_count: int) -> bool:
    """Whether the cost of a check of a graph this large is computed after it is shown."""
    return node_count > COST_SYNC_NODES


def cost_timer(parent: QObject, callback: Callable[[], None]) -> QTimer:
    """A single-shot timer of :data:`COST_DEFER_MS` (started again by each check)."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(COST_DEFER_MS)
    timer.timeout.connect(callback)
    return timer


def heat_color(t: float) -> QColor:
    """The colour at ``t`` in [0, 1] along :data:`HEAT_STOPS`."""
    t = min(max(t, 0.0), 1.0) * (len(HEAT_STOPS) - 1)
    i = min(int(t), len(HEAT_STOPS) - 2)
    a, b = QColor(HEAT_STOPS[i]), QColor(HEAT_STOPS[i + 1])
    f = t - i
    return QColor(
        round(a.red() + (b.red() - a.red()) * f),
        round(a.green() + (b.green() - a.green()) * f),
        round(a.blue() + (b.blue() - a.blue()) * f),
    )


class HeatScale:
    """A log scale from the smallest positive value to the largest."""

    def __init__(self, values: list[int]) -> None:
        positive = [v for v in values if v > 0]
        self.low = min(positive) if positive else 0
        self.high = max(positive) if positive else 0

    def position(self, value: float) -> float | None:
        """Where ``value`` sits in [0, 1] (``None`` for zero: no colour)."""
        if value <= 0 or self.high <= 0:
            return None
        if self.high == self.low:
            return 1.0
        return math.log(value / self.low) / math.log(self.high / self.low)

    def value_at(self, t: float) -> float:
        """The value at position ``t`` (for the legend's ticks)."""
        if self.high == self.low:
            return float(self.high)
        return self.low * (self.high / self.low) ** t


class CostOverlay(QObject):
    """Toggle (``action``), metric (``mode``) and the legend of the canvas's cost overlay."""

    def __init__(self, view: GraphView) -> None:
        super().__init__(view)
        self.view = view
        self.enabled = False
        self.mode = "macs"
        self.model = CostModel()
        self.report: CostReport | None = None
        self.scale = HeatScale([])
        self.legend = CostLegend(self, view)
        self.action = QAction("&Cost Overlay", view, checkable=True)
        self.action.setShortcut("Ctrl+Shift+K")
        self.action.setStatusTip("Colour each layer by its MACs or memory, with a legend")
        self.action.toggled.connect(self.set_enabled)
        self._deferred = cost_timer(self, self.refresh)

    def on_checked(self) -> None:
        """A check has been shown: recolour now, or shortly on a big graph."""
        scene = self.view.graph_scene()
        if self.enabled and scene is not None and defer_cost(len(scene.node_items)):
            self._deferred.start()
        else:
            self.refresh()

    def set_enabled(self, on: bool) -> None:
        """Show or hide the overlay (View > Cost Overlay)."""
        self.enabled = on
        if self.action.isChecked() != on:
            self.action.setChecked(on)
        self.refresh()

    def set_mode(self, mode: str) -> None:
        """Colour by ``"macs"``, ``"activations"`` or ``"params"``."""
        if mode not in MODES:
            raise ValueError(f"unknown cost overlay mode {mode!r}")
        self.mode = mode
        self.legend.sync_mode()
        self.refresh()

    def refresh(self) -> None:
        """Recompute the cost from the scene's latest check and recolour the nodes."""
        self._deferred.stop()
        scene = self.view.graph_scene()
        if scene is None:
            return
        result = scene.last_check
        if not self.enabled or result is None or scene.pending_shapes:
            self.report = None
            cleared = False
            for item in scene.node_items.values():
                if item.heat is not None or item.heat_text is not None:
                    item.set_heat(None, None)
                    cleared = True
            if cleared:  # the overlay was on: the minimap showed its colours
                self.view.minimap.refresh()
            self.legend.setVisible(self.enabled)
            self.legend.update()
            return
        self.report = self.model.compute(scene.graph, result)
        self._paint_nodes(scene, self.report)
        self.legend.place()
        self.legend.show()
        self.legend.raise_()
        self.legend.update()
        self.view.minimap.refresh()

    def _paint_nodes(self, scene: GraphScene, report: CostReport) -> None:
        _, _, value_of, text_of = MODES[self.mode]
        self.scale = HeatScale([value_of(c) for c in report.nodes.values()])
        for nid, item in scene.node_items.items():
            cost = report.nodes.get(nid)
            if cost is None:
                item.set_heat(None, "cost unknown")
                continue
            value = value_of(cost)
            t = self.scale.position(value)
            item.set_heat(None if t is None else heat_color(t), text_of(value))

    def node_color(self, node_id: str) -> QColor | None:
        """The heat colour a node has now (``None``: no colour)."""
        scene = self.view.graph_scene()
        item = scene.node_items.get(node_id) if scene else None
        return item.heat if item is not None else None


class CostLegend(QWidget):
    """The colour scale with its units, and the metric's choice, in the canvas's corner."""

    def __init__(self, overlay: CostOverlay, view: GraphView) -> None:
        super().__init__(view)
        self.overlay = overlay
        self.view = view
        self.setObjectName("costLegend")
        self.setFixedSize(LEGEND_W, LEGEND_H)
        self.choice = QComboBox(self)
        self.choice.setObjectName("costMode")
        for key, (text, *_rest) in MODES.items():
            self.choice.addItem(text, key)
        self.choice.setToolTip("What the colours show")
        self.choice.currentIndexChanged.connect(
            lambda i: self.overlay.set_mode(self.choice.itemData(i))
        )
        self.choice.adjustSize()
        self.choice.move(LEGEND_W - self.choice.width() - 6, 5)
        self.hide()

    def sync_mode(self) -> None:
        """Show the overlay's mode in the choice."""
        index = self.choice.findData(self.overlay.mode)
        if index != self.choice.currentIndex():
            self.choice.blockSignals(True)
            self.choice.setCurrentIndex(index)
            self.choice.blockSignals(False)

    def place(self) -> None:
        """Stay in the view's top-left corner."""
        vp = self.view.viewport().geometry()
        self.move(vp.left() + MARGIN, vp.top() + MARGIN)

    def tick_texts(self) -> list[str]:
        """The labels under the colour bar (lowest, middle, highest), with units."""
        scale = self.overlay.scale
        if scale.high <= 0:
            return []
        text_of = MODES[self.overlay.mode][3]
        if scale.high == scale.low:
            return [text_of(scale.high)]
        return [text_of(scale.value_at(t)) for t in (0.0, 0.5, 1.0)]

    def paintEvent(self, event: QPaintEvent) -> None:
        scene = self.view.graph_scene()
        if scene is None:
            return
        c = scene.colors
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        frame = QColor(c.node_fill)
        frame.setAlpha(240)
        p.setPen(QPen(c.node_border, 1.0))
        p.setBrush(frame)
        p.drawRoundedRect(QRectF(0.5, 0.5, LEGEND_W - 1, LEGEND_H - 1), 6, 6)
        title = QFont()
        title.setPixelSize(12)
        title.setWeight(QFont.Weight.DemiBold)
        p.setFont(title)
        p.setPen(c.text)
        top_h = self.choice.height() + 10
        p.drawText(QRectF(10, 0, 160, top_h), Qt.AlignmentFlag.AlignVCenter, "Cost overlay")
        bar = QRectF(10, top_h, LEGEND_W - 20, 12)
        grad = QLinearGradient(QPointF(bar.left(), 0), QPointF(bar.right(), 0))
        for i, stop in enumerate(HEAT_STOPS):
            grad.setColorAt(i / (len(HEAT_STOPS) - 1), QColor(stop))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(grad)
        p.drawRoundedRect(bar, 3, 3)
        small = QFont()
        small.setPixelSize(11)
        p.setFont(small)
        p.setPen(c.text)
        ticks = self.tick_texts()
        row = QRectF(bar.left(), bar.bottom() + 2, bar.width(), 16)
        aligns = (Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignHCenter)
        aligns += (Qt.AlignmentFlag.AlignRight,)
        if len(ticks) == 3:
            for text, align in zip(ticks, aligns, strict=True):
                p.drawText(row, align | Qt.AlignmentFlag.AlignTop, text)
        elif ticks:
            p.drawText(row, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, ticks[0])
        p.setPen(c.muted)
        note = f"{MODES[self.overlay.mode][1]} · log scale · no halo = 0"
        if self.overlay.report is None:
            note = "Waiting for shapes (engine loading)…"
        p.drawText(
            QRectF(10, row.bottom(), LEGEND_W - 20, LEGEND_H - row.bottom() - 2),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            note,
        )
        p.end()
