"""Shape inference with Keras itself, incremental by memoisation.

Each node's layer is built in a ``keras.StatelessScope`` (variables are declared, never
initialised, so it is cheap) and called on symbolic ``KerasTensor`` inputs.  Results are
cached by (layer type, parameters, input shapes and dtypes): after a parameter change only the
changed node and the nodes downstream whose inputs actually changed are recomputed.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nnstudio.core.catalog.spec import LayerSpec
from nnstudio.core.graph.model import Graph, Node
from nnstudio.core.graph.validation import Issue

Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class NodeShape:
    """What inference found for one node."""

    shape: Shape | None
    dtype: str | None
    params: int = 0
    trainable: int = 0
    error: str | None = None
    hint: str = ""
    warning: str | None = None


@dataclass
class ShapeResult:
    """Per-node results and the issues they raise."""

    nodes: dict[str, NodeShape] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)


def format_shape(shape: Shape | None) -> str:
    """``(None, 28, 28)`` as ``(batch, 28, 28)``; unknown sizes as ``?``."""
    if shape is None:
        return "?"
    dims = [
        "batch" if i == 0 and d is None else ("?" if d is None else str(d))
        for i, d in enumerate(shape)
    ]
    return "(" + ", ".join(dims) + ")"


def _freeze(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


class ShapeInference:
    """Infers shapes and parameter counts; keep one instance per graph to reuse its cache."""

    def __init__(self, cache_size: int = 20_000) -> None:
        self._cache: OrderedDict[Any, NodeShape] = OrderedDict()
        self._cache_size = cache_size
        self.computed = 0  # how many nodes were computed by Keras (not from the cache)
        # of the last infer: topological order, edges into each node, nodes each one feeds
        self._position: tuple[list[str], dict[str, int]] = ([], {})
        self._node_values: dict[str, tuple[str, dict[str, Any], Any]] = {}
        self._plan: list[Any] = [[], {}, None]

    def infer(self, graph: Graph) -> ShapeResult:
        """Shapes of every node reachable in topological order.

        Nodes on a cycle or downstream of an unknown shape are skipped (their shape is
        ``None``) without a new issue: the cause is reported where it happens.
        """
        import networkx as nx

        result = ShapeResult()
        g = nx.DiGraph()
        g.add_nodes_from(graph.nodes)
        g.add_edges_from((e.src, e.dst) for e in graph.edges)
        if not nx.is_directed_acyclic_graph(g):
            cyclic = set().union(
                *(c for c in nx.strongly_connected_components(g) if len(c) > 1),
                *({n} for n in g if g.has_edge(n, n)),
            )
            blocked = set(cyclic)
            for n in cyclic:
                blocked |= nx.descendants(g, n)
            g.remove_nodes_from(blocked)
        index = {nid: i for i, nid in enumerate(graph.nodes)}
        order = list(nx.lexicographical_topological_sort(g, key=index.__getitem__))
        incoming: dict[str, list[Any]] = {}
        for e in graph.edges:
            incoming.setdefault(e.dst, []).append(e)
        self._plan = [order, incoming, None]
        for nid in order:
            node = graph.nodes[nid]
            res = self._infer_node(graph, node, incoming.get(nid, []), result.nodes)
            if res is not None:
                result.nodes[nid] = res
        result.issues = _issues(result.nodes)
        return result

    @property
    def plan(self) -> Any:
        """What the last :meth:`infer` worked out of the graph's edges, for :meth:`update`."""
        return self._plan

    def update(
        self, graph: Graph, previous: ShapeResult, changed: set[str], plan: Any
    ) -> ShapeResult:
        """:meth:`infer` again after the parameters of ``changed`` were edited, on a graph
        whose nodes and edges are those of the :meth:`infer` that gave ``previous`` and
        ``plan``: the changed nodes are inferred again, and downstream the nodes whose
        inputs came out different."""
        order, incoming, successors = plan
        if successors is None:
            successors = {}
            for edges in incoming.values():
                for e in edges:
                    successors.setdefault(e.src, []).append(e.dst)
            plan[2:] = [successors]
        position = self._positions(order)
        known = dict(previous.nodes)
        queue = [position[n] for n in changed if n in position]
        heapq.heapify(queue)
        queued = set(queue)
        reordered = False
        while queue:  # the dirty nodes in topological order
            nid = order[heapq.heappop(queue)]
            res = self._infer_node(graph, graph.nodes[nid], incoming.get(nid, []), known)
            before = known.get(nid)
            if res is None:
                known.pop(nid, None)
            else:
                reordered |= before is None
                known[nid] = res
            if res != before:
                for succ in successors.get(nid, ()):
                    if position[succ] not in queued:
                        queued.add(position[succ])
                        heapq.heappush(queue, position[succ])
        nodes = {nid: known[nid] for nid in order if nid in known} if reordered else known
        return ShapeResult(nodes, _issues(nodes))

    def _positions(self, order: list[str]) -> dict[str, int]:
        if self._position[0] is not order:
            self._position = (order, {nid: i for i, nid in enumerate(order)})
        return self._position[1]

    # -- one node ---------------------------------------------------------------------
    def _values(self, node: Node) -> tuple[Mapping[str, Any], Mapping[str, str], Any]:
        """The spec's reading of a node's parameters (values, errors, values frozen for the
        cache key), kept per node until its type or parameters change."""
        hit = self._node_values.get(node.id)
        if hit is not None and hit[0] == node.key and hit[1] == node.params:
            return hit[2]
        values, errors = node.spec.validate_params(node.params)
        out = (values, errors, None if errors else _freeze(values))
        self._node_values[node.id] = (node.key, dict(node.params), out)
        return out

    def _infer_node(
        self, graph: Graph, node: Node, edges: list[Any], known: Mapping[str, NodeShape]
    ) -> NodeShape | None:
        ports: dict[str, list[tuple[str, NodeShape]]] = {}
        for e in edges:  # first: downstream of an unknown shape, nothing else matters
            src = known.get(e.src)
            if src is None or src.shape is None:
                return None
            ports.setdefault(e.port, []).append((e.src, src))
        spec = node.spec
        values, errors, frozen = self._values(node)
        if errors:
            return None  # reported by the structural check
        for port in spec.inputs:
            if port in spec.optional_inputs:
                continue
            if port not in ports or (spec.variadic and len(ports[port]) < 2):
                return None  # open port: reported by the structural check
            if not spec.variadic and len(ports[port]) > 1:
                return None
        key = (
            spec.key,
            frozen,
            tuple((p, tuple((s.shape, s.dtype) for _, s in ports.get(p, ()))) for p in spec.inputs),
        )
        cached = self._cache.get(key)
        if cached is None:
            cached = self._compute(spec, values, ports, graph)
            self._cache[key] = cached
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        if cached.error or cached.warning:
            # Messages name the neighbours, which the cache key does not include.
            return self._compute(spec, values, ports, graph, node)
        return cached

    def _compute(
        self,
        spec: LayerSpec,
        values: Mapping[str, Any],
        ports: Mapping[str, list[tuple[str, NodeShape]]],
        graph: Graph,
        node: Node | None = None,
    ) -> NodeShape:
        self.computed += 1
        label = f'{spec.display} "{node.name}"' if node else spec.display
        if spec.is_input:
            shape = (None, *values["shape"])
            return NodeShape(shape, values["dtype"])
        problem = _rank_problem(spec, label, ports, graph)
        if problem:
            return NodeShape(None, None, error=problem[0], hint=problem[1])
        merge_problem = _merge_problem(spec, label, ports, graph)
        if merge_problem:
            return NodeShape(None, None, error=merge_problem[0], hint=merge_problem[1])
        import keras

        try:
            with keras.StatelessScope():
                layer = spec.build(values, "probe")
                tensors: dict[str, Any] = {}
                for port, items in ports.items():
                    ts = [keras.KerasTensor(s.shape, dtype=s.dtype) for _, s in items]
                    tensors[port] = ts if spec.variadic else ts[0]
                out = spec.call(layer, tensors)
                params = sum(math.prod(w.shape) for w in layer.weights)
                trainable = sum(math.prod(w.shape) for w in layer.trainable_weights)
        except Exception as exc:  # Keras raises ValueError, TypeError, IndexError...
            return NodeShape(
                None, None, error=_plain_keras_error(label, exc, ports, graph), hint=spec.shape_hint
            )
        if isinstance(out, (list, tuple)):
            out = out[0]
        shape = tuple(None if d is None else int(d) for d in out.shape)
        if any(d is not None and d <= 0 for d in shape):
            return NodeShape(
                None,
                None,
                error=f"{label} produces an empty output "
                f"{format_shape(shape)} from its input {_from(ports, graph)}.",
                hint="Use a smaller kernel, pool or stride, or padding=same.",
            )
        warning = None
        hint = ""
        found = (
            spec.input_warning(_first(ports).shape or ()) if spec.input_warning and ports else None
        )
        if found:
            warning = f"{label} receives {format_shape(_first(ports).shape)}: {found[0]}"
            hint = found[1]
        return NodeShape(
            shape, str(out.dtype), int(params), int(trainable), warning=warning, hint=hint
        )


