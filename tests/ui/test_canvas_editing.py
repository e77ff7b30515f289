"""Editing on the canvas: drops, connections, insertion, deletion, clipboard; undo of each."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from ui_helpers import (
    chain_project,
    drag,
    drop_mime,
    layer_mime,
    node_center,
    node_id,
    port_point,
    show,
)

from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.model import Edge
from nnstudio.core.layout import NODE_H, NODE_W
from nnstudio.core.project import Project


def _loose_project() -> Project:
    """An Input and two unconnected Dense layers."""
    b = GraphBuilder()
    b.add("Input", name="x", shape=(8,), pos=(0.0, 0.0))
    b.add("Dense", name="a", units=4, pos=(300.0, 0.0))
    b.add("Dense", name="b", units=4, pos=(300.0, 200.0))
    return Project(graph=b.graph)


def test_drop_from_palette_creates_layer_where_dropped_and_undo_removes_it(window):
    show(window, chain_project())
    view = window.canvas
    entry = window.palette_panel.item_for("Conv2D")
    mime = window.palette_panel.tree.mimeData([entry])
    target = view.mapFromScene(QPointF(300.0, 400.0))
    before = set(window.graph.nodes)

    drop_mime(view, mime, target)

    added = set(window.graph.nodes) - before
    assert len(added) == 1
    node = window.graph.nodes[added.pop()]
    assert node.key == "Conv2D"
    dropped_at = view.mapToScene(target)
    assert abs(node.pos[0] - (dropped_at.x() - NODE_W / 2)) < 1.0
    assert abs(node.pos[1] - (dropped_at.y() - NODE_H / 2)) < 1.0
    assert node.id in view.graph_scene().node_items
    assert window.canvas.graph_scene().selected_node_ids() == [node.id]
    assert window.inspector.node_id == node.id

    window.undo_stack.undo()
    assert node.id not in window.graph.nodes
    assert node.id not in view.graph_scene().node_items
    window.undo_stack.redo()
    assert window.graph.nodes[node.id].key == "Conv2D"


def test_drag_from_output_port_to_input_port_connects(window):
    show(window, _loose_project())
    drag(window.canvas, port_point(window, "x", "out"), port_point(window, "a", "in"))

    edge = Edge(node_id(window, "x"), node_id(window, "a"), "in")
    assert window.graph.edges == [edge]
    assert edge in window.canvas.graph_scene().edge_items
    assert window.undo_stack.undoText().startswith("Connect")

    window.undo_stack.undo()
    assert window.graph.edges == []
    assert not window.canvas.graph_scene().edge_items
    window.undo_stack.redo()
    assert window.graph.edges == [edge]


def test_drag_from_input_port_backwards_connects_too(window):
    show(window, _loose_project())
    drag(window.canvas, port_point(window, "b", "in"), port_point(window, "x", "out"))
    assert window.graph.edges == [Edge(node_id(window, "x"), node_id(window, "b"), "in")]


def test_refused_connection_is_not_made_and_status_bar_says_why(window):
    show(window, chain_project())
    edges_before = list(window.graph.edges)
    stack_before = window.undo_stack.count()

    # Occupied single-input port: "features" -> "scores" (already fed by "hidden").
    drag(window.canvas, port_point(window, "features", "out"), port_point(window, "scores", "in"))
    assert window.graph.edges == edges_before
    assert "already connected" in window.statusBar().currentMessage()

    # Same node: "hidden" -> "hidden".
    drag(window.canvas, port_point(window, "hidden", "out"), port_point(window, "hidden", "in"))
    assert window.graph.edges == edges_before
    assert "cannot feed itself" in window.statusBar().currentMessage()
    assert window.undo_stack.count() == stack_before


def test_connection_making_a_cycle_is_refused(window):
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(8,), pos=(0.0, 0.0))
    m = b.add("Add", [x], name="merge", pos=(280.0, 0.0))
    b.add("Dense", m, name="d", units=8, pos=(560.0, 0.0))
    show(window, Project(graph=b.graph))
    edges_before = list(window.graph.edges)
    # The merge's port takes more inputs, but d -> merge would close a loop.
    drag(window.canvas, port_point(window, "d", "out"), port_point(window, "merge", "in"))
    assert window.graph.edges == edges_before
    assert "cycle" in window.statusBar().currentMessage()
    assert window.undo_stack.count() == 0


def test_connection_preview_follows_cursor_and_is_removed(window):
    show(window, _loose_project())
    view = window.canvas
    vp = view.viewport()
    start = port_point(window, "x", "out")
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(vp, node_center(window, "b"))
    previews = [i for i in view.graph_scene().items() if type(i).__name__ == "ConnectionPreview"]
    assert len(previews) == 1
    assert previews[0].allowed is True  # over a free input: the core would accept
    QTest.mouseRelease(
        vp,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        view.mapFromScene(QPointF(900.0, 900.0)),
    )
    assert not [i for i in view.graph_scene().items() if type(i).__name__ == "ConnectionPreview"]
    assert window.graph.edges == []  # released on empty canvas: nothing made


def test_drop_on_edge_inserts_layer_in_one_undo_step(window):
    show(window, chain_project())
    scene = window.canvas.graph_scene()
    hidden, scores = node_id(window, "hidden"), node_id(window, "scores")
    edge = Edge(hidden, scores, "in")
    middle = scene.edge_items[edge]._path.pointAtPercent(0.5)
    count = window.undo_stack.count()

    drop_mime(window.canvas, layer_mime("Dropout"), window.canvas.mapFromScene(middle))

    new = [n for n in window.graph.nodes.values() if n.key == "Dropout"]
    assert len(new) == 1
    assert edge not in window.graph.edges
    assert Edge(hidden, new[0].id, "in") in window.graph.edges
    assert Edge(new[0].id, scores, "in") in window.graph.edges
    assert window.undo_stack.count() == count + 1

    window.undo_stack.undo()
    assert edge in window.graph.edges
    assert not [n for n in window.graph.nodes.values() if n.key == "Dropout"]


def test_an_input_dropped_on_an_edge_is_added_beside_it(window):
    show(window, chain_project())
    scene = window.canvas.graph_scene()
    edge = Edge(node_id(window, "hidden"), node_id(window, "scores"), "in")
    middle = scene.edge_items[edge]._path.pointAtPercent(0.5)
    drop_mime(window.canvas, layer_mime("Input"), window.canvas.mapFromScene(middle))
    assert edge in window.graph.edges
    assert len([n for n in window.graph.nodes.values() if n.key == "Input"]) == 2


def test_delete_node_removes_its_edges_and_undo_restores_all_in_one_step(window):
    show(window, chain_project())
    graph = window.graph
    before = graph.to_json()
    window.select_nodes([node_id(window, "hidden")])
    window.delete_action.trigger()
    assert window.graph.node_by_name("hidden") is None
    assert window.graph.edges == []
    assert not window.canvas.graph_scene().edge_items

    window.undo_stack.undo()
    assert graph.to_json() == before
    assert len(window.canvas.graph_scene().edge_items) == 2


def test_selected_edge_is_deleted_with_delete_key(window):
    show(window, chain_project())
    scene = window.canvas.graph_scene()
    edge = Edge(node_id(window, "features"), node_id(window, "hidden"), "in")
    scene.clearSelection()
    scene.edge_items[edge].setSelected(True)
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_Delete)
    assert edge not in window.graph.edges
    window.undo_stack.undo()
    assert edge in window.graph.edges


def test_dragging_nodes_is_one_move_command(window):
    show(window, chain_project())
    hidden = node_id(window, "hidden")
    old = window.graph.nodes[hidden].pos
    start = node_center(window, "hidden")
    end = start + QPointF(0, 120).toPoint()
    drag(window.canvas, start, end)
    new = window.graph.nodes[hidden].pos
    assert abs(new[1] - old[1] - 120.0 / window.canvas.zoom()) < 2.0
    assert window.undo_stack.undoText() == "Move"
    window.undo_stack.undo()
    assert window.graph.nodes[hidden].pos == old
    item = window.canvas.graph_scene().node_items[hidden]
    assert (item.pos().x(), item.pos().y()) == old


def test_rubber_band_selects_several_nodes(window):
    show(window, chain_project())
    view = window.canvas
    rect = view.graph_scene().nodes_rect([node_id(window, "features"), node_id(window, "hidden")])
    start = view.mapFromScene(rect.topLeft() - QPointF(30, 30))
    end = view.mapFromScene(rect.bottomRight() + QPointF(10, 10))
    received = []
    window.selection_changed.connect(received.append)
    drag(view, start, end)
    selected = set(view.graph_scene().selected_node_ids())
    assert selected == {node_id(window, "features"), node_id(window, "hidden")}
    assert received and set(received[-1]) == selected
    assert window.undo_stack.count() == 0  # selecting is not an edit


def test_copy_paste_within_and_between_projects(window):
    show(window, chain_project())
    ids = [node_id(window, "hidden"), node_id(window, "scores")]
    window.select_nodes(ids)
    assert window.canvas.copy_selection()

    pasted = window.canvas.paste()
    assert len(pasted) == 2
    names = {window.graph.nodes[n].name for n in pasted}
    assert names.isdisjoint({"hidden", "scores"})
    assert Edge(pasted[0], pasted[1], "in") in window.graph.edges
    assert window.canvas.graph_scene().selected_node_ids() == pasted
    window.undo_stack.undo()
    assert all(n not in window.graph.nodes for n in pasted)

    # Another project (the clipboard is the system's): paste the two layers there.
    window.new_project()
    assert not window.graph.nodes
    pasted = window.canvas.paste()
    assert sorted(window.graph.nodes[n].name for n in pasted) == ["hidden", "scores"]
    assert len(window.graph.edges) == 1
    assert window.graph.nodes[pasted[0]].params["units"] == 16


def test_cut_then_paste_and_duplicate(window):
    show(window, chain_project())
    scores = node_id(window, "scores")
    window.select_nodes([scores])
    window.cut_action.trigger()
    assert scores not in window.graph.nodes
    pasted = window.canvas.paste()
    assert [window.graph.nodes[n].name for n in pasted] == ["scores"]

    window.select_nodes([node_id(window, "hidden")])
    dup = window.canvas.duplicate_selection()
    assert len(dup) == 1
    original = window.graph.node_by_name("hidden")
    copy = window.graph.nodes[dup[0]]
    assert copy.params == original.params
    assert copy.pos == (original.pos[0] + 40.0, original.pos[1] + 40.0)


def test_select_all_and_arrange_is_one_undo_step(window):
    show(window, chain_project())
    for node in window.graph.nodes.values():
        node.pos = (0.0, 0.0)
    window.canvas.select_all()
    assert len(window.canvas.graph_scene().selected_node_ids()) == 3
    window.arrange()
    xs = sorted(n.pos[0] for n in window.graph.nodes.values())
    assert xs[0] < xs[1] < xs[2]
    assert window.undo_stack.undoText() == "Arrange"
    window.undo_stack.undo()
    assert {n.pos for n in window.graph.nodes.values()} == {(0.0, 0.0)}


def test_quick_add_with_tab_and_double_click(window, qtbot):
    show(window, chain_project())
    view = window.canvas
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Tab)
    assert view.quick_add.isVisible()
    assert view.quick_add.choose("batch norm") == "BatchNormalization"
    assert not view.quick_add.isVisible()
    assert [n.key for n in window.graph.nodes.values()].count("BatchNormalization") == 1

    empty = view.mapFromScene(QPointF(200.0, 500.0))
    QTest.mouseDClick(
        view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, empty
    )
    assert view.quick_add.isVisible()
    key = view.quick_add.choose("gru")
    assert key == "GRU"
    gru = next(n for n in window.graph.nodes.values() if n.key == "GRU")
    at = view.mapToScene(empty)
    assert abs(gru.pos[0] + NODE_W / 2 - at.x()) < 1.0
    assert abs(gru.pos[1] + NODE_H / 2 - at.y()) < 1.0


def test_arrow_keys_nudge_and_successive_nudges_merge(window):
    show(window, chain_project())
    hidden = node_id(window, "hidden")
    old = window.graph.nodes[hidden].pos
    window.select_nodes([hidden])
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_Right)
    QTest.keyClick(window.canvas, Qt.Key.Key_Right)
    QTest.keyClick(window.canvas, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert window.graph.nodes[hidden].pos == (old[0] + 24.0, old[1] + 1.0)
    assert window.undo_stack.count() == 1
    window.undo_stack.undo()
    assert window.graph.nodes[hidden].pos == old


def test_zoom_fit_and_zoom_to_selection(window):
    show(window, chain_project())
    view = window.canvas
    view.set_zoom(2.5)
    view.fit_to_view()
    visible = view.visible_scene_rect()
    assert visible.contains(view.graph_scene().nodes_rect())
    assert view.zoom() <= 1.0
    view.set_zoom(0.2)
    window.select_nodes([node_id(window, "scores")])
    view.zoom_to_selection()
    assert view.zoom() == 1.0
    assert view.visible_scene_rect().contains(
        view.graph_scene().node_items[node_id(window, "scores")].sceneBoundingRect()
    )
    view.set_zoom(100.0)
    assert view.zoom() == 3.0  # clamped


def test_wheel_zooms_around_the_cursor(window, qtbot):
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QWheelEvent

    show(window, chain_project())
    view = window.canvas
    anchor_view = node_center(window, "hidden")
    anchor_scene = view.mapToScene(anchor_view)
    event = QWheelEvent(
        QPointF(anchor_view),
        QPointF(view.viewport().mapToGlobal(anchor_view)),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), event)
    assert view.zoom() > 1.3
    after = view.mapToScene(anchor_view)
    assert abs(after.x() - anchor_scene.x()) < 3.0
    assert abs(after.y() - anchor_scene.y()) < 3.0


def test_middle_button_pans(window):
    show(window, chain_project())
    view = window.canvas
    before = view.visible_scene_rect().center()
    vp = view.viewport()
    start = view.mapFromScene(before)
    QTest.mousePress(vp, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(vp, start + QPointF(80, 40).toPoint())
    QTest.mouseRelease(
        vp,
        Qt.MouseButton.MiddleButton,
        Qt.KeyboardModifier.NoModifier,
        start + QPointF(80, 40).toPoint(),
    )
    after = view.visible_scene_rect().center()
    assert abs((before.x() - after.x()) - 80.0) < 2.0
    assert abs((before.y() - after.y()) - 40.0) < 2.0
    assert window.undo_stack.count() == 0

    # Space + left drag pans too (and selects or moves nothing).
    view.setFocus()
    QTest.keyPress(view, Qt.Key.Key_Space)
    start = view.mapFromScene(after)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(vp, start + QPointF(-50, 0).toPoint())
    QTest.mouseRelease(
        vp,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        start + QPointF(-50, 0).toPoint(),
    )
    QTest.keyRelease(view, Qt.Key.Key_Space)
    assert abs((view.visible_scene_rect().center().x() - after.x()) - 50.0) < 2.0
    assert window.undo_stack.count() == 0


def _shape_project() -> Project:
    """Input (8,) -> Dense 10 "d", with a loose Conv2D "conv" and a loose Dense "e"."""
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(8,), pos=(0.0, 0.0))
    b.add("Dense", x, name="d", units=10, pos=(280.0, 0.0))
    b.add("Conv2D", name="conv", filters=4, pos=(560.0, -160.0))
    b.add("Dense", name="e", units=4, pos=(560.0, 160.0))
    return Project(graph=b.graph)


def _hover_wire(window, src: str, dst: str):
    """Press on ``src``'s output and hover ``dst``'s input: the preview and the candidate."""
    vp = window.canvas.viewport()
    QTest.mousePress(
        vp,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        port_point(window, src, "out"),
    )
    QTest.mouseMove(vp, node_center(window, dst))
    QTest.mouseMove(vp, port_point(window, dst, "in"))
    scene = window.canvas.graph_scene()
    (preview,) = [i for i in scene.items() if type(i).__name__ == "ConnectionPreview"]
    return preview, scene.node_items[node_id(window, dst)].candidate


def _release(window, dst: str) -> None:
    QTest.mouseRelease(
        window.canvas.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        port_point(window, dst, "in"),
    )


def test_wire_preview_is_red_on_an_input_that_rejects_the_shape(window, wait_checked):
    show(window, _shape_project())
    wait_checked(window)
    assert window.canvas.graph_scene().output_shape(node_id(window, "d")) == (None, 10)

    preview, candidate = _hover_wire(window, "d", "conv")
    assert preview.allowed is False and candidate == ("in", False)
    message = window.statusBar().currentMessage()
    assert "4-D input" in message and '(batch, 10) from "d"' in message, message
    assert "Reshape" in message  # the fix, too
    _release(window, "conv")
    assert Edge(node_id(window, "d"), node_id(window, "conv"), "in") not in window.graph.edges
    assert "Cannot connect" in window.statusBar().currentMessage()
    assert window.undo_stack.count() == 0

    preview, candidate = _hover_wire(window, "d", "e")
    assert preview.allowed is True and candidate == ("in", True)
    assert "(batch, 10)" in window.statusBar().currentMessage()
    assert "Cannot" not in window.statusBar().currentMessage()
    _release(window, "e")
    assert Edge(node_id(window, "d"), node_id(window, "e"), "in") in window.graph.edges


def test_drop_on_edge_makes_room_downstream_in_one_undo_step(window):
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(8,), pos=(0.0, 0.0))
    h = b.add("Dense", x, name="h", units=8, pos=(NODE_W + 60.0, 0.0))  # a tight gap
    y = b.add("Dense", h, name="y", units=3, pos=(2 * NODE_W + 120.0, 0.0))
    b.add("Dropout", y, name="after", pos=(3 * NODE_W + 180.0, 0.0))
    show(window, Project(graph=b.graph))
    before = {n.name: n.pos for n in window.graph.nodes.values()}
    scene = window.canvas.graph_scene()
    edge = Edge(node_id(window, "h"), node_id(window, "y"), "in")
    middle = scene.edge_items[edge]._path.pointAtPercent(0.5)
    count = window.undo_stack.count()

    drop_mime(window.canvas, layer_mime("BatchNormalization"), window.canvas.mapFromScene(middle))

    (new,) = [n for n in window.graph.nodes.values() if n.key == "BatchNormalization"]
    assert window.undo_stack.count() == count + 1
    rects = {n.name: QRectF(*n.pos, NODE_W, NODE_H) for n in window.graph.nodes.values()}
    for name, rect in rects.items():
        if name != new.name:
            assert not rect.intersects(rects[new.name]), name
    # The items on the canvas are where the model says, and the downstream order is kept.
    for node in window.graph.nodes.values():
        item = scene.node_items[node.id]
        assert (item.pos().x(), item.pos().y()) == node.pos
    assert rects["h"].right() < rects[new.name].left() < rects[new.name].right() < rects["y"].left()
    assert rects["y"].right() < rects["after"].left()

    window.undo_stack.undo()
    assert {n.name: n.pos for n in window.graph.nodes.values()} == before
    assert edge in window.graph.edges
    for node in window.graph.nodes.values():
        item = scene.node_items[node.id]
        assert (item.pos().x(), item.pos().y()) == node.pos


def test_malformed_layers_on_the_clipboard_are_refused_with_a_message(window):
    show(window, chain_project())
    bogus = '{"nnstudio_fragment": 1, "nodes": [{"id": "n1", "type": "NoSuchLayer"}]}'
    QApplication.clipboard().setText(bogus)
    before = dict(window.graph.nodes)
    assert window.canvas.paste() == []
    assert window.graph.nodes == before
    assert "cannot paste" in window.statusBar().currentMessage()
    assert "NoSuchLayer" in window.statusBar().currentMessage()
