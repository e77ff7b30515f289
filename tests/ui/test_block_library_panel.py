"""My blocks in the palette: save a block with a name and description, drop it into another
project, rename and delete it; the built-ins are listed too."""

from __future__ import annotations

from PySide6.QtCore import QPointF
from ui_helpers import chain_project, drop_mime, node_id, show

from nnstudio.core.project import Project
from nnstudio.ui.block_library_panel import BUILT_IN, MY_BLOCKS
from nnstudio.ui.canvas.drops import block_mime


def test_save_a_selection_then_drop_it_into_another_project(window, wait_checked):
    ui = window.block_library
    assert "transformer_encoder_layer" in ui.entries  # a built-in
    assert ui.groups[BUILT_IN].childCount() >= 5
    show(window, chain_project())
    wait_checked(window)
    window.select_nodes([node_id(window, "hidden"), node_id(window, "scores")])
    ui.ask_save = lambda name, text: ("mlp_head", "Two dense layers")
    assert ui.save_selection()
    assert not window.graph.blocks  # the project is left as it was
    assert (window.data_dir / "blocks" / "mlp_head.nnblock").is_file()
    item = ui.entries["mlp_head"]
    assert item.parent() is ui.groups[MY_BLOCKS]
    assert "Two dense layers" in item.toolTip(0)
    mime = window.palette_panel.tree.mimeData([item])
    assert mime.hasFormat("application/x-nnstudio-block")

    window.set_project(Project())
    view = window.canvas
    drop_mime(view, block_mime("mlp_head"), view.mapFromScene(QPointF(200.0, 100.0)))
    uses = [n for n in window.graph.nodes.values() if n.is_block]
    assert len(uses) == 1 and uses[0].params["definition"] == "mlp_head"
    assert window.graph.blocks["mlp_head"].description == "Two dense layers"
    assert window.undo_stack.count() == 1
    window.undo_stack.undo()
    assert not window.graph.nodes and not window.graph.blocks

    window.palette_panel.filter("dense layers")
    assert not item.isHidden() and ui.entries["residual_block"].isHidden()
    window.palette_panel.filter("")

    ui.ask_text = lambda *_: "head2"
    assert ui.rename("mlp_head")
    assert "head2" in ui.entries and "mlp_head" not in ui.entries
    assert ui.delete("head2")
    assert "head2" not in ui.entries
    assert not list((window.data_dir / "blocks").glob("*.nnblock"))
    assert not ui.delete("residual_block")  # a built-in cannot be deleted


def test_save_a_block_use_keeps_its_definition(window, wait_checked):
    show(window, chain_project())
    wait_checked(window)
    window.select_nodes([node_id(window, "hidden")])
    window.blocks.ask_text = lambda *_: "hidden_block"
    assert window.blocks.group_selection()
    use = window.graph.node_by_name("hidden_block").id
    window.select_nodes([use])
    ui = window.block_library
    ui.ask_save = lambda name, text: (name, "one dense layer")
    assert ui.save_selection()
    assert ui.entries["hidden_block"].parent() is ui.groups[MY_BLOCKS]
    assert ui.place("hidden_block")  # the same definition is reused, not duplicated
    assert list(window.graph.blocks) == ["hidden_block"]


def test_a_block_with_two_outputs_has_a_port_for_each(window):
    from nnstudio.ui.canvas.interactions import ConnectDrag

    ui = window.block_library
    assert ui.place("unet_down_step", QPointF(0.0, 0.0))
    graph = window.graph
    use = next(n.id for n in graph.nodes.values() if n.is_block)
    dense = window.canvas.add_layer("Dense", QPointF(600.0, 300.0))
    scene = window.canvas.graph_scene()
    item = scene.node_items[use]
    assert len(item.outputs) == 2
    first, second = (item.port_scene_pos("out", p) for p in item.outputs)
    assert first.y() < second.y()
    assert item.port_at(second) == ("out", item.outputs[1])
    drag = ConnectDrag(scene, item, "out", item.outputs[1])
    assert (
        drag.finish(scene.node_items[dense].port_scene_pos("in", "in"), window.canvas.attempt)
        is None
    )
    edge = graph.in_edges(dense)[0]
    assert edge.src == use and edge.src_port == item.outputs[1]
    edge_item = scene.edge_items[edge]
    assert abs(edge_item._path.pointAtPercent(0).y() - second.y()) < 1.0
