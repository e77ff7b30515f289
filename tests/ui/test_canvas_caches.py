"""The canvas' caches for big graphs follow the edits they depend on."""

from __future__ import annotations

import html

from PySide6.QtCore import QRectF

from nnstudio.core.graph import GraphChecker
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import MoveNodes, SetParam
from nnstudio.ui.canvas.scene import GraphScene


def _graph():
    b = GraphBuilder()
    h = b.add("Dense", b.add("Input", name="x", shape=(4,)), name="a", units=4)
    r = b.add("Dense", h, name="b", units=4)
    b.output(b.add("Add", [h, r], name="join"), "mse", [])
    return b.graph


def _union(scene: GraphScene) -> QRectF:
    rect = QRectF()
    for item in scene.node_items.values():
        rect = rect.united(item.sceneBoundingRect())
    return rect


def test_the_rectangle_of_all_nodes_follows_moves_adds_and_removals(qapp) -> None:
    graph = _graph()
    scene = GraphScene(graph)
    try:
        assert scene.nodes_rect() == _union(scene)
        node = graph.node_by_name("b")
        MoveNodes(graph, {node.id: (node.pos[0] + 900.0, node.pos[1] - 700.0)}).redo()
        assert scene.nodes_rect() == _union(scene) and scene.nodes_rect().width() > 900
        scene.node_items[node.id].setPos(-2000.0, 0.0)  # dragged, not yet a command
        assert scene.nodes_rect() == _union(scene) and scene.nodes_rect().left() < -2000
    finally:
        scene.detach()


def test_the_hover_text_follows_the_issues_not_the_shapes(qapp) -> None:
    graph = _graph()
    scene = GraphScene(graph)
    checker = GraphChecker()
    try:
        scene.apply_check(checker.check(graph), False)
        join = scene.node_items[graph.node_by_name("join").id]
        assert "<p style" not in join.toolTip()  # no issue paragraph
        b = graph.node_by_name("b")
        SetParam(graph, b.id, "units", 5).redo()  # the Add's inputs no longer match
        scene.apply_check(checker.check(graph), False)
        assert (
            join.status.severity == "error"
            and html.escape(join.status.issues[0].message) in join.toolTip()
        )
        SetParam(graph, b.id, "units", 4).redo()
        scene.apply_check(checker.check(graph), False)
        assert join.status.severity is None and "<p style" not in join.toolTip()
    finally:
        scene.detach()
