"""Blocks in the graph model: group and ungroup as one undo step, refusals, flattening."""

from __future__ import annotations

import json

import pytest

from nnstudio.core.graph import Graph, GraphError, graph_from_json
from nnstudio.core.graph.block_commands import GroupNodes, PlaceBlock, SetRepeat, Ungroup
from nnstudio.core.graph.blocks import flatten
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import Connect, History, SetOutput
from nnstudio.core.graph.model import BLOCK_KEY


def residual_graph():
    """input -> [dense_a -> dense_b -> add(+input)] -> head (output)."""
    b = GraphBuilder()
    x = b.add("Input", shape=(8,))
    d1 = b.add("Dense", x, units=8, activation="relu", name="dense_a")
    d2 = b.add("Dense", d1, units=8, name="dense_b")
    s = b.add("Add", [d2, x], name="add")
    head = b.add("Dense", s, units=2, name="head")
    b.output(head)
    return b.graph, (x, d1, d2, s, head)


def dump(g: Graph) -> str:
    return json.dumps(g.to_json(), sort_keys=True)


def test_group_makes_one_use_with_ports_from_the_border_and_undoes_in_one_step():
    g, (x, d1, d2, s, head) = residual_graph()
    before = dump(g)
    h = History()
    events: list[str] = []
    g.subscribe(lambda ev, _: events.append(ev))
    cmd = GroupNodes(g, [d1, d2, s], "res", "a residual block", shapes={})
    assert dump(g) == before  # the constructor changes nothing
    h.push(cmd)
    use = g.nodes[cmd.use_id]
    assert use.key == BLOCK_KEY and use.params == {"definition": "res", "repeat": 1}
    assert list(g.nodes) == [x, cmd.use_id, head]
    d = g.blocks["res"]
    assert d.description == "a residual block"
    # one input port for the one outside tensor (it fed two inner nodes), one output
    assert len(d.input_ports()) == 1 and d.output_ports() == [s]
    assert use.spec.inputs == tuple(d.input_ports())
    assert [(e.src, e.dst, e.src_port) for e in g.edges] == [
        (x, cmd.use_id, "out"),
        (cmd.use_id, head, s),
    ]
    assert "blocks_changed" in events
    h.undo()
    assert dump(g) == before and not g.blocks
    h.redo()
    assert g.blocks["res"] is d and cmd.use_id in g.nodes


def test_a_grouped_block_checks_and_compiles_like_the_flat_graph():
    g, ids = residual_graph()
    from nnstudio.core.graph import check_graph

    flat_params = check_graph(g).total_params
    cmd = GroupNodes(g, ids[1:4], "res")
    cmd.redo()
    # the Input port inside takes the shape that the check found
    inner_input = g.blocks["res"].graph.nodes[g.blocks["res"].input_ports()[0]]
    assert inner_input.params["shape"] == (8,)
    result = check_graph(g)
    assert result.ok, result.issues
    assert result.total_params == flat_params
    assert result.shapes[cmd.use_id].shape == (None, 8)
    assert result.shapes[cmd.use_id].params == 2 * (8 * 8 + 8)


def test_repeat_chains_copies_with_their_own_names_and_ungroup_puts_them_back():
    g, ids = residual_graph()
    cmd = GroupNodes(g, ids[1:4], "res", shapes={})
    h = History()
    h.push(cmd)
    h.push(SetRepeat(g, cmd.use_id, 3))
    flat = flatten(g)
    names = [n.name for n in flat.graph.nodes.values()]
    assert names == [
        "input",
        *[f"res_{k}_{n}" for k in (1, 2, 3) for n in ("dense_a", "dense_b", "add")],
        "head",
    ]
    assert not flat.issues
    o = flat.origin[f"{cmd.use_id}#2/{ids[1]}"]
    assert o.top == cmd.use_id and o.inner_path == (ids[1],) and o.path[0][1] == 2
    before = dump(g)
    h.push(Ungroup(g, cmd.use_id))
    assert [n.name for n in g.nodes.values()] == names
    assert not g.blocks and not g.uses_blocks()
    h.undo()
    assert dump(g) == before


def test_a_repeat_that_cannot_chain_is_a_located_issue():
    b = GraphBuilder()
    x = b.add("Input", shape=(8,))
    d = b.add("Dense", x, units=8, name="widen")
    r = b.add("Reshape", d, target_shape=(2, 4), name="fold")
    b.output(b.add("Flatten", r))
    g = b.graph
    cmd = GroupNodes(g, [d, r], "fold_block", shapes={})
    cmd.redo()
    SetRepeat(g, cmd.use_id, 2).redo()
    from nnstudio.core.graph import check_graph

    result = check_graph(g)
    errors = [i for i in result.errors if i.node == cmd.use_id]
    assert errors and errors[0].inner == (r,)
    assert "copy 2 of 2" in errors[0].message
    assert result.shapes[cmd.use_id].error


@pytest.mark.parametrize(
    ("pick", "needle"),
    [
        (lambda ids: [], "select the layers"),
        (lambda ids: [ids[0], ids[1]], "Input"),
        (lambda ids: [ids[1], ids[3]], "leaves the selection and comes back"),
    ],
)
def test_selections_that_cannot_form_a_block_are_refused_plainly(pick, needle):
    g, ids = residual_graph()
    with pytest.raises(GraphError, match=needle):
        GroupNodes(g, pick(ids), "blk", shapes={})


