"""The graph model: nodes, edges and declared outputs — all state of record, positions included.

Views never write to the model directly: they run commands (:mod:`.commands`), which call
the private mutators here; every mutation emits an event that a view can mirror.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from nnstudio.core import catalog
from nnstudio.core.catalog.spec import LayerSpec, ParamError
from nnstudio.core.events import EventSource
from nnstudio.core.graph.block_model import BLOCK_KEY as BLOCK_KEY
from nnstudio.core.graph.block_model import BlockDefinition as BlockDefinition
from nnstudio.core.graph.block_model import block_spec as block_spec
from nnstudio.core.graph.block_model import copy_blocks as copy_blocks
from nnstudio.core.graph.block_model import port_name as port_name
from nnstudio.core.graph.block_model import share_blocks as share_blocks

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")
OUT_PORT = "out"
NODE_W = 180.0  # a node's footprint on the canvas (layout and insert-on-edge use it)
NODE_H = 84.0


class EditRefused(ValueError):
    """Any edit a command refuses: the one type a view catches (the message says why)."""


class GraphError(EditRefused):
    """An edit the graph refuses (the message says why, in plain words)."""


class UnknownParameter(EditRefused, KeyError):
    """A parameter name the layer's spec does not have (also a ``KeyError``, as before)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownLayerType(EditRefused, KeyError):
    """A layer type the catalog does not have (also a ``KeyError``, as ``catalog.get``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidParameter(EditRefused, ParamError):
    """A parameter value the spec refuses (also a ``ParamError``, as before)."""


@dataclass
class Node:
    """A layer on the canvas. ``params`` holds the values as the user set them."""

    id: str
    key: str
    name: str
    params: dict[str, Any]
    pos: tuple[float, float] = (0.0, 0.0)
    extra: dict[str, Any] = field(default_factory=dict)
    # A block use's spec (its ports come from its definition); set by the graph that holds it.
    _spec: LayerSpec | None = field(default=None, compare=False, repr=False)

    @property
    def spec(self) -> LayerSpec:
        """The catalog spec of this node's layer type (a block use: its definition's)."""
        if self._spec is not None:
            return self._spec
        if self.key == BLOCK_KEY:
            return block_spec(None, str(self.params.get("definition", "")))
        return catalog.get(self.key)

    @property
    def is_block(self) -> bool:
        """True for a block use."""
        return self.key == BLOCK_KEY

    def copy(self) -> Node:
        """A deep-enough copy (params and extra are copied)."""
        return Node(
            self.id, self.key, self.name, dict(self.params), self.pos, dict(self.extra), self._spec
        )


@dataclass(frozen=True)
class Edge:
    """A connection from ``src``'s output to ``dst``'s input port ``port``.

    ``extra`` holds unknown keys read from a file; it takes no part in equality or hashing.
    """

    src: str
    dst: str
    port: str = "in"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    src_port: str = OUT_PORT  # which output of ``src`` (a block use has several)


@dataclass
class OutputDecl:
    """A declared model output: the node whose tensor is returned, its loss and metrics."""

    node: str
    loss: str = "mse"
    loss_weight: float = 1.0
    metrics: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    port: str = OUT_PORT  # which output of ``node`` (a block use has several)

    def copy(self) -> OutputDecl:
        """An independent copy."""
        return OutputDecl(
            self.node, self.loss, self.loss_weight, list(self.metrics), dict(self.extra), self.port
        )


# Event names a listener receives, with their payload.
NODE_ADDED = "node_added"  # Node
NODE_REMOVED = "node_removed"  # Node
NODE_CHANGED = "node_changed"  # Node (params or name changed)
NODE_MOVED = "node_moved"  # Node
EDGE_ADDED = "edge_added"  # Edge
EDGE_REMOVED = "edge_removed"  # Edge
OUTPUTS_CHANGED = "outputs_changed"  # list[OutputDecl]
BLOCKS_CHANGED = "blocks_changed"  # str: the name of the definition added, replaced or removed


class Graph(EventSource):
    """Nodes (in insertion order), edges (ordered: the order of a merge's inputs) and outputs."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.outputs: list[OutputDecl] = []
        # Block definitions by name; a definition's inner graph shares its owner's dict.
        self.blocks: dict[str, BlockDefinition] = {}
        self._next_id = 1
        self.revision = 0

    # -- events -----------------------------------------------------------------------
    def _emit(self, event: str, payload: Any) -> None:
        self.revision += 1
        super()._emit(event, payload)

    # -- queries ----------------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        """The node with this id (``GraphError`` if absent)."""
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"no node with id {node_id!r}") from None

    def node_by_name(self, name: str) -> Node | None:
        """The first node called ``name``, or ``None``."""
        return next((n for n in self.nodes.values() if n.name == name), None)

    def in_edges(self, node_id: str, port: str | None = None) -> list[Edge]:
        """Edges into ``node_id`` (optionally into one port), in order."""
        return [e for e in self.edges if e.dst == node_id and (port is None or e.port == port)]

    def out_edges(self, node_id: str) -> list[Edge]:
        """Edges leaving ``node_id``."""
        return [e for e in self.edges if e.src == node_id]

    def output_decl(self, node_id: str) -> OutputDecl | None:
        """The output declaration of ``node_id``, if it is a model output."""
        return next((o for o in self.outputs if o.node == node_id), None)

    def new_id(self) -> str:
        """A node id that has never been used in this graph."""
        while f"n{self._next_id}" in self.nodes:
            self._next_id += 1
        node_id = f"n{self._next_id}"
        self._next_id += 1
        return node_id

    def unique_name(self, base: str, taken: Iterable[str] = ()) -> str:
        """``base`` made unique among node names (``dense``, ``dense_1``, ``dense_2``...)."""
        used = {n.name for n in self.nodes.values()} | set(taken)
        base = re.sub(r"[^A-Za-z0-9_.\-]", "_", base) or "layer"
        if not re.match(r"[A-Za-z_]", base):
            base = f"l_{base}"
        base = base[:56]
        if base not in used:
            return base
        stem = re.sub(r"_\d+$", "", base)
        i = 1
        while f"{stem}_{i}" in used:
            i += 1
        return f"{stem}_{i}"

    def check_connect(self, src: str, dst: str, port: str, src_port: str = OUT_PORT) -> str | None:
        """Why connecting ``src`` (output ``src_port``) to ``dst.port`` is refused, or
        ``None`` if it is allowed."""
        if src not in self.nodes or dst not in self.nodes:
            return "both ends must be nodes of this graph"
        if src == dst:
            return "a layer cannot feed itself"
        if src_port != OUT_PORT:
            node = self.nodes[src]
            d = self.blocks.get(str(node.params.get("definition")))
            if node.key != BLOCK_KEY or d is None or src_port not in d.output_ports():
                return f"{node.name!r} has no output {src_port!r}"
        spec = self.nodes[dst].spec
        if port not in spec.inputs:
            return f"{spec.display} has no input port {port!r}"
        if any(
            e.src == src and e.dst == dst and e.port == port and e.src_port == src_port
            for e in self.edges
        ):
            return "these ports are already connected"
        existing = self.in_edges(dst, port)
        if not spec.variadic and existing:
            return (
                f"input {port!r} of {self.nodes[dst].name!r} is already connected; "
                "a single-input port takes one edge"
            )
        if spec.max_inputs is not None and len(existing) >= spec.max_inputs:
            return f"{spec.display} takes at most {spec.max_inputs} inputs"
        if self.reaches(dst, src):
            return (
                f"connecting {self.nodes[src].name!r} to {self.nodes[dst].name!r} "
                "would make a cycle"
            )
        return None

    def reaches(self, start: str, goal: str) -> bool:
        """True if a path of edges leads from ``start`` to ``goal``."""
        succ: dict[str, list[str]] = {}
        for e in self.edges:
            succ.setdefault(e.src, []).append(e.dst)
        stack, seen = [start], {start}
        while stack:
            cur = stack.pop()
            if cur == goal:
                return True
            for nxt in succ.get(cur, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    def to_networkx(self) -> Any:
        """The graph as a ``networkx.MultiDiGraph`` (node ids; edges keyed by port)."""
        import networkx as nx

        g = nx.MultiDiGraph()
        g.add_nodes_from(self.nodes)
        for e in self.edges:
            g.add_edge(e.src, e.dst, key=e.port)
        return g

    def topological_order(self) -> list[str]:
        """Node ids in a deterministic topological order (``GraphError`` on a cycle)."""
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(self.nodes)
        g.add_edges_from((e.src, e.dst) for e in self.edges)
        index = {nid: i for i, nid in enumerate(self.nodes)}
        try:
            return list(nx.lexicographical_topological_sort(g, key=index.__getitem__))
        except nx.NetworkXUnfeasible:
            raise GraphError("the graph has a cycle") from None

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def __len__(self) -> int:
        return len(self.nodes)

    # -- mutators (for commands only) ---------------------------------------------------
    def _insert_node(self, node: Node, index: int | None = None) -> None:
        if node.id in self.nodes:
            raise GraphError(f"node id {node.id!r} is taken")
        if node.key == BLOCK_KEY:
            self._attach_spec(node)
        items = list(self.nodes.items())
        items.insert(len(items) if index is None else index, (node.id, node))
        self.nodes = dict(items)
        self._emit(NODE_ADDED, node)

    def _delete_node(self, node_id: str) -> tuple[Node, int]:
        index = list(self.nodes).index(node_id)
        node = self.nodes.pop(node_id)
        self._emit(NODE_REMOVED, node)
        return node, index

    def _insert_edge(self, edge: Edge, index: int | None = None) -> None:
        self.edges.insert(len(self.edges) if index is None else index, edge)
        self._emit(EDGE_ADDED, edge)

    def _delete_edge(self, edge: Edge) -> int:
        index = self.edges.index(edge)
        del self.edges[index]
        self._emit(EDGE_REMOVED, edge)
        return index

    def _set_params(self, node_id: str, params: dict[str, Any]) -> None:
        node = self.nodes[node_id]
        node.params = dict(params)
        if node.key == BLOCK_KEY:
            self._attach_spec(node)
        self._emit(NODE_CHANGED, node)

    def _set_name(self, node_id: str, name: str) -> None:
        node = self.nodes[node_id]
        node.name = name
        self._emit(NODE_CHANGED, node)

    def _set_pos(self, node_id: str, pos: tuple[float, float]) -> None:
        node = self.nodes[node_id]
        node.pos = (float(pos[0]), float(pos[1]))
        self._emit(NODE_MOVED, node)

    def _set_outputs(self, outputs: list[OutputDecl]) -> None:
        self.outputs = [o.copy() for o in outputs]
        self._emit(OUTPUTS_CHANGED, self.outputs)

    def _set_block(self, name: str, definition: BlockDefinition | None) -> None:
        """Add, replace (``definition``) or remove (``None``) the definition ``name``."""
        old = self.blocks.pop(name, None)
        if old is not None:
            old.graph.unsubscribe(self._inner_changed)
        if definition is not None:
            self.blocks[name] = definition
            share_blocks(definition.graph, self.blocks)
            definition.graph.subscribe(self._inner_changed)
        self.refresh_block_specs()
        self._emit(BLOCKS_CHANGED, name)

    def _inner_changed(self, event: str, payload: Any) -> None:
        """An edit inside a definition (opened as its own canvas): its uses may change."""
        self.refresh_block_specs()
        self._emit(BLOCKS_CHANGED, "")

    def _attach_spec(self, node: Node) -> None:
        definition = self.blocks.get(str(node.params.get("definition", "")))
        node._spec = block_spec(definition, str(node.params.get("definition", "")))

    def refresh_block_specs(self) -> None:
        """Recompute the ports of every block use (here and inside every definition)."""
        for g in [self, *(d.graph for d in self.blocks.values())]:
            for node in g.nodes.values():
                if node.key == BLOCK_KEY:
                    g._attach_spec(node)

    def uses_blocks(self) -> bool:
        """True when a node of this graph is a block use."""
        return any(n.key == BLOCK_KEY for n in self.nodes.values())

    # -- serialisation ----------------------------------------------------------------
    def to_json(self, with_blocks: bool = True) -> dict[str, Any]:
        """The graph as plain JSON data (see :mod:`nnstudio.core.project` for the file).

        Block definitions are written under ``blocks`` (only when there are any); edges and
        outputs name a source port only when it is not ``out``."""
        data = self._plain_json()
        if with_blocks and self.blocks:
            data["blocks"] = {
                name: {
                    **d.extra,
                    "description": d.description,
                    "graph": d.graph.to_json(with_blocks=False),
                }
                for name, d in self.blocks.items()
            }
        return data

    def _plain_json(self) -> dict[str, Any]:
        return {
            "nodes": [
                {
                    **n.extra,
                    "id": n.id,
                    "type": n.key,
                    "name": n.name,
                    "params": {k: _to_json(v) for k, v in n.params.items()},
                    "pos": [round(n.pos[0], 2), round(n.pos[1], 2)],
                }
                for n in self.nodes.values()
            ],
            "edges": [
                {
                    **e.extra,
                    "from": e.src,
                    "to": e.dst,
                    "port": e.port,
                    **({"from_port": e.src_port} if e.src_port != OUT_PORT else {}),
                }
                for e in self.edges
            ],
            "outputs": [
                {
                    **o.extra,
                    "node": o.node,
                    "loss": o.loss,
                    "loss_weight": o.loss_weight,
                    "metrics": list(o.metrics),
                    **({"port": o.port} if o.port != OUT_PORT else {}),
                }
                for o in self.outputs
            ],
        }

    def copy(self, with_blocks: bool = True) -> Graph:
        """An independent copy without listeners (with copies of the block definitions)."""
        other = Graph()
        other.nodes = {nid: _deep_node(n) for nid, n in self.nodes.items()}
        other.edges = [
            Edge(e.src, e.dst, e.port, copy.deepcopy(e.extra), e.src_port) for e in self.edges
        ]
        other.outputs = [o.copy() for o in self.outputs]
        for o in other.outputs:
            o.extra = copy.deepcopy(o.extra)
        other._next_id = self._next_id
        if with_blocks and self.blocks:
            copy_blocks(self, other)
        return other


def _deep_node(node: Node) -> Node:
    return Node(
        node.id,
        node.key,
        node.name,
        dict(node.params),
        node.pos,
        copy.deepcopy(node.extra),
        node._spec,
    )


def _to_json(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    return value
