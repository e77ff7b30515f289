"""Blocks inlined: a graph with block uses -> the flat graph that the check, the compiler and
the cost model already understand, with a map from each flat node back to where it came from.

A block use (a node of type ``Block``, params ``definition`` and ``repeat``) stands for
``repeat`` chained copies of its definition's inner graph, each with its own layers: copy 1
takes the tensors on the use's input ports, copy ``k + 1`` takes the outputs of copy ``k``
(output ``i`` feeds input ``i``).  The inner Input nodes are only the ports: they vanish.

Flat ids are paths: ``n5/n3`` is inner node ``n3`` of use ``n5``; copy ``k`` (0-based) of a
repeated use is ``n5#k`` (``n5#0/n3``).  Flat names stay stable and match the names that
generated code gives (:func:`qualify`): inner name ``dense`` of use ``enc`` is ``enc_dense``;
copy 2 of a repeated use ``enc`` gives ``enc_2_dense``; a name that already starts with the
use's label (``conv2_block1_1_conv`` in use ``conv2_block1``, as imports name them) is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nnstudio.core.graph.model import (
    BLOCK_KEY,
    OUT_PORT,
    BlockDefinition,
    Edge,
    Graph,
    Node,
    OutputDecl,
)
from nnstudio.core.graph.validation import Issue

MAX_DEPTH = 32
MAX_FLAT_NODES = 200_000

Tensor = tuple[str, str]  # (flat-scope node key, output port)


@dataclass(frozen=True)
class Origin:
    """Where a flat node comes from: the chain of block uses (``(use id, copy)``, outermost
    first; ids in the graph that holds each use) and the node's id in the innermost graph."""

    path: tuple[tuple[str, int], ...]
    inner: str

    @property
    def top(self) -> str:
        """The node id in the top-level graph (the outermost use, or the node itself)."""
        return self.path[0][0] if self.path else self.inner

    @property
    def inner_path(self) -> tuple[str, ...]:
        """The ids below the top-level use: nested use ids, then the inner node's id."""
        return (*(u for u, _ in self.path[1:]), self.inner) if self.path else ()


@dataclass
class FlatGraph:
    """The flat graph, the origin of each of its nodes, and the problems of the blocks.

    ``members[use]`` lists the flat ids inside the top-level use ``use``; ``ports[(use,
    port)]`` is the flat id whose tensor is output ``port`` of that use (after all copies).
    """

    graph: Graph
    origin: dict[str, Origin] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    members: dict[str, list[str]] = field(default_factory=dict)
    ports: dict[tuple[str, str], str] = field(default_factory=dict)

    def top(self, flat_id: str) -> str:
        """The top-level node a flat node belongs to."""
        o = self.origin.get(flat_id)
        return o.top if o is not None else flat_id


def qualify(label: str, name: str) -> str:
    """The flat name of inner layer ``name`` in a use labelled ``label`` (see module doc)."""
    return name if name.startswith(label + "_") else f"{label}_{name}"


def use_label(use: Node, copy: int) -> str:
    """A use's name, with ``_<copy + 1>`` when it is repeated."""
    repeat = _repeat(use)
    return use.name if repeat == 1 else f"{use.name}_{copy + 1}"


def _repeat(node: Node) -> int:
    r = node.params.get("repeat", 1)
    return r if isinstance(r, int) and not isinstance(r, bool) and r >= 1 else 1


def flatten(graph: Graph) -> FlatGraph:
    """Inline every block use of ``graph`` (recursively); never raises for a bad block: the
    problem becomes an issue located on the top-level use."""
    return _Flattener(graph).run()


