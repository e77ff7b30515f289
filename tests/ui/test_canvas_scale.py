"""What the canvas does differently for big graphs still shows the same things: hover texts
built on hover, the minimap's batched drawing, the cost that follows a check a moment later,
moves followed after the items are built, and the collection a new project postpones."""

from __future__ import annotations

import gc
import html

from PySide6.QtCore import QEvent, QPoint, QPointF
from PySide6.QtGui import QHelpEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QGraphicsItem, QGraphicsView, QToolTip
from ui_helpers import chain_project, node_center, node_id, show

from nnstudio.core.graph import GraphChecker
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.check import CheckResult
from nnstudio.core.graph.commands import AddNode, SetParam
from nnstudio.core.graph.validation import Issue
from nnstudio.core.layout import NODE_H, NODE_W
from nnstudio.core.project import Project
from nnstudio.ui.canvas import cost_overlay
from nnstudio.ui.canvas.minimap import Minimap
from nnstudio.ui.canvas.scene import GraphScene
from nnstudio.ui.issues_panel import COST_PENDING


def _join_graph():
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(4,), pos=(0.0, 0.0))
    h = b.add("Dense", x, name="a", units=4, pos=(300.0, 0.0))
    r = b.add("Dense", h, name="b", units=4, pos=(600.0, 200.0))
    b.output(b.add("Add", [h, r], name="join", pos=(900.0, 0.0)), "mse", [])
    return b.graph


def _tooltip_on_hover(window, name: str) -> str:
    """Move the mouse onto a node and ask the viewport for its tooltip, as Qt does."""
    view = window.canvas
    view.center_on_node(node_id(window, name))
    QApplication.processEvents()
    point = node_center(window, name)
    QTest.mouseMove(view.viewport(), point - QPoint(30, 0))
    QTest.mouseMove(view.viewport(), point)
    QApplication.processEvents()
    event = QHelpEvent(QEvent.Type.ToolTip, point, view.viewport().mapToGlobal(point))
    QApplication.sendEvent(view.viewport(), event)
    return QToolTip.text()


def test_a_node_builds_its_hover_text_when_hovered_and_shows_the_issue(window, wait_checked):
    show(window, Project(graph=_join_graph()))
    wait_checked(window)
    scene = window.canvas.graph_scene()
    join = scene.node_items[node_id(window, "join")]
    other = scene.node_items[node_id(window, "a")]
    assert QGraphicsItem.toolTip(other) == ""  # nothing set on an item never hovered
    text = _tooltip_on_hover(window, "join")
    assert text.startswith("<b>join</b> — Add") and "<p style" not in text
    assert window.push(SetParam(window.graph, node_id(window, "b"), "units", 5))
    wait_checked(window)
    assert join.status.severity == "error"
    text = _tooltip_on_hover(window, "join")  # still under the mouse: the new text
    assert html.escape(join.status.issues[0].message) in text
    QTest.mouseMove(window.canvas.viewport(), QPoint(2, 2))
    QToolTip.hideText()
    window.undo_stack.undo()
    wait_checked(window)
    assert "<p style" not in _tooltip_on_hover(window, "join")  # a fresh text on the next hover


