"""Edit commands: every change to a graph is a command with ``redo``/``undo``.

A command is built against a graph (its constructor checks that the edit is allowed and
raises :class:`EditRefused` with the reason: :class:`GraphError`, :class:`InvalidParameter`
(a ``ParamError``) or :class:`UnknownParameter` (a ``KeyError``)), then ``redo()`` applies it
and ``undo()`` restores the graph exactly.  Constructors never change the graph.  The UI
wraps each in a ``QUndoCommand``; :class:`History` is a plain undo stack for the CLI and tests.
The protocol lives in :mod:`.command`, copy and paste in :mod:`.clipboard` (both re-exported).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from nnstudio.core import catalog
from nnstudio.core.catalog.spec import LayerSpec, ParamError
from nnstudio.core.graph.clipboard import Paste, copy_fragment
from nnstudio.core.graph.command import Command, History, Macro
from nnstudio.core.graph.model import (
    NAME_RE,
    NODE_H,
    NODE_W,
    Edge,
    Graph,
    GraphError,
    InvalidParameter,
    Node,
    OutputDecl,
    UnknownLayerType,
    UnknownParameter,
)
from nnstudio.core.graph.serialize import normalise_params

ROOM_GAP = 40.0  # free space kept between an inserted node and its neighbours

__all__ = [
    "AddNode",
    "Command",
    "Connect",
    "Disconnect",
    "History",
    "InsertOnEdge",
    "Macro",
    "MoveNodes",
    "Paste",
    "RemoveNodes",
    "Rename",
    "SetOutput",
    "SetParam",
    "SetParams",
    "UndeclareOutput",
    "copy_fragment",
]


def _layer_spec(key: str) -> LayerSpec:
    """The catalog's spec for ``key`` (:class:`UnknownLayerType` if it has none)."""
    try:
        return catalog.get(key)
    except KeyError as exc:
        raise UnknownLayerType(str(exc.args[0]) if exc.args else repr(key)) from None


