"""Block edits, each one undo step: group a selection into a block, ungroup a use, place a
definition (from the library) as a new use, and set how many times a use repeats.

Each command computes the graph's new nodes, edges, outputs and definitions in its
constructor (refusing with a plain :class:`GraphError`) and applies the difference with the
graph's mutators, so a view mirrors it through the usual events (``blocks_changed`` too).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from nnstudio.core import catalog
from nnstudio.core.graph.block_edit import BlockChanges, _fresh_id, _StateEdit, check_block_name
from nnstudio.core.graph.block_ungroup import Ungroup
from nnstudio.core.graph.command import Command
from nnstudio.core.graph.model import (
    BLOCK_KEY,
    BLOCKS_CHANGED,
    OUT_PORT,
    BlockDefinition,
    Edge,
    Graph,
    GraphError,
    Node,
    OutputDecl,
    port_name,
    share_blocks,
)

__all__ = [
    "GroupNodes",
    "PlaceBlock",
    "RenameBlock",
    "SetBlockDescription",
    "SetRepeat",
    "Ungroup",
    "check_block_name",
]


class GroupNodes(_StateEdit):
    """Group ``node_ids`` into a new block ``name``, used once where they were.

    The block's inputs are the distinct tensors that enter the selection (one Input node
    inside per source, shaped as the check found it), its outputs the tensors that leave it
    (and model outputs inside it).  ``shapes`` (node id -> ``NodeShape``, e.g. the latest
    check's; a block's output as ``"use:port"``) gives those shapes; without it the graph is
    checked here.
    """

    def __init__(
        self,
        graph: Graph,
        node_ids: Iterable[str],
        name: str,
        description: str = "",
        shapes: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(graph)
        wanted = set(node_ids)
        for nid in wanted:
            graph.node(nid)
        sel = [nid for nid in graph.nodes if nid in wanted]
        if not sel:
            raise GraphError("select the layers to group into a block")
        check_block_name(graph, name)
        for nid in sel:
            if graph.nodes[nid].key == "Input":
                raise GraphError(
                    f"the Input {graph.nodes[nid].name!r} cannot go inside a block: "
                    "leave it out of the selection (the block's inputs are made for you)"
                )
        _refuse_detours(graph, set(sel))
        self.definition, use, edges, outputs = _group(graph, sel, name, description, shapes)
        self.use_id = use.id
        nodes = [use if nid == sel[0] else graph.nodes[nid] for nid in graph.nodes]
        nodes = [n for n in nodes if n.id not in wanted or n is use]
        self._prepare(nodes, edges, outputs, {name: self.definition})
        self.text = f"Group {len(sel)} layer(s) into {name}"


def _refuse_detours(graph: Graph, sel: set[str]) -> None:
    """A path that leaves the selection and comes back would make the block feed itself."""
    succ: dict[str, set[str]] = {}
    pred: dict[str, set[str]] = {}
    for e in graph.edges:
        succ.setdefault(e.src, set()).add(e.dst)
        pred.setdefault(e.dst, set()).add(e.src)

    def reach(start: set[str], nxt: dict[str, set[str]]) -> set[str]:
        stack = [m for s in start for m in nxt.get(s, ()) if m not in sel]
        seen = set(stack)
        while stack:
            for m in nxt.get(stack.pop(), ()):
                if m not in seen:
                    seen.add(m)
                    stack.append(m)
        return seen

    between = reach(sel, succ) & reach(sel, pred)
    if between:
        names = ", ".join(sorted(graph.nodes[n].name for n in between)[:3])
        raise GraphError(
            f"these layers cannot form a block: {names} lies on a path that leaves the "
            "selection and comes back into it; add it to the selection or leave out the "
            "layers after it"
        )


def _group(
    graph: Graph,
    sel: list[str],
    name: str,
    description: str,
    shapes: Mapping[str, Any] | None,
) -> tuple[BlockDefinition, Node, list[Edge], list[OutputDecl]]:
    inside = set(sel)
    inner = Graph()
    for nid in sel:
        inner.nodes[nid] = graph.nodes[nid].copy()
    sources: dict[tuple[str, str], str] = {}  # outside tensor -> inner Input id
    inner_edges: list[Edge] = []
    for e in graph.edges:
        if e.dst not in inside:
            continue
        if e.src in inside:
            inner_edges.append(e)
            continue
        key = (e.src, e.src_port)
        if key not in sources:
            sources[key] = _fresh_id(graph, inside | set(sources.values()))
        inner_edges.append(Edge(sources[key], e.dst, e.port, dict(e.extra)))
    shape_of = _shape_lookup(graph, shapes) if sources else None
    for i, (key, input_id) in enumerate(sources.items()):
        label = "in" if len(sources) == 1 else f"in_{i + 1}"
        params = catalog.get("Input").defaults()
        if shape_of is not None:
            params.update(shape_of(*key))
        x, y = _consumer_pos(graph, inner_edges, input_id)
        inner.nodes[input_id] = Node(input_id, "Input", inner.unique_name(label), params, (x, y))
    inner.nodes = {
        **{i: inner.nodes[i] for i in sources.values()},
        **{nid: inner.nodes[nid] for nid in sel},
    }
    inner.edges = inner_edges
    leaving: dict[tuple[str, str], OutputDecl] = {}
    for e in graph.edges:
        if e.src in inside and e.dst not in inside:
            leaving.setdefault((e.src, e.src_port), OutputDecl(e.src, port=e.src_port))
    for o in graph.outputs:
        if o.node in inside:
            leaving[(o.node, o.port)] = OutputDecl(
                o.node, o.loss, o.loss_weight, list(o.metrics), dict(o.extra), o.port
            )
    if not leaving:
        raise GraphError(
            "these layers cannot form a block: nothing leaves the selection (connect one of "
            "them onward, or mark one as a model output)"
        )
    inner.outputs = list(leaving.values())
    inner._next_id = graph._next_id
    definition = BlockDefinition(name, inner, description)
    share_blocks(inner, graph.blocks)
    xs = [graph.nodes[n].pos for n in sel]
    pos = (sum(p[0] for p in xs) / len(xs), sum(p[1] for p in xs) / len(xs))
    taken = {n.name for n in graph.nodes.values() if n.id not in inside}
    use = Node(
        _fresh_id(graph, set(sources.values())),
        BLOCK_KEY,
        graph.unique_name(name, taken) if name in taken else name,
        {"definition": name, "repeat": 1},
        pos,
    )
    edges, outputs = _outer(graph, inside, sources, use)
    return definition, use, edges, outputs


def _outer(
    graph: Graph, inside: set[str], sources: Mapping[tuple[str, str], str], use: Node
) -> tuple[list[Edge], list[OutputDecl]]:
    """The outer graph's edges and outputs once ``inside`` is the use ``use``."""
    edges: list[Edge] = []
    bound: set[tuple[str, str]] = set()
    for e in graph.edges:
        if e.src in inside and e.dst in inside:
            continue
        if e.dst in inside:
            key = (e.src, e.src_port)
            if key not in bound:
                bound.add(key)
                edges.append(Edge(e.src, use.id, sources[key], dict(e.extra), e.src_port))
        elif e.src in inside:
            port = port_name(e.src, e.src_port)
            edges.append(Edge(use.id, e.dst, e.port, dict(e.extra), port))
        else:
            edges.append(e)
    outputs = [
        OutputDecl(
            use.id, o.loss, o.loss_weight, list(o.metrics), dict(o.extra), port_name(o.node, o.port)
        )
        if o.node in inside
        else o.copy()
        for o in graph.outputs
    ]
    return edges, outputs


