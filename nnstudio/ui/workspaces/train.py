"""The Train (and Insight) workspaces' live map of the graph.

The panels of these workspaces are the training controller's
(:mod:`nnstudio.ui.training.controller`): Train has the settings form with the log, the live
charts, this map and the runs list; Insight has this map, the selected layer's activations
and the evaluation.  The map shows the canvas's own scene (so the per-node indicators of a
run appear on it live); a click selects a node everywhere.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QMouseEvent, QPainter, QResizeEvent
from PySide6.QtWidgets import QGraphicsView, QSizePolicy


class GraphOverview(QGraphicsView):
    """A read-only, always-fitted view of the open project's graph."""

    def __init__(self, window: Any) -> None:
        super().__init__()
        self.window = window
        self.setObjectName("graphOverview")
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setInteractive(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip("The model; click a layer to select it in every workspace")
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(150)
        self._fit_timer.timeout.connect(self.fit)
        window.project_changed.connect(self._follow_scene)
        self._follow_scene()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return QSize(280, 240)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return QSize(120, 80)

    def _follow_scene(self) -> None:
        scene = self.window.canvas.graph_scene()
        if scene is self.scene():
            return
        self.setScene(scene)
        if scene is not None:
            scene.changed.connect(self._schedule_fit)
        self._schedule_fit()

    def _schedule_fit(self, *_: Any) -> None:
        if not self._fit_timer.isActive():
            self._fit_timer.start()

    def fit(self) -> None:
        """Show the whole graph (at most 100 %)."""
        scene = self.window.canvas.graph_scene()
        if scene is None or not scene.node_items:
            return
        rect = scene.nodes_rect().adjusted(-20, -20, 20, 20)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > 1.0:
            self.resetTransform()
            self.centerOn(rect.center())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self._schedule_fit()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt name
        scene = self.window.canvas.graph_scene()
        if scene is None:
            return
        point = self.mapToScene(event.position().toPoint())
        for node_id, item in scene.node_items.items():
            if item.sceneBoundingRect().contains(point):
                self.window.select_nodes([node_id])
                return
        self.window.select_nodes([])
