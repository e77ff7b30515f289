"""A re-check after parameter edits (incremental) finds what a fresh full check finds."""

from __future__ import annotations

import pytest

from nnstudio.core.graph import GraphChecker
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import History, SetParam


def _graph():
    """Input, three residual blocks of small dense layers, a head."""
    b = GraphBuilder()
    h = b.add("Dense", b.add("Input", name="x", shape=(8,)), name="stem", units=8)
    for i in range(3):
        r = b.add("Dense", h, name=f"b{i}_a", units=8)
        r = b.add("Dropout", r, name=f"b{i}_drop", rate=0.1)
        r = b.add("Dense", r, name=f"b{i}_b", units=8)
        h = b.add("Add", [h, r], name=f"b{i}_add")
    b.output(b.add("Dense", h, name="head", units=1), "mse", [])
    return b.graph


def _same(a, b) -> None:
    assert a.issues == b.issues
    assert a.shapes == b.shapes
    assert list(a.shapes) == list(b.shapes)  # the same (topological) order


@pytest.mark.parametrize(
    "edits",
    [
        [("b1_b", "units", 16)],  # breaks the join, and everything after it
        [("b1_b", "units", 16), ("b1_b", "units", 8)],  # and mends it
        [("b0_drop", "rate", 0.5), ("head", "units", 3), ("stem", "units", 4)],
        [("b2_a", "units", 4), ("b0_b", "units", 2), ("b0_b", "units", 8)],
    ],
)
def test_a_re_check_after_parameter_edits_equals_a_fresh_check(edits) -> None:
    graph = _graph()
    checker = GraphChecker()
    checker.check(graph)
    history = History()
    for name, param, value in edits:
        history.push(SetParam(graph, graph.node_by_name(name).id, param, value))
        result = checker.check(graph)
        assert checker.incremental
        _same(result, GraphChecker().check(graph))
    while history.undo():
        _same(checker.check(graph), GraphChecker().check(graph))


def test_a_parameter_error_comes_and_goes_with_the_edit() -> None:
    graph = _graph()
    checker = GraphChecker()
    checker.check(graph)
    node = graph.nodes[graph.node_by_name("b1_drop").id]
    node.params = {**node.params, "rate": 7.0}  # out of range: refused by the spec
    result = checker.check(graph)
    assert checker.incremental and any(i.code == "param" for i in result.for_node(node.id))
    _same(result, GraphChecker().check(graph))
    node.params = {**node.params, "rate": 0.2}
    assert not any(i.code == "param" for i in checker.check(graph).issues)


def test_other_edits_check_the_whole_graph() -> None:
    graph = _graph()
    checker = GraphChecker()
    checker.check(graph)
    graph.nodes[graph.node_by_name("b0_a").id].name = "b0_b"  # a duplicate name
    result = checker.check(graph)
    assert not checker.incremental and any(i.code == "name" for i in result.issues)
    edge = next(e for e in graph.edges if graph.nodes[e.dst].name == "b2_add")
    graph.edges.remove(edge)  # an open port
    result = checker.check(graph)
    assert not checker.incremental
    _same(result, GraphChecker().check(graph))
    checker.check(graph)
    assert checker.incremental  # nothing changed: the cheap path, the same result
    _same(checker.check(graph), GraphChecker().check(graph))