def _consumer_pos(graph: Graph, edges: list[Edge], input_id: str) -> tuple[float, float]:
    consumers = [graph.nodes[e.dst].pos for e in edges if e.src == input_id]
    x = min(p[0] for p in consumers) - 220.0
    y = sum(p[1] for p in consumers) / len(consumers)
    return x, y


def _shape_lookup(graph: Graph, shapes: Mapping[str, Any] | None) -> Any:
    """``(node id, port) -> Input params`` from the check's shapes (``{}`` if unknown)."""
    flat = None
    if shapes is None:
        from nnstudio.core.graph.check import GraphChecker

        result = GraphChecker().check(graph)
        shapes, flat = result.shapes, getattr(result, "flat", None)

    def lookup(node_id: str, port: str) -> dict[str, Any]:
        if port == OUT_PORT:
            s = shapes.get(node_id) if shapes is not None else None
        elif flat is not None:
            s = flat.port_shape(node_id, port)
        else:  # a block's output: the caller may give it as "use:port"
            s = shapes.get(f"{node_id}:{port}") if shapes is not None else None
        if s is None or s.shape is None or any(d is None for d in s.shape[1:]) or not s.shape[1:]:
            return {}
        dims = tuple(int(d) for d in s.shape[1:] if d is not None)
        return {"shape": dims, "dtype": s.dtype or "float32"}

    return lookup


