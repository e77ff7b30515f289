"""Fit to data: the Input takes the data's shape, the head fits the targets, one undo step."""

from __future__ import annotations

import pytest

from nnstudio.core.data import DataError, Report
from nnstudio.core.data.fit import fit_commands
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import History


def _report(task="classification", classes=("a", "b", "c"), shape=(6,), outputs=0):
    return Report(
        kind="csv",
        path="d.csv",
        samples=10,
        feature_shape=shape,
        task=task,
        classes=[(c, 3) for c in classes] if task == "classification" else [],
        num_outputs=outputs or len(classes),
    )


def _mlp(head_units=10, declare=True):
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(4,))
    h = b.add("Dense", x, name="hidden", units=8, activation="relu")
    y = b.add("Dense", h, name="out", units=head_units, activation="softmax")
    if declare:
        b.output(y, "mse", ["mae"])
    return b.graph, x, y


def test_fit_sets_input_shape_and_dense_head_in_one_undo_step():
    graph, x, y = _mlp()
    before = graph.to_json()
    history = History()
    history.push(fit_commands(graph, _report()))
    assert graph.nodes[x].params["shape"] == (6,)
    assert graph.nodes[y].params["units"] == 3
    assert graph.nodes[y].params["activation"] == "softmax"
    decl = graph.output_decl(y)
    assert decl.loss == "sparse_categorical_crossentropy" and decl.metrics == ["accuracy"]
    assert history.undo()
    assert graph.to_json() == before
    assert history.redo()
    assert graph.nodes[y].params["units"] == 3


def test_binary_and_regression_heads():
    graph, _, y = _mlp()
    History().push(fit_commands(graph, _report(classes=("no", "yes"))))
    assert graph.nodes[y].params["units"] == 1
    assert graph.nodes[y].params["activation"] == "sigmoid"
    assert graph.output_decl(y).loss == "binary_crossentropy"

    graph, _, y = _mlp(declare=False)
    History().push(fit_commands(graph, _report(task="regression", classes=(), outputs=2)))
    assert graph.nodes[y].params["units"] == 2
    assert graph.nodes[y].params["activation"] == "linear"
    assert graph.output_decl(y).loss == "mse" and graph.output_decl(y).metrics == ["mae"]


def test_a_dense_is_appended_after_another_kind_of_head():
    b = GraphBuilder()
    x = b.add("Input", name="img", shape=(28, 28, 1))
    f = b.add("Flatten", x, name="flat")
    b.output(f, "mse")
    graph = b.graph
    before = graph.to_json()
    history = History()
    history.push(fit_commands(graph, _report(shape=(8, 8, 3), classes=tuple("abcd"))))
    assert graph.nodes[x].params["shape"] == (8, 8, 3)
    assert graph.output_decl(f) is None
    (decl,) = graph.outputs
    head = graph.nodes[decl.node]
    assert head.key == "Dense" and head.params["units"] == 4 and head.name == "output"
    assert [(e.src, e.dst) for e in graph.out_edges(f)] == [(f, head.id)]
    history.undo()
    assert graph.to_json() == before


def test_graphs_that_cannot_be_fitted():
    b = GraphBuilder()
    b.add("Input", name="a", shape=(2,))
    b.add("Input", name="c", shape=(2,))
    with pytest.raises(DataError, match="2 Input layers"):
        fit_commands(b.graph, _report())
    graph, _, _ = _mlp()
    with pytest.raises(DataError, match="no usable targets"):
        fit_commands(graph, _report(task=None))