def test_the_minimap_draws_every_node_in_its_colour_errors_on_top(qapp):
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(4,), pos=(0.0, 0.0))
    for i in range(60):  # overlapping boxes on the map: 60 nodes in a 200 px wide frame
        x = b.add("Dense", x, name=f"d{i}", units=4, pos=(260.0 * (i + 1), 0.0))
    b.add("Dense", name="lonely", units=4, pos=(260.0 * 31, 600.0))  # no input: an error
    graph = b.graph
    scene = GraphScene(graph)
    try:
        view = QGraphicsView(scene)

        class Host:
            def viewport(self):
                return view.viewport()

            def graph_scene(self):
                return scene

            def visible_scene_rect(self):
                return view.mapToScene(view.viewport().rect()).boundingRect()

            def centerOn(self, pos):  # noqa: N802
                view.centerOn(pos)

        minimap = Minimap(Host(), view)
        minimap.refresh()
        scene.apply_check(GraphChecker().check(graph), False)
        bad = scene.node_items[graph.node_by_name("lonely").id]
        assert bad.status.severity == "error"
        scene.select_nodes([graph.node_by_name("d10").id])
        groups = minimap.node_rects(scene)
        assert sum(len(rects) for _, rects in groups) == len(graph.nodes)
        colors = [color.rgb() for color, _ in groups]
        assert colors[-2:] == [scene.colors.error.rgb(), scene.colors.selection.rgb()]
        for step in ("as built", "after a move"):
            if step == "after a move":  # the boxes are placed again
                moved = scene.node_items[graph.node_by_name("d40").id]
                moved.setPos(moved.pos() + QPointF(0.0, 900.0))
                minimap.refresh()
            layer = minimap._render_layer().toImage()
            scale, off = minimap._transform()
            ratio = layer.devicePixelRatio()
            for nid, item in scene.node_items.items():  # each box is on the picture
                center = QPointF(
                    (item.pos().x() + NODE_W / 2) * scale + off.x(),
                    (item.pos().y() + NODE_H / 2) * scale + off.y(),
                )
                pixel = layer.pixelColor(round(center.x() * ratio), round(center.y() * ratio))
                if nid == bad.node_id:  # drawn over its neighbours: the error shows
                    assert pixel.rgb() == scene.colors.error.rgb(), step
                else:  # a box, not the frame's translucent fill
                    assert pixel.alpha() == 255, (step, nid)
    finally:
        scene.detach()


def test_the_minimap_is_drawn_again_only_when_what_it_shows_changed(window, wait_checked):
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(4,), pos=(0.0, 0.0))
    for i in range(40):
        x = b.add("Dense", x, name=f"d{i}", units=4, pos=(260.0 * (i + 1), 0.0))
    left = b.add("Dense", x, name="left", units=4, pos=(260.0 * 41, 0.0))
    right = b.add("Dense", x, name="right", units=4, pos=(260.0 * 41, 200.0))
    b.add("Add", [left, right], name="join", pos=(260.0 * 42, 0.0))
    show(window, Project(graph=b.graph))
    wait_checked(window)
    minimap = window.canvas.minimap
    drawn = []
    original = minimap._render_layer

    def counting():
        drawn.append(1)
        return original()

    minimap._render_layer = counting
    assert minimap.isVisible()  # the graph does not fit the view
    minimap.refresh()
    minimap.repaint()
    assert len(drawn) == 1
    item = window.canvas.graph_scene().node_items[node_id(window, "d5")]
    item.update()  # a repaint of a node: nothing the map shows
    minimap.refresh_if_changed()
    minimap.repaint()
    assert len(drawn) == 1
    item.setPos(item.pos() + QPointF(0, 400))  # a move: drawn again
    minimap.refresh_if_changed()
    minimap.repaint()
    assert len(drawn) == 2
    window.canvas.graph_scene().select_nodes([item.node_id])  # the selection: again
    minimap.refresh_if_changed()
    minimap.repaint()
    assert len(drawn) == 3
    assert window.push(SetParam(window.graph, node_id(window, "right"), "units", 5))  # an error
    wait_checked(window)
    assert window.canvas.graph_scene().node_items[node_id(window, "join")].status.severity
    minimap.refresh_if_changed()
    minimap.repaint()
    assert len(drawn) == 4


def test_a_big_graph_gets_its_cost_a_moment_after_the_check(
    window, wait_checked, monkeypatch, qtbot
):
    monkeypatch.setattr(cost_overlay, "COST_SYNC_NODES", 2)  # the chain's 3 nodes count as big
    show(window, chain_project())
    wait_checked(window)
    panel = window.issues_panel
    overlay = window.canvas.cost_overlay
    overlay.set_enabled(True)  # switching on computes at once
    hidden = window.canvas.graph_scene().node_items[node_id(window, "hidden")]
    scores = window.canvas.graph_scene().node_items[node_id(window, "scores")]
    assert hidden.heat_text == "128 MACs"
    seen = []  # what shows when the check's result is shown

    def on_checked(_result) -> None:
        seen.append((panel.cost_pending(), panel.summary.text(), scores.heat_text))

    window.graph_checked.connect(on_checked)
    assert window.push(SetParam(window.graph, node_id(window, "scores"), "units", 100))
    wait_checked(window)
    pending, summary, heat = seen[-1]
    assert pending and COST_PENDING in summary and "MACs" not in summary
    assert heat == "48 MACs"  # the overlay's colours follow shortly too
    qtbot.waitUntil(lambda: not panel.cost_pending(), timeout=5000)
    # 8 x 16 + 16 x 100 MACs: the deferred cost is the cost of the latest check.
    assert "1.73 k MACs" in panel.summary.text()
    assert COST_PENDING not in panel.summary.text()
    qtbot.waitUntil(lambda: scores.heat_text == "1.6 k MACs", timeout=5000)
    assert scores.heat is not None


