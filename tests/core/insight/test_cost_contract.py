"""Contract: every catalog layer has a cost rule that gives sane numbers on its example graph."""

from __future__ import annotations

import math

import pytest

from nnstudio.core import catalog
from nnstudio.core.graph import GraphChecker
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.insight.cost import CostModel
from nnstudio.core.insight.cost_rules import RULES

SPECS = catalog.all_specs()


def test_rules_match_the_catalog_exactly() -> None:
    keys = {s.key for s in SPECS}
    assert keys - set(RULES) == set(), "catalog layers without a cost rule"
    assert set(RULES) - keys == set(), "cost rules for layers the catalog does not have"


@pytest.fixture(scope="module")
def checker() -> GraphChecker:
    return GraphChecker()


def _example_graph(spec):
    b = GraphBuilder()
    if spec.is_input:
        node = b.add("Input")
        b.output(b.add("Dense", node, units=2))  # an Input cannot be an output itself
        return b.graph, node
    sources = [
        b.add("Input", shape=shape, dtype=spec.example_dtype) for shape in spec.example_input
    ]
    if spec.variadic:
        node = b.add(spec.key, sources)
    else:
        node = b.add(spec.key, ports=dict(zip(spec.inputs, sources, strict=False)))
    b.output(node)
    return b.graph, node


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
def test_every_layer_has_sane_costs(spec, checker) -> None:
    graph, node = _example_graph(spec)
    result = checker.check(graph)
    assert result.ok, [i.message for i in result.errors]
    report = CostModel().compute(graph, result)
    assert set(report.nodes) == set(graph.nodes)
    cost = report.nodes[node]
    for value in (cost.macs, cost.flops, cost.param_bytes, cost.activation_bytes):
        assert isinstance(value, int) and value >= 0 and math.isfinite(value)
    assert cost.flops >= 2 * cost.macs
    assert cost.param_bytes == 4 * result.shapes[node].params
    assert cost.activation_bytes > 0
    # A layer with a weight matrix (more parameters than outputs) does multiply-accumulates,
    # except an embedding, which only looks its vectors up.
    if spec.key != "Embedding" and result.shapes[node].params > cost.activation_bytes:
        assert cost.macs > 0
    assert report.peak_activation_bytes >= cost.activation_bytes
    assert report.training_peak(2) >= 2 * report.total_activation_bytes