def test_a_dangling_selection_and_bad_names_are_refused():
    g, ids = residual_graph()
    SetOutput(g, ids[4]).redo()
    with pytest.raises(GraphError, match="not a valid block name"):
        GroupNodes(g, [ids[1]], "1 bad", shapes={})
    GroupNodes(g, [ids[1]], "blk", shapes={}).redo()
    with pytest.raises(GraphError, match="already exists"):
        GroupNodes(g, [ids[4]], "blk", shapes={})
    lone = GraphBuilder(g).add("Dense", units=3, name="lone")
    with pytest.raises(GraphError, match="nothing leaves"):
        GroupNodes(g, [lone], "other", shapes={})


def test_a_model_output_inside_the_selection_becomes_an_output_port():
    g, ids = residual_graph()
    cmd = GroupNodes(g, [ids[3], ids[4]], "tail", shapes={})
    cmd.redo()
    assert g.outputs[0].node == cmd.use_id and g.outputs[0].port == ids[4]
    flat = flatten(g)
    assert [flat.graph.nodes[o.node].name for o in flat.graph.outputs] == ["tail_head"]


def test_nested_blocks_and_multi_output_blocks_round_trip_through_json():
    g, ids = residual_graph()
    inner = GroupNodes(g, [ids[1], ids[2]], "pair", shapes={})
    inner.redo()
    outer = GroupNodes(g, [inner.use_id, ids[3]], "res", shapes={})
    outer.redo()
    assert g.blocks["res"].graph.nodes[inner.use_id].spec.inputs
    flat = flatten(g)
    assert "res_pair_dense_a" in {n.name for n in flat.graph.nodes.values()}
    again = graph_from_json(json.loads(dump(g)))
    assert dump(again) == dump(g)
    assert again.blocks["res"].graph.blocks is again.blocks
    # a copy is independent
    clone = g.copy()
    assert dump(clone) == dump(g) and clone.blocks["res"] is not g.blocks["res"]


def test_a_two_output_block_feeds_two_consumers_through_named_ports():
    b = GraphBuilder()
    x = b.add("Input", shape=(8,))
    a = b.add("Dense", x, units=4, name="a")
    c = b.add("Dense", x, units=6, name="c")
    cat = b.add("Concatenate", [a, c], name="cat")
    b.output(b.add("Dense", cat, units=1, name="y"))
    g = b.graph
    cmd = GroupNodes(g, [a, c], "split", shapes={})
    cmd.redo()
    ports = g.blocks["split"].output_ports()
    assert ports == [a, c]
    assert [e.src_port for e in g.in_edges(cat)] == [a, c]  # the merge's order is kept
    with pytest.raises(GraphError, match="has no output"):
        Connect(g, cmd.use_id, cat, "in", src_port="nope")
    from nnstudio.core.graph import check_graph

    result = check_graph(g)
    assert result.ok and result.shapes[cat].shape == (None, 10)
    assert result.flat.port_shape(cmd.use_id, c).shape == (None, 6)


def test_place_block_adds_a_definition_and_a_use_in_one_step():
    g, ids = residual_graph()
    GroupNodes(g, ids[1:4], "res", shapes={}).redo()
    definition = g.blocks["res"].copy()
    other = Graph()
    h = History()
    cmd = PlaceBlock(other, "res", (10.0, 20.0), definition)
    h.push(cmd)
    assert other.nodes[cmd.node_id].spec.inputs == tuple(definition.input_ports())
    h.undo()
    assert not other.blocks and not other.nodes
    with pytest.raises(GraphError, match="no block called"):
        PlaceBlock(other, "missing")


def test_copy_and_paste_of_a_block_use_carries_its_definition():
    from nnstudio.core.graph.commands import Paste, copy_fragment

    g, ids = residual_graph()
    inner = GroupNodes(g, [ids[1], ids[2]], "pair", shapes={})
    inner.redo()
    outer = GroupNodes(g, [inner.use_id, ids[3]], "res", shapes={})
    outer.redo()
    fragment = json.loads(json.dumps(copy_fragment(g, [outer.use_id, ids[4]])))
    assert set(fragment["blocks"]) == {"pair", "res"}
    other = Graph()
    paste = Paste(other, fragment)
    paste.redo()
    assert set(other.blocks) == {"pair", "res"}
    [e] = other.edges
    assert e.src_port == g.edges[-1].src_port
    paste.undo()
    assert not other.blocks and not other.nodes
    same = Paste(g, fragment)  # into its own graph: the definitions are reused
    same.redo()
    assert list(g.blocks) == ["pair", "res"] and len(g.nodes) == 5


def test_rename_and_describe_a_definition_undo_exactly():
    from nnstudio.core.graph.block_commands import RenameBlock, SetBlockDescription

    g, ids = residual_graph()
    inner = GroupNodes(g, [ids[1], ids[2]], "pair", shapes={})
    inner.redo()
    outer = GroupNodes(g, [inner.use_id, ids[3]], "res", shapes={})
    outer.redo()
    before = dump(g)
    h = History()
    h.push(RenameBlock(g, "pair", "duo"))
    h.push(SetBlockDescription(g, "duo", "two layers"))
    assert list(g.blocks) == ["duo", "res"]
    assert g.blocks["res"].graph.nodes[inner.use_id].params["definition"] == "duo"
    assert g.blocks["res"].graph.nodes[inner.use_id].spec.help == "two layers"
    assert not flatten(g).issues
    h.undo()
    h.undo()
    assert dump(g) == before
    with pytest.raises(GraphError, match="already exists"):
        RenameBlock(g, "pair", "res")