def _issues(nodes: Mapping[str, NodeShape]) -> list[Issue]:
    """The errors and warnings of inferred nodes, in their (topological) order."""
    issues = []
    for nid, res in nodes.items():
        if res.error:
            issues.append(Issue("error", nid, res.error, res.hint, code="shape"))
        elif res.warning:
            issues.append(Issue("warning", nid, res.warning, res.hint, code="shape_warning"))
    return issues


def _first(ports: Mapping[str, list[tuple[str, NodeShape]]]) -> NodeShape:
    return next(iter(ports.values()))[0][1]


def _from(ports: Mapping[str, list[tuple[str, NodeShape]]], graph: Graph) -> str:
    parts = [
        f'{format_shape(s.shape)} from "{graph.nodes[src].name}"'
        for items in ports.values()
        for src, s in items
    ]
    return " and ".join(parts)


def _rank_problem(
    spec: LayerSpec, label: str, ports: Mapping[str, list[tuple[str, NodeShape]]], graph: Graph
) -> tuple[str, str] | None:
    if spec.input_rank is None or "in" not in ports:
        return None
    src, s = ports["in"][0]
    rank = len(s.shape or ())
    want = spec.input_rank
    if rank == want:
        return None
    axes = ", ".join(spec.axes) if spec.axes else ""
    msg = (
        f"{label} expects a {want}-D input ({axes}) but receives {format_shape(s.shape)} "
        f'from "{graph.nodes[src].name}".'
    )
    return msg, rank_fix(spec, rank, want)


