"""Graph -> ``keras.Model`` through the functional API (multi-input, multi-output, merges)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nnstudio.core.graph import Graph, GraphChecker, Issue
from nnstudio.core.graph.model import GraphError


class CompileError(ValueError):
    """The graph cannot be compiled; ``issues`` are the errors that stand in the way."""

    def __init__(self, issues: Sequence[Issue], graph: Graph | None = None) -> None:
        self.issues = list(issues)
        lines = []
        for i in self.issues[:10]:
            where = f"{graph.nodes[i.node].name}: " if graph and i.node in graph.nodes else ""
            lines.append(f"- {where}{i.message}")
        more = f"\n… and {len(self.issues) - 10} more" if len(self.issues) > 10 else ""
        super().__init__("The graph has errors:\n" + "\n".join(lines) + more)


def used_node_ids(graph: Graph) -> list[str]:
    """Node ids that feed a declared output, in topological order."""
    import networkx as nx

    g = graph.to_networkx()
    needed: set[str] = set()
    for o in graph.outputs:
        needed.add(o.node)
        needed |= nx.ancestors(g, o.node)
    return [nid for nid in graph.topological_order() if nid in needed]


def build_model(
    graph: Graph,
    *,
    seed: int | None = None,
    name: str = "model",
    checker: GraphChecker | None = None,
) -> Any:
    """Build the functional ``keras.Model`` of ``graph``.

    Layers are named after their nodes; the model's inputs are the Input nodes (in graph
    order) that feed an output; its outputs are the declared outputs, in order.  With a
    ``seed`` the initial weights are reproducible.  Raises :class:`CompileError` when the
    graph has errors.
    """
    result = (checker or GraphChecker()).check(graph)
    if not result.ok:
        raise CompileError(result.errors, graph)
    if result.flat is not None:  # blocks are inlined (see nnstudio.core.graph.blocks)
        graph = result.flat.graph
    import keras

    if seed is not None:
        keras.utils.set_random_seed(seed)
    tensors: dict[str, Any] = {}
    inputs: list[Any] = []
    for nid in used_node_ids(graph):
        node = graph.nodes[nid]
        spec = node.spec
        values, _ = spec.validate_params(node.params)
        if spec.is_input:
            t = keras.Input(shape=tuple(values["shape"]), dtype=values["dtype"], name=node.name)
            inputs.append(t)
            tensors[nid] = t
            continue
        layer = spec.build(values, node.name)
        port_tensors: dict[str, Any] = {}
        for port in spec.inputs:
            srcs = [tensors[e.src] for e in graph.in_edges(nid, port)]
            if spec.variadic:
                port_tensors[port] = srcs
            elif srcs:
                port_tensors[port] = srcs[0]
        out = spec.call(layer, port_tensors)
        tensors[nid] = out[0] if isinstance(out, (list, tuple)) else out
    if not inputs:
        raise GraphError("no Input feeds the declared outputs")
    outputs = [tensors[o.node] for o in graph.outputs]
    return keras.Model(
        inputs=inputs if len(inputs) > 1 else inputs[0],
        outputs=outputs if len(outputs) > 1 else outputs[0],
        name=name,
    )


def compile_model(model: Any, graph: Graph, optimizer: Any = "adam") -> Any:
    """``model.compile`` with the losses, loss weights and metrics of the declared outputs."""
    outs = graph.outputs
    if len(outs) == 1:
        model.compile(optimizer=optimizer, loss=outs[0].loss, metrics=list(outs[0].metrics))
    else:
        model.compile(
            optimizer=optimizer,
            loss=[o.loss for o in outs],
            loss_weights=[o.loss_weight for o in outs],
            metrics=[list(o.metrics) for o in outs],
        )
    return model
