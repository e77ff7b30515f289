"""The scene: one item per node and per edge, kept in step with the Graph's events.

The scene never changes the model.  It is told what the model did (``node_added``,
``edge_removed`` ...) and what the last check found (:meth:`GraphScene.apply_check`), and it
reports which nodes the user dragged where (:meth:`GraphScene.moved_positions`) so that the
view can turn a drag into a ``MoveNodes`` command.
"""

from __future__ import annotations

import bisect
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

from nnstudio.core.graph import model as gm
from nnstudio.core.graph.check import CheckResult
from nnstudio.core.graph.model import Edge, Graph, Node
from nnstudio.core.layout import NODE_H, NODE_W
from nnstudio.core.objectives import short_loss
from nnstudio.ui.canvas.block_items import make_node_item
from nnstudio.ui.canvas.gan_frames import RegionFrames
from nnstudio.ui.canvas.items import EdgeItem, NodeItem, NodeStatus
from nnstudio.ui.theme import CanvasColors, canvas_colors

GRID = 24.0
_NONE = object()  # no result applied to a node yet
SCENE_MARGIN = 2000.0


class GraphScene(QGraphicsScene):
    """Mirrors ``graph``: call :meth:`detach` before dropping the scene.

    ``checked`` is emitted after :meth:`apply_check` has shown a result (``last_check``).
    """

    checked = Signal()

    def __init__(
        self, graph: Graph, colors: CanvasColors | None = None, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.graph = graph
        self.colors = colors or canvas_colors()
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[Edge, EdgeItem] = {}
        self._edges_at: dict[str, set[EdgeItem]] = {}
        self._indicators: dict[str, tuple[str, QColor | None]] = {}
        self._statuses: dict[str, NodeStatus] = {}
        self.pending_shapes = True
        self.last_check: CheckResult | None = None
        self._rects: tuple[list[float], list[QRectF]] | None = None
        self._all_rect: tuple[Any, QRectF] | None = None  # nodes_rect(), keyed by _rects
        self._scene_rect: QRectF | None = None  # set by _grow_scene_rect
        self._map_revision = 0  # bumped when a node's colour on the minimap may change
        self._applied: dict[str, Any] = {}  # the result object each node's status is from
        self._with_issues: set[str] = set()  # nodes the last check found issues on
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.region_frames = RegionFrames(self)  # GAN regions (set by ui.gan.link)
        for node in graph.nodes.values():
            self._add_node(node)
        for edge in graph.edges:
            self._add_edge(edge, sync_ports=False)
        self._sync_ports(*self.node_items)  # once per node, not once per edge
        self._sync_outputs()
        self._sync_merge_order()
        self._grow_scene_rect()
        graph.subscribe(self._on_event)

    def detach(self) -> None:
        """Stop mirroring the graph."""
        self.graph.unsubscribe(self._on_event)

    # -- model events -----------------------------------------------------------------
    def _on_event(self, event: str, payload: Any) -> None:
        if event == gm.NODE_ADDED:
            self._add_node(payload)
            self._grow_scene_rect()
        elif event == gm.NODE_REMOVED:
            self._remove_node(payload.id)
        elif event == gm.NODE_CHANGED:
            item = self.node_items.get(payload.id)
            if item is not None:
                category = item.spec.category
                item.sync(payload)
                if item.spec.category != category:  # the minimap colours by category
                    self._map_revision += 1
        elif event == gm.NODE_MOVED:
            item = self.node_items.get(payload.id)
            if item is not None and (item.pos().x(), item.pos().y()) != payload.pos:
                item.setPos(QPointF(*payload.pos))
            self._grow_scene_rect()
        elif event == gm.EDGE_ADDED:
            self._add_edge(payload)
            self._sync_merge_order()
        elif event == gm.EDGE_REMOVED:
            self._remove_edge(payload)
            self._sync_merge_order()
        elif event == gm.OUTPUTS_CHANGED:
            self._sync_outputs()
        self.region_frames.on_event(event, payload)

    def _add_node(self, node: Node) -> None:
        self._rects = None
        self._map_revision += 1
        item = make_node_item(node, self.colors, self.graph)
        status = self._statuses.get(node.id)
        item.set_status(status or NodeStatus(pending=True))
        if node.id in self._indicators:
            item.set_indicator(*self._indicators[node.id])
        self.node_items[node.id] = item
        self._edges_at.setdefault(node.id, set())
        self.addItem(item)
        item.follow_moves()

    def _remove_node(self, node_id: str) -> None:
        self._rects = None
        self._map_revision += 1
        for edge_item in list(self._edges_at.get(node_id, ())):
            self._remove_edge(edge_item.edge)
        self._edges_at.pop(node_id, None)
        self._applied.pop(node_id, None)
        self._statuses.pop(node_id, None)
        item = self.node_items.pop(node_id, None)
        if item is not None:
            self.removeItem(item)

    def _add_edge(self, edge: Edge, sync_ports: bool = True) -> None:
        src, dst = self.node_items.get(edge.src), self.node_items.get(edge.dst)
        if src is None or dst is None or edge in self.edge_items:
            return
        item = EdgeItem(edge, src, dst, self.colors, self.lane_blocked, self.nodes_band)
        self.edge_items[edge] = item
        self._edges_at[edge.src].add(item)
        self._edges_at[edge.dst].add(item)
        self.addItem(item)
        if sync_ports:
            self._sync_ports(edge.src, edge.dst)

    def _remove_edge(self, edge: Edge) -> None:
        item = self.edge_items.pop(edge, None)
        if item is None:
            return
        self._edges_at.get(edge.src, set()).discard(item)
        self._edges_at.get(edge.dst, set()).discard(item)
        self.removeItem(item)
        self._sync_ports(edge.src, edge.dst)

    def _sync_ports(self, *node_ids: str) -> None:
        for nid in node_ids:
            item = self.node_items.get(nid)
            if item is None:
                continue
            connected = {e.edge.port for e in self._edges_at.get(nid, ()) if e.edge.dst == nid}
            if any(e.edge.src == nid for e in self._edges_at.get(nid, ())):
                connected.add("out")
            if connected != item.connected:
                item.connected = connected
                item.update()

    def _sync_outputs(self) -> None:
        declared = {o.node: o for o in self.graph.outputs}
        for nid, item in self.node_items.items():
            decl = declared.get(nid)
            item.set_output(decl is not None, short_loss(decl.loss) if decl else "")

    def _sync_merge_order(self) -> None:
        counts: dict[tuple[str, str], int] = {}
        for edge in self.graph.edges:
            item = self.edge_items.get(edge)
            if item is None:
                continue
            if item.dst.spec.variadic:
                key = (edge.dst, edge.port)
                counts[key] = counts.get(key, 0) + 1
                if item.order != counts[key]:
                    item.order = counts[key]
                    item.update()
            elif item.order is not None:
                item.order = None
                item.update()

    # -- drags ------------------------------------------------------------------------
    def node_item_moved(self, item: NodeItem) -> None:
        """Keep the edges of a node glued to it while it moves."""
        self._rects = None
        for edge_item in self._edges_at.get(item.node_id, ()):
            edge_item.update_path()
        self.region_frames.node_moved(item.node_id)

    def moved_positions(self) -> dict[str, tuple[float, float]]:
        """Nodes whose item has been dragged away from the model's position."""
        moved = {}
        for nid, item in self.node_items.items():
            node = self.graph.nodes.get(nid)
            pos = (round(item.pos().x(), 2), round(item.pos().y(), 2))
            if node is not None and pos != (round(node.pos[0], 2), round(node.pos[1], 2)):
                moved[nid] = (item.pos().x(), item.pos().y())
        return moved

    def _node_rects(self) -> tuple[list[float], list[QRectF]]:
        """Node bodies sorted by their left edge (cached until a node is added or moves)."""
        if self._rects is None:
            rects = sorted(
                (
                    QRectF(i.pos().x(), i.pos().y(), NODE_W, NODE_H)
                    for i in self.node_items.values()
                ),
                key=QRectF.left,
            )
            self._rects = ([r.left() for r in rects], rects)
        return self._rects

    def _rects_between(self, x1: float, x2: float) -> list[QRectF]:
        lefts, rects = self._node_rects()
        start = bisect.bisect_left(lefts, x1 - NODE_W)
        end = bisect.bisect_right(lefts, x2)
        return [r for r in rects[start:end] if r.right() > x1 and r.left() < x2]

    def lane_blocked(self, x1: float, x2: float, y: float) -> bool:
        """True if a node's body crosses the horizontal lane ``y`` between ``x1`` and ``x2``."""
        return any(r.top() - 10.0 < y < r.bottom() + 10.0 for r in self._rects_between(x1, x2))

    def nodes_band(self, x1: float, x2: float) -> tuple[float, float]:
        """Top and bottom of the node bodies between ``x1`` and ``x2``."""
        rects = self._rects_between(x1, x2)
        if not rects:
            return 0.0, 0.0
        return min(r.top() for r in rects), max(r.bottom() for r in rects)

    def _grow_scene_rect(self) -> None:
        """Keep the scene rectangle a margin wider than the nodes (it never shrinks: the
        view does not jump when a node is removed)."""
        bounds = self._bodies_rect().adjusted(
            -SCENE_MARGIN, -SCENE_MARGIN, SCENE_MARGIN, SCENE_MARGIN
        )
        current = self._scene_rect
        if current is None:
            self._scene_rect = bounds
            self.setSceneRect(bounds)
        elif not current.contains(bounds):
            self._scene_rect = current.united(bounds)
            self.setSceneRect(self._scene_rect)

    def _bodies_rect(self) -> QRectF:
        """The nodes' bodies and anything an item draws around them (ports, pills, an
        expanded block's frame); edges stay within the scene margin of the bodies."""
        _, rects = self._node_rects()
        if not rects:
            return QRectF(0, 0, 1, 1)
        rect = QRectF(
            QPointF(rects[0].left(), min(r.top() for r in rects)),
            QPointF(max(r.right() for r in rects), max(r.bottom() for r in rects)),
        ).adjusted(-48.0, -12.0, 12.0, 36.0)
        for item in self.node_items.values():
            if getattr(item, "expanded", False):  # a block shown as a frame is larger
                rect = rect.united(item.sceneBoundingRect())
        return rect

    # -- check results, indicators, colours -----------------------------------------
    def apply_check(self, result: CheckResult, pending_shapes: bool) -> None:
        """Show a check's issues, shapes and parameter counts on the nodes."""
        by_node: dict[str, list] = {}
        for issue in result.issues:
            if issue.node is not None:
                by_node.setdefault(issue.node, []).append(issue)
        shapes = result.shapes
        applied = self._applied
        if pending_shapes != self.pending_shapes or not applied:
            touched: set[str] = set(self.node_items)
        else:
            # An incremental check keeps the result object of each node it did not touch:
            # only the nodes whose object changed, or with issues now or before, can show
            # something new (at 5,000 nodes an edit touches a few hundred).
            touched = {nid for nid, shape in shapes.items() if applied.get(nid, _NONE) is not shape}
            touched.update(
                n for n, shape in applied.items() if shape is not None and n not in shapes
            )
            touched.update(self.node_items.keys() - applied.keys())
            touched.update(by_node)
            touched.update(self._with_issues)
        self.pending_shapes = pending_shapes
        self._with_issues = set()
        for nid in touched:
            item = self.node_items.get(nid)
            if item is None:
                continue
            shape = applied[nid] = shapes.get(nid)
            issues = tuple(by_node.get(nid, ()))
            if issues:
                self._with_issues.add(nid)
            severity = (
                "error"
                if any(i.severity == "error" for i in issues)
                else "warning"
                if issues
                else None
            )
            status = NodeStatus(
                severity,
                issues,
                shape.shape if shape else None,
                shape.params if shape else None,
                pending_shapes,
            )
            self._statuses[nid] = status
            if status != item.status:
                if status.severity != item.status.severity:
                    self._map_revision += 1
                item.set_status(status)
        self.last_check = result
        self.checked.emit()

    def output_shape(self, node_id: str) -> tuple[int | None, ...] | None:
        """The node's output shape as the last check inferred it (an Input's from its own
        parameters before shapes are inferred); ``None`` when not known."""
        status = self._statuses.get(node_id)
        if status is not None and status.shape is not None:
            return status.shape
        node = self.graph.nodes.get(node_id)
        if node is not None and node.spec.is_input:
            shape = node.params.get("shape")
            dims = shape if isinstance(shape, (list, tuple)) else ()
            if dims and all(d is None or (isinstance(d, int) and d > 0) for d in dims):
                return (None, *dims)
        return None

    def set_node_indicator(self, node_id: str, text: str | None, color: str | None = None) -> None:
        """A small live label under a node; ``text=None`` removes it."""
        qcolor = QColor(color) if color else None
        if text is None:
            self._indicators.pop(node_id, None)
        else:
            self._indicators[node_id] = (text, qcolor)
        item = self.node_items.get(node_id)
        if item is not None:
            item.set_indicator(text, qcolor)

    def set_colors(self, colors: CanvasColors) -> None:
        """Repaint everything with another palette."""
        self.colors = colors
        self._map_revision += 1
        for item in self.node_items.values():
            item.set_colors(colors)
        for edge in self.edge_items.values():
            edge.set_colors(colors)
        self.region_frames.set_colors(colors)
        self.update()

    # -- selection --------------------------------------------------------------------
    def selected_node_ids(self) -> list[str]:
        """Selected nodes, in graph order."""
        chosen = {i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)}
        return [nid for nid in self.graph.nodes if nid in chosen]

    def selected_edges(self) -> list[Edge]:
        """Selected edges, in graph order."""
        chosen = {i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)}
        return [e for e in self.graph.edges if e in chosen]

    def select_nodes(self, node_ids: list[str] | set[str]) -> None:
        """Select exactly these nodes."""
        wanted = set(node_ids)
        self.blockSignals(True)
        try:
            self.clearSelection()
            for nid in wanted:
                item = self.node_items.get(nid)
                if item is not None:
                    item.setSelected(True)
        finally:
            self.blockSignals(False)
        self.selectionChanged.emit()

    def node_at(self, pos: QPointF) -> NodeItem | None:
        """The topmost node under a scene position."""
        for item in self.items(
            pos,
            Qt.ItemSelectionMode.IntersectsItemShape,
            Qt.SortOrder.DescendingOrder,
            QTransform(),
        ):
            if isinstance(item, NodeItem):
                return item
        return None

    def edge_near(self, pos: QPointF) -> EdgeItem | None:
        """An edge passing within a few pixels of a scene position (not under a node)."""
        area = QRectF(pos.x() - 4, pos.y() - 4, 8, 8)
        for item in self.items(
            area,
            Qt.ItemSelectionMode.IntersectsItemShape,
            Qt.SortOrder.DescendingOrder,
            QTransform(),
        ):
            if isinstance(item, NodeItem):
                return None
            if isinstance(item, EdgeItem):
                return item
        return None

    def nodes_rect(self, node_ids: list[str] | None = None) -> QRectF:
        """The bounding rectangle of some nodes (all nodes by default; that one is kept until
        a node is added, removed or moves: the minimap asks for it after every edit)."""
        if node_ids is None:
            key = self._node_rects()
            if self._all_rect is None or self._all_rect[0] is not key:
                self._all_rect = (key, self._union(list(self.node_items.values())))
            return QRectF(self._all_rect[1])
        items: list[QGraphicsItem] = [
            self.node_items[n] for n in (node_ids or self.node_items) if n in self.node_items
        ]
        return self._union(items)

    @staticmethod
    def _union(items: list[QGraphicsItem]) -> QRectF:
        rect = QRectF()
        for item in items:
            rect = rect.united(item.sceneBoundingRect())
        return rect

    def map_key(self) -> tuple[int, list[QRectF], list[str]]:
        """What the minimap's drawing depends on, to tell whether it must be drawn again:
        a revision of the nodes' colours, the nodes' places (a list made anew whenever a
        node is added, removed or moves) and the selection."""
        return self._map_revision, self.node_places(), self.selected_node_ids()

    def node_places(self) -> list[QRectF]:
        """The nodes' bodies, sorted by their left edge: a list made anew whenever a node is
        added, removed or moves (the same list object until then)."""
        return self._node_rects()[1]

    # -- background -------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, self.colors.background)
        scale = painter.worldTransform().m11()
        if scale < 0.45:
            return
        step = GRID if scale >= 0.9 else GRID * 2
        left = int(rect.left() // step) * step
        top = int(rect.top() // step) * step
        points = []
        y = top
        while y < rect.bottom():
            x = left
            while x < rect.right():
                points.append(QPointF(x, y))
                x += step
            y += step
        pen = QPen(self.colors.grid, 1.6 / max(scale, 0.01))
        painter.setPen(pen)
        painter.drawPoints(points)