def rank_fix(spec: LayerSpec, rank: int, want: int) -> str:
    """The fix for an input of ``rank`` axes where ``spec`` takes ``want`` (shared by the
    check and the canvas's wire preview)."""
    if rank < want:
        sample_axes = ", ".join(spec.axes[1:]) if spec.axes else "the missing axes"
        return f"Insert a Reshape before it to give each sample the axes ({sample_axes})."
    if want == 2:
        return "Insert Flatten or a global pooling layer before it."
    if spec.rank_hint:
        return spec.rank_hint
    return "Insert a Reshape (or a pooling layer) before it to drop the extra axes."


def _merge_problem(
    spec: LayerSpec, label: str, ports: Mapping[str, list[tuple[str, NodeShape]]], graph: Graph
) -> tuple[str, str] | None:
    if not spec.same_shape_inputs:
        return None
    shapes = {s.shape[1:] for _, s in ports.get("in", []) if s.shape is not None}
    if len(shapes) <= 1:
        return None
    # Keras broadcasts size-1 axes; leave those to Keras.
    ranks = {len(x) for x in shapes}
    if len(ranks) == 1 and all(
        len({d[i] for d in shapes} - {1, None}) <= 1 for i in range(next(iter(ranks)))
    ):
        return None
    return (
        f"{label} needs inputs of the same shape but receives {_from(ports, graph)}.",
        "Make the branches agree (e.g. a 1x1 Conv or Dense to match the channels, or the "
        "same strides), or use Concatenate.",
    )


def _plain_keras_error(label: str, exc: Exception, ports: Mapping[str, Any], graph: Graph) -> str:
    text = str(exc).strip().replace("\n", " ")
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"^Exception encountered when calling \S+\.call\(\)\.\s*", "", text)
    text = re.sub(r"Arguments received by .*$", "", text).strip()
    text = re.sub(
        r"Input 0 with name '[^']*' of layer '[^']*' is incompatible with the layer: ", "", text
    )
    text = text.replace("'probe'", "this layer").replace("`probe`", "this layer")
    if len(text) > 300:
        text = text[:297] + "..."
    src = _from(ports, graph) if ports else "no input"
    return f"{label} cannot take {src}: {text}"
