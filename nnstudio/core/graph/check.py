"""The full check of a graph: structure (NetworkX) plus shapes and parameter counts (Keras)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nnstudio.core.graph.model import Graph
from nnstudio.core.graph.shapes import NodeShape, ShapeInference, format_shape
from nnstudio.core.graph.validation import Issue, _param_issues, check_structure


@dataclass
class CheckResult:
    """Issues (errors first), per-node shapes and the model's parameter totals."""

    issues: list[Issue] = field(default_factory=list)
    shapes: dict[str, NodeShape] = field(default_factory=dict)
    # With block uses: the flat graph and its own check (``graph.block_check.FlatCheck``).
    flat: Any = None

    @property
    def errors(self) -> list[Issue]:
        """Issues of severity ``error``."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def ok(self) -> bool:
        """True when the graph has no errors (warnings allowed)."""
        return not self.errors

    @property
    def total_params(self) -> int:
        """Sum of every node's parameters."""
        return sum(s.params for s in self.shapes.values())

    @property
    def trainable_params(self) -> int:
        """Sum of every node's trainable parameters."""
        return sum(s.trainable for s in self.shapes.values())

    @property
    def weights_bytes(self) -> int:
        """Memory the weights take as float32."""
        return 4 * self.total_params

    def for_node(self, node_id: str) -> list[Issue]:
        """The issues located on one node."""
        return [i for i in self.issues if i.node == node_id]

    def summary_json(self, graph: Graph) -> dict[str, Any]:
        """Layers in topological order with type, output shape and parameters, plus totals."""
        from nnstudio.core.graph.model import GraphError

        try:
            order = graph.topological_order()
        except GraphError:
            order = list(graph.nodes)
        layers = []
        for nid in order:
            node = graph.nodes[nid]
            s = self.shapes.get(nid)
            layers.append(
                {
                    "id": nid,
                    "name": node.name,
                    "type": node.key,
                    "output_shape": list(s.shape) if s and s.shape else None,
                    "output_shape_text": format_shape(s.shape) if s else "?",
                    "params": s.params if s else 0,
                    "trainable_params": s.trainable if s else 0,
                    "inputs": [graph.nodes[e.src].name for e in graph.in_edges(nid)],
                    "output": graph.output_decl(nid) is not None,
                }
            )
        return {
            "layers": layers,
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "non_trainable_params": self.total_params - self.trainable_params,
            "weights_bytes": self.weights_bytes,
            "errors": len(self.errors),
            "warnings": len(self.issues) - len(self.errors),
        }


class GraphChecker:
    """Checks a graph; reuse one instance so that re-checks after an edit are incremental.

    A re-check after parameter edits alone (the same nodes, names, edges and outputs as the
    last check) checks again only the edited nodes' parameters and infers shapes again only
    from them downstream; any other edit checks the whole graph (with memoised shapes).
    """

    def __init__(self) -> None:
        self.inference = ShapeInference()
        # the last check's snapshot, issues other than parameters', parameter issues per
        # node, shapes and the inference's plan of the graph
        self._last: tuple[_Snapshot, list[Issue], dict[str, list[Issue]], Any, Any] | None = None
        self.incremental = False  # whether the last check was the incremental one (tests)

    def check(self, graph: Graph) -> CheckResult:
        """Structure then shapes; issues sorted errors first, in graph order."""
        if graph.uses_blocks():
            from nnstudio.core.graph.block_check import check_with_blocks

            return check_with_blocks(self, graph)
        snap = _Snapshot(graph)
        last = self._last
        changed = snap.params_changed(last[0]) if last is not None else None
        self.incremental = changed is not None
        if changed is None:
            structure = check_structure(graph)
            shapes = self.inference.infer(graph)
            plan = self.inference.plan
            others = [i for i in structure if i.code != "param"]
            params: dict[str, list[Issue]] = {}
            for issue in structure:
                if issue.code == "param" and issue.node is not None:
                    params.setdefault(issue.node, []).append(issue)
        else:
            assert last is not None
            _snap, others, params, previous, plan = last
            params = dict(params)
            for nid in changed:
                params.pop(nid, None)
            for issue in _param_issues(graph, changed):
                params.setdefault(issue.node or "", []).append(issue)
            shapes = self.inference.update(graph, previous, changed, plan)
        self._last = (snap, others, params, shapes, plan)
        issues = [i for nid in graph.nodes for i in params.get(nid, ())] + others
        issues += shapes.issues
        order = {nid: i for i, nid in enumerate(graph.nodes)}
        issues.sort(key=lambda i: (i.severity != "error", order.get(i.node or "", -1)))
        return CheckResult(issues, shapes.nodes)


class _Snapshot:
    """What a check read of a graph: nodes (id, type, name) in order, their parameters, the
    edges and the outputs."""

    def __init__(self, graph: Graph) -> None:
        self.nodes = [(n.id, n.key, n.name) for n in graph.nodes.values()]
        self.params = {n.id: dict(n.params) for n in graph.nodes.values()}
        self.edges = list(graph.edges)
        self.outputs = [(o.node, o.loss, o.loss_weight, list(o.metrics)) for o in graph.outputs]

    def params_changed(self, before: _Snapshot) -> set[str] | None:
        """The nodes whose parameters differ from ``before``, or ``None`` when anything
        else differs too (nodes, names, edges, outputs)."""
        if (
            self.nodes != before.nodes
            or self.edges != before.edges
            or self.outputs != before.outputs
        ):
            return None
        return {nid for nid, params in self.params.items() if params != before.params[nid]}


def check_graph(graph: Graph) -> CheckResult:
    """One-off full check (see :class:`GraphChecker` for repeated checks)."""
    return GraphChecker().check(graph)
