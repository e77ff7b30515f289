"""Costs through blocks: the flat graph's per-node costs, summed per top-level block use."""

from __future__ import annotations

from typing import Any

from nnstudio.core.insight.cost import CostReport, NodeCost


def lift_report(flat_report: CostReport, flat_check: Any) -> CostReport:
    """``flat_report`` (of ``flat_check.graph``) keyed by top-level node ids: a block use's
    cost is the sum over its layers (all copies); the peaks stay those of the flat graph."""
    flat = flat_check.flat
    report = CostReport(
        peak_activation_bytes=flat_report.peak_activation_bytes,
        peak_node=flat.top(flat_report.peak_node) if flat_report.peak_node else None,
        sample_training_bytes=flat_report.sample_training_bytes,
    )
    sums: dict[str, list[NodeCost]] = {}
    for fid, cost in flat_report.nodes.items():
        sums.setdefault(flat.top(fid), []).append(cost)
    for top, costs in sums.items():
        report.nodes[top] = costs[0] if len(costs) == 1 and top in flat.graph.nodes else _sum(costs)
    return report


def _sum(costs: list[NodeCost]) -> NodeCost:
    return NodeCost(
        macs=sum(c.macs for c in costs),
        flops=sum(c.flops for c in costs),
        params=sum(c.params for c in costs),
        param_bytes=sum(c.param_bytes for c in costs),
        activation_bytes=sum(c.activation_bytes for c in costs),
        approximate=any(c.approximate for c in costs),
    )
