"""Structural checks with NetworkX: cycles, ports, merges, inputs/outputs, reachability, names."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from nnstudio.core.graph.model import Graph, Node

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    """One finding: ``node`` is the node id it belongs to (``None``: the whole graph).

    Inside a block use, ``node`` is the use and ``inner`` the path below it: the ids of the
    nested uses, then the inner node's id (in the graph of the innermost definition)."""

    severity: Severity
    node: str | None
    message: str
    hint: str = ""
    port: str | None = None
    code: str = ""
    inner: tuple[str, ...] = ()

    def to_json(self, graph: Graph | None = None) -> dict[str, Any]:
        """JSON form; with ``graph``, the node's name is included."""
        d: dict[str, Any] = {
            "severity": self.severity,
            "node": self.node,
            "message": self.message,
            "code": self.code,
        }
        if graph is not None and self.node in graph.nodes:
            d["node_name"] = graph.nodes[self.node].name
        if self.hint:
            d["hint"] = self.hint
        if self.port:
            d["port"] = self.port
        if self.inner:
            d["inner"] = list(self.inner)
        return d


def check_structure(graph: Graph) -> list[Issue]:
    """Every structural issue of ``graph`` (no Keras involved).

    In this order: parameters, names, cycles, ports, inputs and outputs, reachability.
    """
    import networkx as nx  # lazily: the editor's window opens before NetworkX is needed

    if graph.uses_blocks():  # checked through the blocks, located on the uses
        from nnstudio.core.graph.block_check import structure_with_blocks

        return structure_with_blocks(graph)
    if not graph.nodes:
        return [
            Issue("error", None, "The graph is empty: add an Input and some layers.", code="empty")
        ]
    g = nx.DiGraph()
    g.add_nodes_from(graph.nodes)
    g.add_edges_from((e.src, e.dst) for e in graph.edges)
    inputs = [n.id for n in graph.nodes.values() if n.spec.is_input]
    fan_in = Counter((e.dst, e.port) for e in graph.edges)  # one pass, not one per port
    return [
        *_param_issues(graph),
        *_name_issues(graph),
        *_cycle_issues(graph, g),
        *(issue for node in graph.nodes.values() for issue in _port_issues(graph, node, fan_in)),
        *_io_issues(graph, inputs),
        *_reach_issues(graph, g, inputs),
    ]


def _param_issues(graph: Graph, node_ids: Iterable[str] | None = None) -> list[Issue]:
    """Parameters the spec refuses (of ``node_ids`` only, when given)."""
    issues = []
    nodes = graph.nodes.values() if node_ids is None else (graph.nodes[n] for n in node_ids)
    for node in nodes:
        _, errors = node.spec.validate_params(node.params)
        for pname, msg in errors.items():
            issues.append(
                Issue(
                    "error",
                    node.id,
                    f'"{node.name}": {msg}',
                    port=None,
                    code="param",
                    hint=f"Fix the value of {pname} in the inspector.",
                )
            )
        if not errors and node.spec.param_issues is not None:
            values, _ = node.spec.validate_params(node.params)
            for severity, msg, hint in node.spec.param_issues(values):
                sev: Severity = "error" if severity == "error" else "warning"
                code = "param" if sev == "error" else "param_warning"
                issues.append(Issue(sev, node.id, f'"{node.name}": {msg}', hint=hint, code=code))
    return issues


def _name_issues(graph: Graph) -> list[Issue]:
    """Duplicate names."""
    counts = Counter(n.name for n in graph.nodes.values())
    return [
        Issue(
            "error",
            node.id,
            f'Two or more layers are called "{node.name}".',
            "Rename one of them: layer names must be unique.",
            code="name",
        )
        for node in graph.nodes.values()
        if counts[node.name] > 1
    ]


