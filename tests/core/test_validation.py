"""Structural validation and shape inference: located, plain-words issues."""

from __future__ import annotations

from nnstudio.core.graph import Edge, GraphChecker, check_graph
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import AddNode, History, SetParam


def _codes(result):
    return {(i.code, i.node) for i in result.issues}


def test_structure_issues_are_found_and_located() -> None:
    b = GraphBuilder()
    x = b.add("Input", shape=(8,))
    d1 = b.add("Dense", x)
    d2 = b.add("Dense", d1)
    lonely = b.add("Dense")
    add = b.add("Add", [d2])
    g = b.graph
    g.edges.append(Edge(d2, d1, "in"))  # a cycle and a second edge into d1's port
    r = check_graph(g)
    codes = _codes(r)
    assert ("cycle", d1) in codes and ("cycle", d2) in codes
    cycle_msg = next(i.message for i in r.issues if i.code == "cycle")
    assert "dense" in cycle_msg and "→" in cycle_msg
    assert ("port_multi", d1) in codes
    assert ("port_open", lonely) in codes
    assert ("merge_inputs", add) in codes
    assert ("no_output", None) in codes
    assert ("unreachable", lonely) in codes
    assert not r.ok


def test_duplicate_names_and_missing_input() -> None:
    b = GraphBuilder()
    d = b.add("Dense")
    e = b.add("Dense")
    b.graph.nodes[e].name = b.graph.nodes[d].name
    r = check_graph(b.graph)
    assert ("name", d) in _codes(r) and ("name", e) in _codes(r)
    assert ("no_input", None) in _codes(r)


def test_shape_error_names_both_nodes_with_hint() -> None:
    b = GraphBuilder()
    x = b.add("Input", shape=(64,))
    d = b.add("Dense", x, name="dense_2", units=64)
    c = b.add("Conv2D", d, name="conv_1")
    b.output(c)
    r = check_graph(b.graph)
    [issue] = r.errors
    assert issue.node == c
    assert issue.message == (
        'Conv 2D "conv_1" expects a 4-D input (batch, height, width, '
        'channels) but receives (batch, 64) from "dense_2".'
    )
    assert "Reshape" in issue.hint


def test_merge_shape_mismatch_and_keras_errors_become_issues() -> None:
    b = GraphBuilder()
    x = b.add("Input", shape=(8,))
    p = b.add("Dense", x, units=10, name="p")
    q = b.add("Dense", x, units=12, name="q")
    a = b.add("Add", [p, q], name="join")
    r = b.add("Reshape", x, target_shape=(3, 3))
    b.output(a)
    b.output(r)
    res = check_graph(b.graph)
    msgs = {i.node: i.message for i in res.errors}
    assert '(batch, 10) from "p" and (batch, 12) from "q"' in msgs[a]
    assert r in msgs and "Reshape" in msgs[r]


def test_downstream_of_an_error_is_not_reported_twice() -> None:
    b = GraphBuilder()
    x = b.add("Input", shape=(8,))
    c = b.add("Conv1D", x)
    d = b.add("Dense", c)
    b.output(d)
    res = check_graph(b.graph)
    assert [i.node for i in res.errors] == [c]
    assert res.shapes.get(d) is None


def test_param_errors_from_a_file_are_shown_on_the_node() -> None:
    b = GraphBuilder()
    x = b.add("Input", shape=(8,))
    d = b.add("Dense", x)
    b.output(d)
    b.graph.nodes[d].params["units"] = "many"
    res = check_graph(b.graph)
    assert [(i.code, i.node) for i in res.errors] == [("param", d)]


def test_totals_and_summary() -> None:
    b = GraphBuilder()
    x = b.add("Input", shape=(8,))
    d = b.add("Dense", x, units=4)
    n = b.add("BatchNormalization", d)
    b.output(n)
    res = check_graph(b.graph)
    assert res.total_params == 8 * 4 + 4 + 4 * 4
    assert res.trainable_params == 8 * 4 + 4 + 2 * 4
    summary = res.summary_json(b.graph)
    assert [layer["type"] for layer in summary["layers"]] == [
        "Input",
        "Dense",
        "BatchNormalization",
    ]
    assert summary["layers"][1]["output_shape"] == [None, 4]


def _resnet_like(blocks: int = 30):
    b = GraphBuilder()
    x = b.add("Input", shape=(32, 32, 3))
    h = b.add("Conv2D", x, filters=16, padding="same")
    for _ in range(blocks):
        r = b.add("Conv2D", h, filters=16, padding="same")
        r = b.add("BatchNormalization", r)
        r = b.add("Activation", r)
        r = b.add("Conv2D", r, filters=16, padding="same")
        h = b.add("Add", [h, r])
    out = b.add("Dense", b.add("GlobalAveragePooling2D", h), units=10)
    b.output(out)
    return b.graph, h


def test_recheck_after_one_change_recomputes_only_downstream() -> None:
    g, last_add = _resnet_like(10)
    checker = GraphChecker()
    checker.check(g)
    computed_before = checker.inference.computed
    head = next(n for n in g.nodes.values() if n.key == "Dense")
    h = History()
    h.push(SetParam(g, head.id, "units", 5))
    res = checker.check(g)
    assert res.ok
    assert checker.inference.computed - computed_before == 1
    assert res.shapes[head.id].shape == (None, 5)
    # A change early in the graph that does not change shapes is also cheap.
    first_bn = next(n for n in g.nodes.values() if n.key == "BatchNormalization")
    before = checker.inference.computed
    h.push(SetParam(g, first_bn.id, "momentum", 0.9))
    checker.check(g)
    assert checker.inference.computed - before == 1


def test_adding_a_node_is_checked_incrementally() -> None:
    g, _ = _resnet_like(5)
    checker = GraphChecker()
    checker.check(g)
    before = checker.inference.computed
    History().push(AddNode(g, "Dense", (0, 0)))
    checker.check(g)
    assert checker.inference.computed == before  # an unconnected node computes nothing
