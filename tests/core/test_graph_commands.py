"""Graph model and edit commands: every edit undoes exactly, events mirror every change."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnstudio.core.catalog import ParamError
from nnstudio.core.graph import Edge, Graph, GraphError
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import (
    AddNode,
    Connect,
    Disconnect,
    History,
    InsertOnEdge,
    MoveNodes,
    Paste,
    RemoveNodes,
    Rename,
    SetOutput,
    SetParam,
    UndeclareOutput,
    copy_fragment,
)


def _chain():
    b = GraphBuilder()
    x = b.add("Input", shape=(8,))
    d1 = b.add("Dense", x, units=16)
    d2 = b.add("Dense", d1, units=4)
    b.output(d2, "mse")
    return b.graph, x, d1, d2


def _snapshot(g: Graph):
    return g.to_json()


def test_add_connect_and_undo_restore_exactly() -> None:
    g = Graph()
    h = History()
    events: list[str] = []
    g.subscribe(lambda ev, payload: events.append(ev))
    empty = _snapshot(g)
    a = h.push(AddNode(g, "Input", (0, 0), params={"shape": [3]}))
    b = h.push(AddNode(g, "Dense", (200, 0)))
    h.push(Connect(g, a.node.id, b.node.id))
    assert g.nodes[a.node.id].params["shape"] == (3,)
    assert g.edges == [Edge(a.node.id, b.node.id, "in")]
    full = _snapshot(g)
    while h.undo():
        pass
    assert _snapshot(g) == empty
    while h.redo():
        pass
    assert _snapshot(g) == full
    assert events.count("node_added") == 4 and events.count("edge_added") == 2


def test_remove_node_takes_edges_and_output_and_undoes_in_one_step() -> None:
    g, x, d1, d2 = _chain()
    before = _snapshot(g)
    h = History()
    h.push(RemoveNodes(g, [d1, d2]))
    assert set(g.nodes) == {x} and not g.edges and not g.outputs
    assert h.undo()
    assert _snapshot(g) == before


def test_refused_connections_say_why() -> None:
    g, x, d1, d2 = _chain()
    h = History()
    m1 = h.push(AddNode(g, "Add")).node.id
    m2 = h.push(AddNode(g, "Add")).node.id
    h.push(Connect(g, d2, m1))
    h.push(Connect(g, m1, m2))
    with pytest.raises(GraphError, match="cycle"):
        Connect(g, m2, m1)
    with pytest.raises(GraphError, match="itself"):
        Connect(g, d1, d1)
    with pytest.raises(GraphError, match="already connected"):
        Connect(g, x, d2, "in")
    with pytest.raises(GraphError, match="no input port"):
        Connect(g, x, d2, "query")


def test_merge_input_order_is_kept_through_disconnect_undo() -> None:
    b = GraphBuilder()
    x = b.add("Input", shape=(4,))
    p = b.add("Dense", x, units=4)
    q = b.add("Dense", x, units=4)
    s = b.add("Subtract", [p, q])
    g = b.graph
    order = [e.src for e in g.in_edges(s)]
    h = History()
    h.push(Disconnect(g, g.in_edges(s)[0]))
    h.undo()
    assert [e.src for e in g.in_edges(s)] == order
    with pytest.raises(GraphError, match="at most 2"):
        Connect(g, x, s)


def test_set_param_validates_and_merges_consecutive_edits() -> None:
    g, x, d1, _ = _chain()
    h = History()
    with pytest.raises(ParamError, match="at least 1"):
        SetParam(g, d1, "units", 0)
    with pytest.raises(KeyError):
        SetParam(g, d1, "nope", 1)
    h.push(SetParam(g, d1, "units", 20))
    h.push(SetParam(g, d1, "units", 32))
    assert len(h) == 1 and g.nodes[d1].params["units"] == 32
    h.undo()
    assert g.nodes[d1].params["units"] == 16


def test_rename_refuses_duplicates_and_bad_names() -> None:
    g, x, d1, d2 = _chain()
    with pytest.raises(GraphError, match="already exists"):
        Rename(g, d1, g.nodes[d2].name)
    with pytest.raises(GraphError, match="not a valid layer name"):
        Rename(g, d1, "has space")
    h = History()
    h.push(Rename(g, d1, "encoder"))
    assert g.nodes[d1].name == "encoder"
    h.undo()
    assert g.nodes[d1].name != "encoder"


def test_move_merges_and_undoes() -> None:
    g, x, *_ = _chain()
    start = g.nodes[x].pos
    h = History()
    h.push(MoveNodes(g, {x: (10, 10)}))
    h.push(MoveNodes(g, {x: (20, 30)}))
    assert len(h) == 1 and g.nodes[x].pos == (20.0, 30.0)
    h.undo()
    assert g.nodes[x].pos == start


def test_insert_on_edge_is_one_step() -> None:
    g, x, d1, d2 = _chain()
    before = _snapshot(g)
    edge = g.in_edges(d2)[0]
    h = History()
    cmd = h.push(InsertOnEdge(g, edge, "Dropout", (100, 0)))
    new = cmd.node_id
    assert g.in_edges(new)[0].src == d1 and g.in_edges(d2)[0].src == new
    h.undo()
    assert _snapshot(g) == before


def test_copy_paste_gets_fresh_ids_and_names() -> None:
    g, x, d1, d2 = _chain()
    frag = copy_fragment(g, [d1, d2])
    other = Graph()
    h = History()
    h.push(Paste(other, frag))
    assert len(other.nodes) == 2 and len(other.edges) == 1
    cmd2 = h.push(Paste(g, frag))
    names = [n.name for n in g.nodes.values()]
    assert len(names) == len(set(names)) == 5
    assert set(cmd2.node_ids).isdisjoint({x, d1, d2})
    h.undo()
    assert len(g.nodes) == 3


def test_outputs_declare_and_undeclare() -> None:
    g, x, d1, d2 = _chain()
    h = History()
    h.push(SetOutput(g, d1, "mse", 0.5, ["mae"]))
    assert [o.node for o in g.outputs] == [d2, d1]
    h.push(UndeclareOutput(g, d2))
    assert [o.node for o in g.outputs] == [d1]
    h.undo()
    h.undo()
    assert [o.node for o in g.outputs] == [d2]


def test_topological_order_is_deterministic_and_detects_cycles() -> None:
    g, x, d1, d2 = _chain()
    assert g.topological_order() == [x, d1, d2]
    g.edges.append(Edge(d2, d1, "in"))
    with pytest.raises(GraphError, match="cycle"):
        g.topological_order()


# -- refusals, merging, paste ids, layout, insert-on-edge room ------------------------------


def test_every_refusal_is_one_error_type() -> None:
    from nnstudio.core.graph import EditRefused

    g, x, d1, d2 = _chain()
    with pytest.raises(EditRefused) as unknown:
        SetParam(g, d1, "no_such_param", 1)
    assert isinstance(unknown.value, KeyError)  # callers that caught KeyError still do
    assert "no parameter 'no_such_param'" in str(unknown.value)
    with pytest.raises(EditRefused) as bad:
        SetParam(g, d1, "units", 0)
    assert isinstance(bad.value, ParamError)
    with pytest.raises(EditRefused):
        Connect(g, d2, x)


def test_move_merge_keys_on_an_id_not_the_text() -> None:
    from nnstudio.core.layout import layout_command

    g, x, d1, d2 = _chain()
    h = History()
    h.push(MoveNodes(g, {x: (1, 1)}, text="Nudge"))
    h.push(MoveNodes(g, {x: (2, 2)}, text="Nudge"))
    assert len(h) == 1  # same kind of move merges whatever its label
    arrange = layout_command(g)
    h.push(arrange)
    h.push(MoveNodes(g, {n: (5, 5) for n in arrange.new}))
    assert len(h) == 3  # an Arrange never absorbs a drag of the same nodes


def test_paste_constructor_leaves_the_graph_alone() -> None:
    g, x, d1, d2 = _chain()
    frag = copy_fragment(g, [d1, d2])
    before = g._next_id  # the counter the issue names
    paste = Paste(g, frag)
    assert g._next_id == before
    add = AddNode(g, "Dense")
    History().push(add)
    h = History()
    h.push(paste)
    assert set(paste.node_ids).isdisjoint({x, d1, d2, add.node.id})
    assert len(g.nodes) == 6 and len(g.in_edges(paste.node_ids[1])) == 1
    h.undo()
    h.redo()
    assert len(g.nodes) == 6


def test_apply_positions_goes_through_the_model_events() -> None:
    from nnstudio.core.layout import apply_positions

    g, x, d1, d2 = _chain()
    seen: list[str] = []
    g.subscribe(lambda ev, node: seen.append(f"{ev}:{node.id}"))
    apply_positions(g, {x: (7, 8)})
    assert g.nodes[x].pos == (7.0, 8.0) and seen == [f"node_moved:{x}"]


def test_model_does_not_import_serialize() -> None:
    import ast

    import nnstudio.core.graph.model as model

    tree = ast.parse(Path(model.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not any(m.endswith("serialize") or m.endswith("commands") for m in imported)


def test_graph_copy_is_deep_and_independent() -> None:
    g, x, d1, d2 = _chain()
    g.nodes[x].extra["note"] = {"a": [1]}
    c = g.copy()
    assert c.to_json() == g.to_json()
    c.nodes[x].extra["note"]["a"].append(2)
    assert g.nodes[x].extra["note"] == {"a": [1]}


@pytest.mark.parametrize("direction", ["LR", "TB"])
def test_insert_on_edge_makes_room_downstream(direction) -> None:
    from nnstudio.core.graph.model import NODE_H, NODE_W
    from nnstudio.core.layout import apply_positions, layered_layout

    g, x, d1, d2 = _chain()
    apply_positions(g, layered_layout(g, direction))
    axis, size = (0, NODE_W) if direction == "LR" else (1, NODE_H)
    before = _snapshot(g)
    edge = g.in_edges(d1)[0]
    mid = tuple((a + b) / 2 for a, b in zip(g.nodes[x].pos, g.nodes[d1].pos, strict=True))
    h = History()
    old_d1, old_d2 = g.nodes[d1].pos, g.nodes[d2].pos
    cmd = h.push(InsertOnEdge(g, edge, "Dropout", mid))
    new = g.nodes[cmd.node_id].pos
    # The new node overlaps neither end, downstream nodes all shifted by the same amount.
    assert new[axis] >= g.nodes[x].pos[axis] + size
    assert g.nodes[d1].pos[axis] >= new[axis] + size
    shift = g.nodes[d1].pos[axis] - old_d1[axis]
    assert shift > 0 and g.nodes[d2].pos[axis] - old_d2[axis] == pytest.approx(shift)
    assert g.nodes[d1].pos[1 - axis] == old_d1[1 - axis]
    assert g.nodes[x].pos == tuple(before["nodes"][0]["pos"])  # upstream stays
    assert len(h) == 1
    h.undo()
    assert _snapshot(g) == before
    h.redo()
    assert g.nodes[d1].pos[axis] == pytest.approx(old_d1[axis] + shift)


def test_insert_on_long_edge_moves_nothing() -> None:
    g, x, d1, d2 = _chain()
    apply = {x: (0.0, 0.0), d1: (1000.0, 0.0), d2: (1300.0, 0.0)}
    from nnstudio.core.layout import apply_positions

    apply_positions(g, apply)
    cmd = History().push(InsertOnEdge(g, g.in_edges(d1)[0], "Dropout", (450.0, 10.0)))
    assert g.nodes[cmd.node_id].pos == (450.0, 10.0)
    assert g.nodes[d1].pos == (1000.0, 0.0) and cmd.moved == {}


def test_every_refusal_is_an_edit_refused() -> None:
    """A view needs only ``except EditRefused``: unknown layer types, unknown ids, unknown or
    invalid parameters, a damaged clipboard fragment, a run that is not there."""
    from nnstudio.core.graph import EditRefused, UnknownLayerType
    from nnstudio.core.graph.commands import (
        AddNode,
        Connect,
        InsertOnEdge,
        MoveNodes,
        Paste,
        Rename,
        SetParam,
        SetParams,
    )
    from nnstudio.core.project import Project
    from nnstudio.core.project_commands import RemoveRun, RenameRun

    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(3,))
    y = b.add("Dense", x, name="y", units=2)
    g = b.graph
    edge = next(iter(g.edges))
    refused = [
        lambda: AddNode(g, "NoSuchLayer"),
        lambda: InsertOnEdge(g, edge, "NoSuchLayer"),
        lambda: Connect(g, "zz", y),
        lambda: SetParams(g, "zz", {}),
        lambda: SetParam(g, y, "nope", 1),
        lambda: SetParams(g, y, {"units": "many"}),
        lambda: Rename(g, y, "x"),
        lambda: MoveNodes(g, {"zz": (0.0, 0.0)}),
        lambda: Paste(g, {"nodes": [{"id": 1}], "edges": "x"}),
        lambda: RemoveRun(Project(graph=g), "run-1"),
        lambda: RenameRun(Project(graph=g), "run-1", "a"),
    ]
    for make in refused:
        with pytest.raises(EditRefused):
            make()
    with pytest.raises(KeyError, match="unknown layer type 'NoSuchLayer'"):
        AddNode(g, "NoSuchLayer")  # still a KeyError for older callers
    assert issubclass(UnknownLayerType, KeyError)
    assert str(UnknownLayerType("unknown layer type 'Q'")) == "unknown layer type 'Q'"