def test_a_small_graph_gets_its_cost_with_the_check(window, wait_checked):
    show(window, chain_project())
    wait_checked(window)
    assert not window.issues_panel.cost_pending()
    assert "176 MACs" in window.issues_panel.summary.text()


def test_nodes_moved_or_added_after_the_scene_is_built_pull_their_edges(qapp):
    graph = _join_graph()
    scene = GraphScene(graph)
    try:
        b = scene.node_items[graph.node_by_name("b").id]
        edge = next(e for e in scene.edge_items.values() if e.edge.src == b.node_id)
        b.setPos(b.pos() + QPointF(40.0, 300.0))  # as a drag moves it
        assert edge._path.pointAtPercent(0.0) == b.port_scene_pos("out")
        assert scene.nodes_rect().bottom() >= b.pos().y() + NODE_H
        AddNode(graph, "Dense", name="late", pos=(900.0, 0.0), params={"units": 2}).redo()
        late = scene.node_items[graph.node_by_name("late").id]
        late.setPos(QPointF(900.0, 800.0))
        assert scene.nodes_rect().bottom() >= 800.0 + NODE_H
    finally:
        scene.detach()


def test_opening_a_project_postpones_the_next_collection_which_still_comes(window, qtbot):
    from nnstudio.ui import collector

    gui = collector.install()
    gui._timer.setInterval(300)
    try:

        class Cycle:
            def __init__(self) -> None:
                self.me = self

        collected_before = gui.collections
        for _ in range(3 * gc.get_threshold()[0]):
            Cycle()
        window.set_project(chain_project())
        assert gui._timer.remainingTime() > 200  # a whole interval from the opening
        qtbot.waitUntil(lambda: gui.collections > collected_before, timeout=5000)
    finally:
        gui._timer.setInterval(collector.INTERVAL_MS)


def test_statuses_after_incremental_checks_match_a_fresh_scene(qapp):
    b = GraphBuilder()
    h = b.add("Input", name="x", shape=(8,), pos=(0.0, 0.0))
    for i in range(6):
        r = b.add("Dense", h, name=f"r{i}", units=8, pos=(260.0 * (2 * i + 1), 200.0))
        h = b.add("Add", [h, r], name=f"j{i}", pos=(260.0 * (2 * i + 2), 0.0))
    b.output(h, "mse", [])
    graph = b.graph
    scene = GraphScene(graph)
    checker = GraphChecker()
    try:
        scene.apply_check(checker.check(graph), True)  # structure only (engine loading)
        scene.apply_check(checker.check(graph), False)
        r2 = graph.node_by_name("r2").id
        for units in (9, 8, 7, 8):  # break the join j2 (everything after unknown), mend it
            SetParam(graph, r2, "units", units).redo()
            scene.apply_check(checker.check(graph), False)
            assert checker.incremental  # the path that keeps untouched nodes' results
            fresh = GraphScene(graph)
            fresh.apply_check(GraphChecker().check(graph), False)
            for nid, item in scene.node_items.items():
                assert item.status == fresh.node_items[nid].status, (units, nid)
            fresh.detach()
        j5 = scene.node_items[graph.node_by_name("j5").id]
        assert j5.status.shape == (None, 8) and j5.status.severity is None
        # An issue from outside the graph (a missing data file) comes and goes while every
        # node's result object stays the same.
        result = checker.check(graph)
        x = graph.node_by_name("x").id
        missing = Issue("error", x, "The data file is missing.", code="data-missing")
        scene.apply_check(CheckResult([missing, *result.issues], result.shapes), False)
        assert scene.node_items[x].status.severity == "error"
        scene.apply_check(CheckResult(list(result.issues), result.shapes), False)
        assert scene.node_items[x].status.severity is None
    finally:
        scene.detach()
