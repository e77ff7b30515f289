"""Ungroup: a block use's layers back in its place, all copies, named as compiled."""

from __future__ import annotations

from typing import Any

from nnstudio.core.graph.block_edit import _fresh_id, _StateEdit
from nnstudio.core.graph.blocks import qualify, use_label
from nnstudio.core.graph.model import (
    BLOCK_KEY,
    OUT_PORT,
    BlockDefinition,
    Edge,
    Graph,
    GraphError,
    Node,
    OutputDecl,
)


class Ungroup(_StateEdit):
    """Put the layers of a block use back in its place (all its copies, names as compiled,
    so trained weights still fit); the definition goes when nothing uses it any more."""

    def __init__(self, graph: Graph, use_id: str) -> None:
        super().__init__(graph)
        use = graph.node(use_id)
        if use.key != BLOCK_KEY:
            raise GraphError(f"{use.name!r} is not a block")
        name = str(use.params.get("definition"))
        definition = graph.blocks.get(name)
        if definition is None:
            raise GraphError(f"the block definition {name!r} does not exist")
        new_nodes, alias = _inline(graph, use, definition)
        self.node_ids = [n.id for n in new_nodes]

        def resolve(src: str, port: str) -> tuple[str, str]:
            while (src, port) in alias:
                src, port = alias[(src, port)]
            return src, port

        edges: list[Edge] = []
        for e in graph.edges:
            if e.dst == use_id:
                continue
            if e.src == use_id:
                s, p = resolve(use_id, e.src_port)
                edges.append(Edge(s, e.dst, e.port, dict(e.extra), p))
            else:
                edges.append(e)
        for src, dst, port, extra in alias.pop(("", ""), []):
            s, p = resolve(*src)
            edges.append(Edge(s, dst, port, dict(extra), p))
        outputs = []
        for o in graph.outputs:
            if o.node == use_id:
                s, p = resolve(use_id, o.port)
                outputs.append(
                    OutputDecl(s, o.loss, o.loss_weight, list(o.metrics), dict(o.extra), p)
                )
            else:
                outputs.append(o.copy())
        nodes: list[Node] = []
        for n in graph.nodes.values():
            if n.id == use_id:
                nodes.extend(new_nodes)
            else:
                nodes.append(n)
        still_used = any(
            n.key == BLOCK_KEY and n.id != use_id and n.params.get("definition") == name
            for g in [graph, *(d.graph for d in graph.blocks.values())]
            for n in g.nodes.values()
        )
        self._prepare(nodes, _in_order(edges), outputs, {} if still_used else {name: None})
        self.text = f"Ungroup {use.name}"


def _in_order(edges: list[Edge]) -> list[Edge]:
    seen: set[Edge] = set()
    out = []
    for e in edges:
        if e not in seen:
            seen.add(e)
            out.append(e)
    return out


def _inline(
    graph: Graph, use: Node, definition: BlockDefinition
) -> tuple[list[Node], dict[Any, Any]]:
    """The copies' nodes (fresh ids, flat names) and the tensor aliases that bind them.

    ``alias[(use, port)]`` is the tensor of an output port; ``alias[("", "")]`` lists the
    inner edges as ``((src, port), dst, dst_port, extra)`` with sources still to resolve.
    """
    inner = definition.graph
    repeat = int(use.params.get("repeat", 1) or 1)
    taken = {n.name for n in graph.nodes.values() if n.id != use.id}
    ins, outs = definition.input_ports(), definition.output_ports()
    alias: dict[Any, Any] = {}
    pending: list[Any] = []
    cx = sum(n.pos[0] for n in inner.nodes.values()) / max(1, len(inner.nodes))
    cy = sum(n.pos[1] for n in inner.nodes.values()) / max(1, len(inner.nodes))
    width = max((n.pos[0] for n in inner.nodes.values()), default=0.0) - min(
        (n.pos[0] for n in inner.nodes.values()), default=0.0
    )
    nodes: list[Node] = []
    ids: set[str] = set()
    prev: dict[str, tuple[str, str]] = {}
    for k in range(repeat):
        label = use_label(use, k)
        idmap: dict[str, str] = {}
        for n in inner.nodes.values():
            if n.key == "Input":
                continue
            nid = _fresh_id(graph, ids)
            ids.add(nid)
            idmap[n.id] = nid
            name = qualify(label, n.name)
            if name in taken:
                name = graph.unique_name(name, taken)
            taken.add(name)
            dx = k * (width + 260.0)
            pos = (use.pos[0] + n.pos[0] - cx + dx, use.pos[1] + n.pos[1] - cy)
            nodes.append(Node(nid, n.key, name, dict(n.params), pos, dict(n.extra)))
        for port_id in ins:
            if k == 0:
                edges = graph.in_edges(use.id, port_id)
                if edges:
                    alias[(f"{k}:{port_id}", OUT_PORT)] = (edges[0].src, edges[0].src_port)
            else:
                alias[(f"{k}:{port_id}", OUT_PORT)] = prev[port_id]
        for e in inner.edges:
            src = idmap.get(e.src, f"{k}:{e.src}")
            pending.append(((src, e.src_port), idmap[e.dst], e.port, e.extra))
        outs_now = {}
        for port, o in zip(outs, inner.outputs, strict=True):
            outs_now[port] = (idmap.get(o.node, f"{k}:{o.node}"), o.port)
        prev = {p: outs_now[o] for p, o in zip(ins, outs, strict=False)}
        if k == repeat - 1:
            for port, t in outs_now.items():
                alias[(use.id, port)] = t
    alias[("", "")] = pending
    return nodes, alias