class AddNode(Command):
    """Add a layer of type ``key`` at ``pos`` (a fresh id and a unique name are chosen)."""

    def __init__(
        self,
        graph: Graph,
        key: str,
        pos: tuple[float, float] = (0.0, 0.0),
        name: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(graph)
        spec = _layer_spec(key)
        values = spec.defaults()
        if params:
            values.update(normalise_params(key, params))
        base = name or _default_name(key)
        if name is not None:
            _check_name(graph, name)
        self.node = Node(
            graph.new_id(), key, graph.unique_name(base), values, (float(pos[0]), float(pos[1]))
        )
        self.text = f"Add {spec.display}"

    def redo(self) -> None:
        self.graph._insert_node(self.node.copy())

    def undo(self) -> None:
        self.graph._delete_node(self.node.id)


class RemoveNodes(Command):
    """Remove nodes together with their edges and output declarations, undone as one step."""

    def __init__(self, graph: Graph, node_ids: Iterable[str]) -> None:
        super().__init__(graph)
        ids = [nid for nid in graph.nodes if nid in set(node_ids)]
        if not ids:
            raise GraphError("nothing to delete")
        self.ids = ids
        self._nodes: list[tuple[int, Node]] = []
        self._edges: list[tuple[int, Edge]] = []
        self._outputs: list[OutputDecl] = []
        names = ", ".join(graph.nodes[i].name for i in ids[:3])
        self.text = f"Delete {names}" + ("…" if len(ids) > 3 else "")

    def redo(self) -> None:
        g = self.graph
        doomed = set(self.ids)
        self._outputs = [o.copy() for o in g.outputs]
        if any(o.node in doomed for o in g.outputs):
            g._set_outputs([o for o in g.outputs if o.node not in doomed])
        self._edges = [(i, e) for i, e in enumerate(g.edges) if e.src in doomed or e.dst in doomed]
        for _, e in reversed(self._edges):
            g._delete_edge(e)
        order = list(g.nodes)
        self._nodes = [(order.index(nid), g.nodes[nid].copy()) for nid in self.ids]
        for nid in reversed(self.ids):
            g._delete_node(nid)

    def undo(self) -> None:
        g = self.graph
        for index, node in self._nodes:
            g._insert_node(node.copy(), index)
        for index, e in self._edges:
            g._insert_edge(e, index)
        if [o.node for o in g.outputs] != [o.node for o in self._outputs]:
            g._set_outputs(self._outputs)


class Connect(Command):
    """Connect ``src``'s output to input ``port`` of ``dst`` (refused with the reason)."""

    def __init__(
        self,
        graph: Graph,
        src: str,
        dst: str,
        port: str | None = None,
        index: int | None = None,
        src_port: str = "out",
    ) -> None:
        super().__init__(graph)
        if port is None:
            port = _free_port(graph, dst)
        if src_port == "out" and src in graph.nodes and graph.nodes[src].is_block:
            src_port = next(iter(_output_ports(graph, graph.nodes[src])), "out")  # its first
        reason = graph.check_connect(src, dst, port, src_port)
        if reason:
            raise GraphError(reason)
        self.edge = Edge(src, dst, port, src_port=src_port)
        self.index = index
        self.text = f"Connect {graph.nodes[src].name} → {graph.nodes[dst].name}"

    def redo(self) -> None:
        self.graph._insert_edge(self.edge, self.index)

    def undo(self) -> None:
        self.graph._delete_edge(self.edge)


class Disconnect(Command):
    """Remove one edge (its place among a merge's inputs is restored on undo)."""

    def __init__(self, graph: Graph, edge: Edge) -> None:
        super().__init__(graph)
        if edge not in graph.edges:
            raise GraphError("that connection does not exist")
        self.edge = edge
        self._index = graph.edges.index(edge)
        self.text = f"Disconnect {graph.nodes[edge.src].name} → {graph.nodes[edge.dst].name}"

    def redo(self) -> None:
        self._index = self.graph._delete_edge(self.edge)

    def undo(self) -> None:
        self.graph._insert_edge(self.edge, self._index)


class SetParams(Command):
    """Set several parameters of one node at once (each value validated by the spec)."""

    def __init__(self, graph: Graph, node_id: str, values: Mapping[str, Any]) -> None:
        super().__init__(graph)
        node = graph.node(node_id)
        spec = node.spec
        new = dict(node.params)
        for name, value in values.items():
            try:
                param = spec.param(name)
            except KeyError:
                raise UnknownParameter(f"{spec.display} has no parameter {name!r}") from None
            try:
                new[name] = param.validate(value)
            except ParamError as exc:
                raise InvalidParameter(str(exc)) from None
        self.node_id = node_id
        self.old = dict(node.params)
        self.new = new
        names = ", ".join(values)
        self.text = f"Set {names} of {node.name}"

    def redo(self) -> None:
        self.graph._set_params(self.node_id, self.new)

    def undo(self) -> None:
        self.graph._set_params(self.node_id, self.old)


class SetParam(SetParams):
    """Set one parameter; consecutive edits of the same field merge into one undo step."""

    merge_id = 1

    def __init__(self, graph: Graph, node_id: str, name: str, value: Any) -> None:
        super().__init__(graph, node_id, {name: value})
        self.name = name

    def merge(self, other: Command) -> bool:
        if (
            isinstance(other, SetParam)
            and other.node_id == self.node_id
            and other.name == self.name
        ):
            self.new = other.new
            return True
        return False


class Rename(Command):
    """Give a node a new, unique, Keras-compatible name."""

    def __init__(self, graph: Graph, node_id: str, name: str) -> None:
        super().__init__(graph)
        node = graph.node(node_id)
        if name != node.name:
            _check_name(graph, name)
        self.node_id, self.old, self.new = node_id, node.name, name
        self.text = f"Rename {node.name} to {name}"

    def redo(self) -> None:
        self.graph._set_name(self.node_id, self.new)

    def undo(self) -> None:
        self.graph._set_name(self.node_id, self.old)


class MoveNodes(Command):
    """Move nodes to new positions; successive drags of the same nodes merge."""

    merge_id = 2

    def __init__(
        self,
        graph: Graph,
        positions: Mapping[str, tuple[float, float]],
        text: str = "Move",
        mergeable: bool = True,
    ) -> None:
        super().__init__(graph)
        self.old = {nid: graph.node(nid).pos for nid in positions}
        self.new = {nid: (float(p[0]), float(p[1])) for nid, p in positions.items()}
        self.text = text
        if not mergeable:
            self.merge_id = -1  # e.g. Arrange: always its own undo step

    def redo(self) -> None:
        for nid, pos in self.new.items():
            self.graph._set_pos(nid, pos)

    def undo(self) -> None:
        for nid, pos in self.old.items():
            self.graph._set_pos(nid, pos)

    def merge(self, other: Command) -> bool:
        if (
            isinstance(other, MoveNodes)
            and self.merge_id >= 0
            and other.merge_id == self.merge_id
            and other.graph is self.graph
            and set(other.new) == set(self.new)
        ):
            self.new = other.new
            return True
        return False


class SetOutput(Command):
    """Declare ``node_id`` a model output, or change its loss, weight or metrics."""

    def __init__(
        self,
        graph: Graph,
        node_id: str,
        loss: str = "mse",
        loss_weight: float = 1.0,
        metrics: Sequence[str] = (),
        port: str = "out",
    ) -> None:
        super().__init__(graph)
        node = graph.node(node_id)
        if port == "out" and node.is_block:
            port = next(iter(_output_ports(graph, node)), "out")  # a block's first output
        if port != "out" and (not node.is_block or port not in _output_ports(graph, node)):
            raise GraphError(f"{node.name!r} has no output {port!r}")
        self.old = [o.copy() for o in graph.outputs]
        previous = next((o for o in graph.outputs if o.node == node_id and o.port == port), None)
        keep = dict(previous.extra) if previous is not None else {}
        decl = OutputDecl(node_id, loss, float(loss_weight), list(metrics), keep, port)
        new = [o.copy() for o in graph.outputs]
        for i, o in enumerate(new):
            if o.node == node_id and o.port == port:
                new[i] = decl
                break
        else:
            new.append(decl)
        self.new = new
        self.text = f"Set output {graph.nodes[node_id].name}"

    def redo(self) -> None:
        self.graph._set_outputs(self.new)

    def undo(self) -> None:
        self.graph._set_outputs(self.old)


class UndeclareOutput(Command):
    """Stop returning ``node_id`` as a model output."""

    def __init__(self, graph: Graph, node_id: str) -> None:
        super().__init__(graph)
        if graph.output_decl(node_id) is None:
            raise GraphError(f"{graph.node(node_id).name!r} is not a model output")
        self.old = [o.copy() for o in graph.outputs]
        self.new = [o.copy() for o in graph.outputs if o.node != node_id]
        self.text = f"Remove output {graph.nodes[node_id].name}"

    def redo(self) -> None:
        self.graph._set_outputs(self.new)

    def undo(self) -> None:
        self.graph._set_outputs(self.old)


class InsertOnEdge(Macro):
    """Insert a new layer of type ``key`` into ``edge``: src → new → dst, one undo step.

    The new node goes where it was dropped if there is room between the two ends; otherwise
    it goes one node-step after ``src`` and everything downstream of ``dst`` moves aside along
    the flow (left-right or top-bottom, read off the edge) by what the new node needs.  The
    moves are part of the same undo step.
    """

    def __init__(
        self, graph: Graph, edge: Edge, key: str, pos: tuple[float, float] = (0.0, 0.0)
    ) -> None:
        spec = _layer_spec(key)
        if spec.is_input:
            raise GraphError("an Input cannot be inserted into a connection")
        if edge not in graph.edges:
            raise GraphError("that connection does not exist")
        place, moves = make_room(graph, edge, (float(pos[0]), float(pos[1])))
        add = AddNode(graph, key, place)
        self.node_id = add.node.id
        self.moved = dict(moves)
        index = graph.edges.index(edge)
        steps: list[Any] = [Disconnect(graph, edge)]
        if moves:
            steps.append(MoveNodes(graph, moves, text="Make room", mergeable=False))
        steps += [
            add,
            lambda g: Connect(g, edge.src, add.node.id, spec.inputs[0]),
            lambda g: Connect(g, add.node.id, edge.dst, edge.port, index=index),
        ]
        super().__init__(graph, f"Insert {spec.display}", steps)


def make_room(
    graph: Graph, edge: Edge, pos: tuple[float, float]
) -> tuple[tuple[float, float], dict[str, tuple[float, float]]]:
    """Where a node inserted into ``edge`` goes, and the new positions of the nodes that
    must move aside (``dst`` and everything it reaches) so that it does not overlap them."""
    src, dst = graph.node(edge.src).pos, graph.node(edge.dst).pos
    axis = 0 if abs(dst[0] - src[0]) >= abs(dst[1] - src[1]) else 1
    sign = 1.0 if dst[axis] >= src[axis] else -1.0
    step = (NODE_W if axis == 0 else NODE_H) + ROOM_GAP
    main = pos[axis]
    if sign * (main - src[axis]) < step or sign * (dst[axis] - main) < step:
        main = src[axis] + sign * step
    place = (main, pos[1]) if axis == 0 else (pos[0], main)
    shift = sign * (main + sign * step - dst[axis])
    if shift <= 0:
        return place, {}
    moves: dict[str, tuple[float, float]] = {}
    for nid in _downstream(graph, edge.dst):
        x, y = graph.nodes[nid].pos
        moves[nid] = (x + sign * shift, y) if axis == 0 else (x, y + sign * shift)
    return place, moves


def _downstream(graph: Graph, start: str) -> list[str]:
    """``start`` and every node it reaches, in graph order."""
    succ: dict[str, list[str]] = {}
    for e in graph.edges:
        succ.setdefault(e.src, []).append(e.dst)
    seen, stack = {start}, [start]
    while stack:
        for nxt in succ.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return [nid for nid in graph.nodes if nid in seen]


def _default_name(key: str) -> str:
    return (
        re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
        .lower()
        .replace("2_d", "2d")
        .replace("1_d", "1d")
        .replace("3_d", "3d")
    )


def _check_name(graph: Graph, name: str) -> None:
    if not NAME_RE.match(name):
        raise GraphError(
            f"{name!r} is not a valid layer name: use letters, digits, _ . - "
            "(starting with a letter or _), at most 64 characters"
        )
    if graph.node_by_name(name) is not None:
        raise GraphError(f"a layer called {name!r} already exists")


def _output_ports(graph: Graph, node: Node) -> list[str]:
    d = graph.blocks.get(str(node.params.get("definition")))
    return d.output_ports() if d is not None else []


def _free_port(graph: Graph, dst: str) -> str:
    spec = graph.node(dst).spec
    if not spec.inputs:
        raise GraphError(f"{spec.display} has no inputs")
    for port in spec.inputs:
        if spec.variadic or not graph.in_edges(dst, port):
            return port
    return spec.inputs[0]
