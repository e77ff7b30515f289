"""``nnstudio summary`` with blocks: ``layers`` stays the flat list, ``blocks`` lists the uses;
costs and issues through blocks."""

from __future__ import annotations

import json

from nnstudio.cli import main
from nnstudio.core.graph import check_graph
from nnstudio.core.graph.block_commands import GroupNodes, SetRepeat
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import SetParam
from nnstudio.core.insight.cost import compute_cost
from nnstudio.core.project import Project


def _project():
    b = GraphBuilder()
    x = b.add("Input", shape=(8,))
    a = b.add("Dense", x, units=8, activation="relu", name="a")
    s = b.add("Add", [a, x], name="s")
    b.output(b.add("Dense", s, units=2, name="head"))
    g = b.graph
    cmd = GroupNodes(g, [a, s], "res", shapes={})
    cmd.redo()
    SetRepeat(g, cmd.use_id, 3).redo()
    return Project(graph=g, name="blocks"), cmd.use_id


def test_summary_json_lists_blocks_and_the_flat_layers(tmp_path, capsys):
    project, use = _project()
    path = project.save(tmp_path / "b.nnstudio")
    assert main(["summary", "--json", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    names = [layer["name"] for layer in data["layers"]]
    assert names == ["input", *[f"res_{k}_{n}" for k in (1, 2, 3) for n in ("a", "s")], "head"]
    assert data["total_params"] == 3 * 72 + 18
    (block,) = data["blocks"]
    assert block["name"] == "res" and block["definition"] == "res" and block["repeat"] == 3
    assert block["nodes"] == 6 and block["params"] == 3 * 72
    assert block["output_shape"] == [None, 8]
    inner = [layer for layer in data["layers"] if layer["name"].startswith("res_")]
    assert block["macs"] == sum(layer["macs"] for layer in inner) == 3 * 64
    assert main(["summary", str(path)]) == 0
    assert "Block res (res x3): 6 layers, 216 params, output (batch, 8)" in capsys.readouterr().out


def test_a_graph_without_blocks_has_no_blocks_key(tmp_path, capsys):
    b = GraphBuilder()
    b.output(b.add("Dense", b.add("Input", shape=(3,)), units=1))
    path = Project(graph=b.graph).save(tmp_path / "p.nnstudio")
    assert main(["summary", "--json", str(path)]) == 0
    assert "blocks" not in json.loads(capsys.readouterr().out)


def test_costs_are_summed_per_block_use_and_errors_open_at_the_inner_node():
    project, use = _project()
    g = project.graph
    result = check_graph(g)
    cost = compute_cost(g, result)
    flat_cost = compute_cost(result.flat.graph, result.flat.result)
    assert cost.nodes[use].macs == sum(
        c.macs for fid, c in flat_cost.nodes.items() if result.flat.flat.top(fid) == use
    )
    assert cost.total_flops == flat_cost.total_flops
    # break the block inside: the use carries the error and the inner node's id
    inner = g.blocks["res"].graph
    a = next(n.id for n in inner.nodes.values() if n.name == "a")
    SetParam(inner, a, "units", 5).redo()
    result = check_graph(g)
    assert not result.ok
    issue = result.errors[0]
    assert issue.node == use and issue.inner == (
        next(n.id for n in inner.nodes.values() if n.name == "s"),
    )
    assert issue.message.startswith('In block "res" (copy 1 of 3): ')
    assert issue.to_json(g)["inner"] == list(issue.inner)
    assert result.shapes[use].error


def test_the_structural_check_alone_sees_through_blocks():
    from nnstudio.core.graph.model import Graph, copy_blocks
    from nnstudio.core.graph.validation import check_structure

    project, use = _project()
    g = project.graph
    inner = g.blocks["res"].graph
    s = next(n.id for n in inner.nodes.values() if n.name == "s")
    inner._delete_edge(inner.in_edges(s)[0])  # the Add keeps one input: an error inside
    issues = check_structure(g)
    merge = [i for i in issues if i.code == "merge_inputs"]
    assert merge and merge[0].node == use and merge[0].inner == (s,)
    snapshot = Graph()  # what a background check copies: nodes, edges, outputs, blocks
    snapshot.nodes = {nid: n.copy() for nid, n in g.nodes.items()}
    snapshot.edges, snapshot.outputs = list(g.edges), [o.copy() for o in g.outputs]
    copy_blocks(g, snapshot)
    assert [i.message for i in check_structure(snapshot)] == [i.message for i in issues]
    assert snapshot.blocks["res"] is not g.blocks["res"]