class _Flattener:
    def __init__(self, root: Graph) -> None:
        self.root = root
        self.flat = Graph()
        self.out = FlatGraph(self.flat)
        self.alias: dict[Tensor, Tensor] = {}
        self.edges: list[tuple[Tensor, str, str, dict]] = []  # (src tensor, dst, port, extra)

    def run(self) -> FlatGraph:
        self._expand(self.root, "", (), "", 0)
        nodes = self.flat.nodes
        for src, dst, port, extra in self.edges:
            real = self._resolve(src)
            if real is not None and real[0] in nodes and dst in nodes:
                self.flat.edges.append(Edge(real[0], dst, port, dict(extra)))
        for o in self.root.outputs:
            real = self._resolve((o.node, o.port))
            if real is not None and real[0] in nodes:
                self.flat.outputs.append(
                    OutputDecl(real[0], o.loss, o.loss_weight, list(o.metrics), dict(o.extra))
                )
            else:
                self._issue(o.node, "A declared output is not produced by its block.", "")
        for use in self.root.nodes.values():
            d = self.root.blocks.get(str(use.params.get("definition")))
            if use.key != BLOCK_KEY or d is None:
                continue
            for port in d.output_ports():
                real = self._resolve((use.id, port))
                if real is not None:
                    self.out.ports[(use.id, port)] = real[0]
        self.flat._next_id = len(nodes) + 1
        return self.out

    def _resolve(self, t: Tensor) -> Tensor | None:
        seen = 0
        while t in self.alias:
            t = self.alias[t]
            seen += 1
            if seen > MAX_FLAT_NODES:  # pragma: no cover - aliases never loop
                return None
        return t if t[1] == OUT_PORT and t[0] in self.flat.nodes else None

    def _issue(self, top: str, message: str, hint: str, inner: tuple[str, ...] = ()) -> None:
        self.out.issues.append(Issue("error", top, message, hint, code="block", inner=inner))

    # -- one graph at one scope ----------------------------------------------------------
    def _expand(
        self,
        graph: Graph,
        scope: str,
        path: tuple[tuple[str, int], ...],
        label: str,
        depth: int,
    ) -> None:
        """Add the nodes of ``graph`` under ``scope`` (flat ids ``scope + id``)."""
        for node in graph.nodes.values():
            key = scope + node.id
            if node.key == BLOCK_KEY:
                self._expand_use(graph, node, scope, path, label, depth)
                continue
            if path and node.key == "Input":
                continue  # a port: bound by the caller
            if len(self.flat.nodes) >= MAX_FLAT_NODES:
                self._issue(
                    path[0][0],
                    f"The blocks expand to more than {MAX_FLAT_NODES} layers.",
                    "Lower a repeat count.",
                )
                return
            name = self._name(node.name, path, label)
            copy = Node(key, node.key, name, dict(node.params), node.pos, dict(node.extra))
            self.flat.nodes[key] = copy
            self.out.origin[key] = Origin(path, node.id) if path else Origin((), node.id)
            if path:
                self.out.members.setdefault(path[0][0], []).append(key)
        for e in graph.edges:
            dst = graph.nodes.get(e.dst)
            if dst is None or dst.key == BLOCK_KEY:
                continue  # a use's inputs are bound through aliases
            self.edges.append(((scope + e.src, e.src_port), scope + e.dst, e.port, e.extra))

    @staticmethod
    def _name(name: str, path: tuple[tuple[str, int], ...], label: str) -> str:
        # Not made unique on purpose: generated code names layers the same way, and a clash
        # is reported by the check ("two layers are called ...") on the block.
        return qualify(label, name) if label else name

    def _expand_use(
        self,
        graph: Graph,
        use: Node,
        scope: str,
        path: tuple[tuple[str, int], ...],
        label: str,
        depth: int,
    ) -> None:
        top = path[0][0] if path else use.id
        inner_path = (*(u for u, _ in path[1:]), use.id) if path else ()
        name = str(use.params.get("definition", ""))
        definition = self.root.blocks.get(name)
        where = f'Block "{use.name}"'
        if definition is None:
            self._issue(
                top,
                f'{where} uses the block definition "{name}", which does not exist.',
                "Delete the block, or place it again from the library.",
                inner_path,
            )
            return
        if depth >= MAX_DEPTH or any(self._definition_of(graph, u) == name for u, _ in path):
            self._issue(
                top,
                f'{where}: the block "{name}" contains itself.',
                "Blocks nest, but a block cannot contain itself.",
                inner_path,
            )
            return
        ins, outs = definition.input_ports(), definition.output_ports()
        repeat = _repeat(use)
        if repeat > 1 and len(ins) != len(outs):
            self._issue(
                top,
                f'{where} is repeated {repeat} times, but "{name}" has {len(ins)} '
                f"input(s) and {len(outs)} output(s): each copy must feed the next.",
                "Set repeat to 1, or give the block as many outputs as inputs.",
                inner_path,
            )
            return
        if not outs:
            self._issue(
                top,
                f'{where}: the block "{name}" declares no output.',
                "Mark a layer inside the block as an output.",
                inner_path,
            )
        self._bind_inputs(graph, use, scope, top, inner_path, ins, definition)
        own_label = use.name if not label else qualify(label, use.name)
        for k in range(repeat):
            inner_scope = f"{scope}{use.id}#{k}/" if repeat > 1 else f"{scope}{use.id}/"
            sub_label = own_label if repeat == 1 else f"{own_label}_{k + 1}"
            if k > 0:
                prev = f"{scope}{use.id}#{k - 1}/" if repeat > 1 else f"{scope}{use.id}/"
                for port, out in zip(ins, definition.graph.outputs, strict=False):
                    self.alias[(inner_scope + port, OUT_PORT)] = (prev + out.node, out.port)
            self._expand(definition.graph, inner_scope, (*path, (use.id, k)), sub_label, depth + 1)
        last = f"{scope}{use.id}#{repeat - 1}/" if repeat > 1 else f"{scope}{use.id}/"
        for port, out in zip(outs, definition.graph.outputs, strict=True):
            self.alias[(scope + use.id, port)] = (last + out.node, out.port)

    def _definition_of(self, graph: Graph, use_id: str) -> str | None:
        node = graph.nodes.get(use_id)
        return None if node is None else str(node.params.get("definition"))

    def _bind_inputs(
        self,
        graph: Graph,
        use: Node,
        scope: str,
        top: str,
        inner_path: tuple[str, ...],
        ins: list[str],
        definition: BlockDefinition,
    ) -> None:
        """Copy 1's Input ports take the tensors on the use's input edges."""
        first = f"{scope}{use.id}#0/" if _repeat(use) > 1 else f"{scope}{use.id}/"
        for port in ins:
            edges = graph.in_edges(use.id, port)
            label = definition.port_label(port)
            if not edges:
                self._issue(
                    top,
                    f'Block "{use.name}": input "{label}" is not connected.',
                    "Drag a connection from another layer's output port.",
                    inner_path,
                )
                continue
            if len(edges) > 1:
                self._issue(
                    top,
                    f'Block "{use.name}": input "{label}" has {len(edges)} '
                    "connections; it takes one.",
                    "Merge them first with Add or Concatenate.",
                    inner_path,
                )
            e = edges[0]
            self.alias[(first + port, OUT_PORT)] = (scope + e.src, e.src_port)
        for e in graph.in_edges(use.id):
            if e.port not in ins:
                self._issue(
                    top,
                    f'Block "{use.name}" has no input "{e.port}" any more.',
                    "Delete that connection.",
                    inner_path,
                )


def definitions_used(graph: Graph) -> list[str]:
    """The definitions ``graph`` uses, directly or through others (dependencies first)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(g: Graph, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        for node in g.nodes.values():
            if node.key != BLOCK_KEY:
                continue
            name = str(node.params.get("definition"))
            d = graph.blocks.get(name)
            if d is None or name in seen:
                continue
            seen.add(name)
            visit(d.graph, depth + 1)
            order.append(name)

    visit(graph, 0)
    return order