def _cycle_issues(graph: Graph, g: Any) -> list[Issue]:
    """Each strongly connected component with more than one node, or a self-loop."""
    import networkx as nx

    issues = []
    for comp in nx.strongly_connected_components(g):
        if len(comp) > 1 or any(g.has_edge(n, n) for n in comp):
            try:
                cycle = [u for u, _ in nx.find_cycle(g.subgraph(comp))]
            except nx.NetworkXNoCycle:  # pragma: no cover - a component always has one
                cycle = sorted(comp)
            names = " → ".join(graph.nodes[n].name for n in [*cycle, cycle[0]])
            for nid in cycle:
                issues.append(
                    Issue(
                        "error",
                        nid,
                        f"Cycle: {names}.",
                        "Remove one of these connections: data must flow one way.",
                        code="cycle",
                    )
                )
    return issues


def _port_issues(
    graph: Graph, node: Node, fan_in: Mapping[tuple[str, str], int] | None = None
) -> list[Issue]:
    """Open, over-full or under-full input ports of ``node`` (``fan_in``: the edges into
    each (node, port), counted once for the whole graph)."""
    spec = node.spec
    issues = []
    for port in spec.inputs:
        n = (
            fan_in.get((node.id, port), 0)
            if fan_in is not None
            else len(graph.in_edges(node.id, port))
        )
        if spec.variadic:
            if n < 2:
                issues.append(
                    Issue(
                        "error",
                        node.id,
                        f'{spec.display} "{node.name}" needs at least two inputs; it has {n}.',
                        "Connect another layer's output to it.",
                        port,
                        code="merge_inputs",
                    )
                )
            elif spec.max_inputs is not None and n > spec.max_inputs:
                issues.append(
                    Issue(
                        "error",
                        node.id,
                        f'{spec.display} "{node.name}" takes exactly {spec.max_inputs} inputs; '
                        f"it has {n}.",
                        "Remove the extra connections.",
                        port,
                        code="merge_inputs",
                    )
                )
        elif n > 1:
            issues.append(
                Issue(
                    "error",
                    node.id,
                    f'Input "{port}" of "{node.name}" has {n} connections; it takes one.',
                    "Merge them first with Add or Concatenate.",
                    port,
                    code="port_multi",
                )
            )
        elif not n and port not in spec.optional_inputs:
            what = f'input "{port}"' if len(spec.inputs) > 1 else "its input"
            issues.append(
                Issue(
                    "error",
                    node.id,
                    f'{spec.display} "{node.name}": {what} is not connected.',
                    "Drag a connection from another layer's output port.",
                    port,
                    code="port_open",
                )
            )
    return issues


def _io_issues(graph: Graph, inputs: list[str]) -> list[Issue]:
    """No Input, no declared output, an Input declared as an output."""
    issues = []
    if not inputs:
        issues.append(
            Issue(
                "error",
                None,
                "The model has no Input.",
                "Add an Input layer and set the shape of one sample.",
                code="no_input",
            )
        )
    if not graph.outputs:
        issues.append(
            Issue(
                "error",
                None,
                "No model output is declared.",
                "Select the last layer and mark it as a model output.",
                code="no_output",
            )
        )
    nodes = graph.nodes
    for decl in graph.outputs:
        if decl.node in nodes and nodes[decl.node].spec.is_input:
            issues.append(
                Issue(
                    "error",
                    decl.node,
                    f'"{nodes[decl.node].name}" is an Input and cannot be an output.',
                    code="output_input",
                )
            )
    return issues


def _reach_issues(graph: Graph, g: Any, inputs: list[str]) -> list[Issue]:
    """Warnings: layers no Input reaches, layers that lead to no output."""
    import networkx as nx

    issues = []
    if inputs:
        reached = set(inputs)
        for nid in inputs:
            reached |= nx.descendants(g, nid)
        for node in graph.nodes.values():
            if node.id not in reached:
                issues.append(
                    Issue(
                        "warning",
                        node.id,
                        f'"{node.name}" cannot be reached from any Input.',
                        "Connect it, or delete it.",
                        code="unreachable",
                    )
                )
    if graph.outputs:
        feeding = {o.node for o in graph.outputs}
        for o in graph.outputs:
            feeding |= nx.ancestors(g, o.node)
        for node in graph.nodes.values():
            if node.id not in feeding:
                issues.append(
                    Issue(
                        "warning",
                        node.id,
                        f'"{node.name}" does not lead to any model output; it is '
                        "left out of the compiled model.",
                        "Connect it towards an output, or delete it.",
                        code="dead_end",
                    )
                )
    return issues