class PlaceBlock(_StateEdit):
    """Add a use of a definition at ``pos``; ``definition`` (e.g. from the library, with the
    definitions it uses in ``requires``) is added to the graph when it is not there yet."""

    def __init__(
        self,
        graph: Graph,
        name: str,
        pos: tuple[float, float] = (0.0, 0.0),
        definition: BlockDefinition | None = None,
        requires: Mapping[str, BlockDefinition] | None = None,
    ) -> None:
        super().__init__(graph)
        changes: BlockChanges = {}
        if definition is not None and name not in graph.blocks:
            for dep, d in (requires or {}).items():
                if dep not in graph.blocks:
                    changes[dep] = d
            changes[name] = definition
        elif name not in graph.blocks:
            raise GraphError(f"no block called {name!r}")
        node = Node(
            graph.new_id(),
            BLOCK_KEY,
            graph.unique_name(name),
            {"definition": name, "repeat": 1},
            (float(pos[0]), float(pos[1])),
        )
        self.node_id = node.id
        self._prepare(
            [*graph.nodes.values(), node],
            list(graph.edges),
            [o.copy() for o in graph.outputs],
            changes,
        )
        self.text = f"Add block {name}"


class SetRepeat(Command):
    """Set how many chained copies a block use stands for (1..1000)."""

    def __init__(self, graph: Graph, use_id: str, repeat: int) -> None:
        super().__init__(graph)
        node = graph.node(use_id)
        if node.key != BLOCK_KEY:
            raise GraphError(f"{node.name!r} is not a block")
        if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= 1000:
            raise GraphError("repeat must be a whole number from 1 to 1000")
        self.node_id = use_id
        self.old = dict(node.params)
        self.new = {**node.params, "repeat": repeat}
        self.text = f"Repeat {node.name} {repeat} times"

    def redo(self) -> None:
        self.graph._set_params(self.node_id, self.new)

    def undo(self) -> None:
        self.graph._set_params(self.node_id, self.old)


class RenameBlock(Command):
    """Rename a definition (and every use of it, here and inside other definitions)."""

    def __init__(self, graph: Graph, old: str, new: str) -> None:
        super().__init__(graph)
        if old not in graph.blocks:
            raise GraphError(f"no block called {old!r}")
        if new != old:
            check_block_name(graph, new)
        self.old, self.new = old, new
        self.text = f"Rename block {old} to {new}"

    def _rename(self, old: str, new: str) -> None:
        g = self.graph
        items = list(g.blocks.items())
        g.blocks.clear()  # the same dict: the definitions' graphs share it
        for name, d in items:
            g.blocks[new if name == old else name] = d
        g.blocks[new].name = new
        for holder in [g, *(x.graph for x in g.blocks.values())]:
            for node in list(holder.nodes.values()):
                if node.key == BLOCK_KEY and node.params.get("definition") == old:
                    holder._set_params(node.id, {**node.params, "definition": new})
        g.refresh_block_specs()
        g._emit(BLOCKS_CHANGED, new)

    def redo(self) -> None:
        if self.new != self.old:
            self._rename(self.old, self.new)

    def undo(self) -> None:
        if self.new != self.old:
            self._rename(self.new, self.old)


class SetBlockDescription(Command):
    """Change a definition's description."""

    def __init__(self, graph: Graph, name: str, description: str) -> None:
        super().__init__(graph)
        if name not in graph.blocks:
            raise GraphError(f"no block called {name!r}")
        self.name, self.old, self.new = name, graph.blocks[name].description, description
        self.text = f"Describe block {name}"

    def _set(self, text: str) -> None:
        self.graph.blocks[self.name].description = text
        self.graph.refresh_block_specs()
        self.graph._emit(BLOCKS_CHANGED, self.name)

    def redo(self) -> None:
        self._set(self.new)

    def undo(self) -> None:
        self._set(self.old)
