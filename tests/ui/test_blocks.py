"""Blocks in the window: group and ungroup as one undo step, expand in place, open a block as
its own canvas and come back by the breadcrumb, repeat in the inspector, issues that open the
block at their layer."""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QApplication
from ui_helpers import chain_project, node_id, show

from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import SetParam
from nnstudio.core.layout import NODE_H, NODE_W
from nnstudio.core.project import Project
from nnstudio.ui.canvas.block_items import BlockNodeItem


def _grouped(window, wait_checked, name: str = "head") -> str:
    """The chain project with hidden + scores grouped into block ``name``; the use's id."""
    show(window, chain_project())
    wait_checked(window)
    window.select_nodes([node_id(window, "hidden"), node_id(window, "scores")])
    window.blocks.ask_text = lambda *_: name
    action = window.blocks.group_action  # Edit > Group into Block… (Ctrl+G)
    assert action.shortcut().toString() == "Ctrl+G" and action in window.edit_menu.actions()
    action.trigger()
    wait_checked(window)
    return next(n.id for n in window.graph.nodes.values() if n.is_block)


def test_group_then_ungroup_are_one_undo_step_each(window, wait_checked):
    use = _grouped(window, wait_checked)
    graph = window.graph
    assert [n.key for n in graph.nodes.values()] == ["Input", "Block"]
    assert "head" in graph.blocks
    item = window.canvas.graph_scene().node_items[use]
    assert isinstance(item, BlockNodeItem)
    # collapsed: the block shows the output shape and the summed parameter count
    assert item.status.shape == (None, 3)
    assert item.status.params == 8 * 16 + 16 + 16 * 3 + 3
    assert window.undo_stack.count() == 1
    overlay = window.canvas.cost_overlay
    overlay.set_enabled(True)  # the cost overlay: the block's cost is its layers' sum
    assert overlay.report.nodes[use].macs == 8 * 16 + 16 * 3
    assert item.heat_text == "176 MACs"
    overlay.set_enabled(False)

    window.undo_stack.undo()
    assert [n.name for n in graph.nodes.values()] == ["features", "hidden", "scores"]
    assert not graph.blocks
    window.undo_stack.redo()
    assert graph.nodes[use].is_block

    window.select_nodes([use])
    assert window.blocks.ungroup_selection()
    assert [n.key for n in graph.nodes.values()] == ["Input", "Dense", "Dense"]
    window.undo_stack.undo()
    assert graph.nodes[use].is_block


def test_group_refusal_is_reported_not_raised(window, wait_checked):
    show(window, chain_project())
    window.select_nodes([node_id(window, "features")])
    window.blocks.ask_text = lambda *_: "bad"
    assert not window.blocks.group_selection()
    assert "cannot go inside a block" in window.statusBar().currentMessage()
    assert not window.graph.blocks


def test_expand_shows_layers_in_a_frame_and_makes_room(window, wait_checked):
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(8,), pos=(0.0, 0.0))
    h = b.add("Dense", x, name="a", units=8, pos=(260.0, 0.0))
    h = b.add("Dense", h, name="b", units=8, pos=(520.0, 0.0))
    y = b.add("Dense", h, name="tail", units=2, pos=(780.0, 0.0))
    b.output(y, "mse")
    show(window, Project(graph=b.graph))
    wait_checked(window)
    window.select_nodes([node_id(window, "a"), node_id(window, "b")])
    window.blocks.ask_text = lambda *_: "pair"
    assert window.blocks.group_selection()
    use = window.graph.node_by_name("pair").id
    scene = window.canvas.graph_scene()
    item = scene.node_items[use]
    window.canvas.node_activated.emit(use)  # a double-click on the block
    assert item.expanded and window.blocks.is_expanded(use)
    frame = item.sceneBoundingRect()
    assert frame.width() > 2 * NODE_W
    for nid, other in scene.node_items.items():
        if nid != use:
            body = QRectF(other.pos().x(), other.pos().y(), NODE_W, NODE_H)
            assert not body.intersects(item.mapRectToScene(QRectF(0, 0, *item.frame_size())))
    inner_ids = [n.id for n in window.graph.blocks["pair"].graph.nodes.values() if n.key != "Input"]
    assert all(item.inner_rect(i) is not None for i in inner_ids)
    wait_checked(window)
    assert item.inner_status[inner_ids[0]].shape == (None, 8)
    # edges end on the frame's ports
    tail = node_id(window, "tail")
    edge = next(e for e in scene.edge_items.values() if e.edge.dst == tail)
    assert abs(edge._path.pointAtPercent(0).x() - item.port_scene_pos("out").x()) < 1.0
    # a double-click on a layer of the frame opens the block at that layer
    item.last_press = item.inner_rect(inner_ids[1]).center()
    window.canvas.node_activated.emit(use)
    assert window.canvas.graph is window.graph.blocks["pair"].graph
    assert window.canvas.graph_scene().selected_node_ids() == [inner_ids[1]]
    window.blocks.go_to(0)
    scene = window.canvas.graph_scene()
    item = scene.node_items[use]
    assert item.expanded  # still expanded on the way back
    window.blocks.toggle_expanded(use)  # what the chevron does
    assert not item.expanded
    assert item.frame_size() == (NODE_W, NODE_H)


def test_open_block_edit_inside_updates_every_use_and_breadcrumb_goes_back(window, wait_checked):
    use = _grouped(window, wait_checked)
    window.select_nodes([use])
    assert window.blocks.open_selected()
    QApplication.processEvents()
    crumbs = window.blocks.breadcrumb
    assert crumbs.isVisible() and crumbs.text() == "Model › head"
    inner = window.graph.blocks["head"].graph
    assert window.canvas.graph is inner
    wait_checked(window)
    scene = window.canvas.graph_scene()
    hidden = inner.node_by_name("hidden").id
    assert scene.node_items[hidden].status.shape == (None, 16)
    window.canvas.cost_overlay.set_enabled(True)  # inside a block: the layers' own costs
    assert scene.node_items[hidden].heat_text == "128 MACs"
    window.canvas.cost_overlay.set_enabled(False)
    # an edit inside the definition: one undo step, and the use's parameters follow
    assert window.push(SetParam(inner, hidden, "units", 4))
    wait_checked(window)
    assert window.last_check.shapes[use].params == 8 * 4 + 4 + 4 * 3 + 3
    crumbs.buttons[0].click()
    assert window.canvas.graph is window.graph
    assert not crumbs.isVisible()
    assert window.canvas.graph_scene().selected_node_ids() == [use]
    window.undo_stack.undo()
    assert inner.nodes[hidden].params["units"] == 16


def test_repeat_in_the_inspector_is_undoable(window, wait_checked):
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(8,), pos=(0.0, 0.0))
    h = b.add("Dense", x, name="layer", units=8, pos=(260.0, 0.0))
    y = b.add("Dense", h, name="out", units=2, pos=(520.0, 0.0))
    b.output(y, "mse")
    show(window, Project(graph=b.graph))
    wait_checked(window)
    window.select_nodes([node_id(window, "layer")])
    window.blocks.ask_text = lambda *_: "enc"
    assert window.blocks.group_selection()
    use = window.graph.node_by_name("enc").id
    window.select_nodes([use])
    section = window.inspector.block_section
    assert section is not None and section.definition_label.text() == "enc"
    section.repeat_spin.setValue(3)
    assert window.graph.nodes[use].params["repeat"] == 3
    wait_checked(window)
    assert window.last_check.shapes[use].params == 3 * (8 * 8 + 8)
    item = window.canvas.graph_scene().node_items[use]
    assert item.repeat == 3 and "× 3" in item.params_line
    window.undo_stack.undo()
    assert window.graph.nodes[use].params["repeat"] == 1
    section = window.inspector.block_section
    assert section.repeat_spin.value() == 1
    section.description_label.setText("one dense layer")
    section.description_label.editingFinished.emit()
    assert window.graph.blocks["enc"].description == "one dense layer"
    section.definition_label.setText("encoder")
    section.definition_label.editingFinished.emit()
    assert window.graph.nodes[use].params["definition"] == "encoder"
    window.undo_stack.undo()
    assert window.graph.nodes[use].params["definition"] == "enc"


def test_an_issue_inside_a_block_marks_it_and_clicking_opens_the_block(window, wait_checked):
    use = _grouped(window, wait_checked)
    inner = window.graph.blocks["head"].graph
    scores = inner.node_by_name("scores").id
    # A Dense that needs a rank-3 input: Conv1D on a flat vector fails inside the block.
    from nnstudio.core.graph.commands import InsertOnEdge

    edge = next(e for e in inner.edges if e.dst == scores)
    assert window.push(InsertOnEdge(inner, edge, "Conv1D", (300.0, 0.0)))
    wait_checked(window)
    item = window.canvas.graph_scene().node_items[use]
    assert item.status.severity == "error"
    panel = window.issues_panel
    row = next(i for i, issue in enumerate(panel.issues()) if issue.node == use and issue.inner)
    issue = panel.issues()[row]
    assert "›" in panel.tree.topLevelItem(row).text(0)
    panel._clicked(panel.tree.topLevelItem(row))
    assert window.canvas.graph is inner
    assert window.canvas.graph_scene().selected_node_ids() == [issue.inner[-1]]
    wait_checked(window)
    assert window.canvas.graph_scene().node_items[issue.inner[-1]].status.severity == "error"


def test_enter_on_the_canvas_opens_the_selected_block_and_alt_up_goes_back(window, wait_checked):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    use = _grouped(window, wait_checked)
    window.select_nodes([use])
    window.activateWindow()
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_Return)
    assert window.canvas.graph is window.graph.blocks["head"].graph
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert window.canvas.graph is window.graph
