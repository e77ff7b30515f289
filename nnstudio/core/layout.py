"""Automatic layered layout (left to right, or top to bottom), Sugiyama style, with NetworkX.

1. Layers: each node's longest path from an input (NetworkX topological order); inputs that
   feed only later layers move up next to their first consumer.
2. Edges spanning several layers get a chain of virtual nodes, so that a long skip
   connection reserves a lane of its own instead of running through other nodes.
3. Order within a layer: barycentre sweeps down and up, keeping the order with the fewest
   crossings.
4. Positions across the flow: alternating passes place every node at the weighted median
   of its neighbours (virtual nodes weigh more, which keeps long edges straight), solved per
   layer as an order-preserving least-squares problem (pool-adjacent-violators), so nodes of
   one layer never overlap; finally snapped to half-slot steps along chains.

The same function serves import and the editor's Arrange (:func:`layout_command`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from nnstudio.core.graph.commands import MoveNodes
from nnstudio.core.graph.model import NODE_H, NODE_W, Graph

__all__ = ["NODE_H", "NODE_W", "apply_positions", "layered_layout", "layout_command"]
_DUMMY_WEIGHT = 100.0
_PLACE_PASSES = 6

Vertex = str | tuple[str, str, int]  # a node id, or (src, dst, k) on a long edge


def layered_layout(
    graph: Graph,
    direction: Literal["LR", "TB"] = "LR",
    layer_gap: float = 80.0,
    node_gap: float = 36.0,
    sweeps: int = 4,
) -> dict[str, tuple[float, float]]:
    """Positions for every node: each layer a column (``LR``) or a row (``TB``)."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(graph.nodes)
    g.add_edges_from((e.src, e.dst) for e in graph.edges if e.src != e.dst)
    if not nx.is_directed_acyclic_graph(g):
        # Break cycles by dropping back edges of a DFS so that a layout still exists.
        for u, v in _back_edges(g):
            g.remove_edge(u, v)
    if not graph.nodes:
        return {}
    index = {nid: i for i, nid in enumerate(graph.nodes)}
    level = _levels(g, index)
    layers, preds, succs = _with_virtual_nodes(g, level, index)
    layers = _order(layers, preds, succs, sweeps)
    cross_pos = _place(layers, preds, succs)
    main = (NODE_W + layer_gap) if direction == "LR" else (NODE_H + layer_gap)
    cross = (NODE_H + node_gap) if direction == "LR" else (NODE_W + node_gap)
    lowest = min(cross_pos[nid] for nid in graph.nodes)
    pos: dict[str, tuple[float, float]] = {}
    for nid in graph.nodes:
        a = level[nid] * main
        b = round((cross_pos[nid] - lowest) * cross, 2)
        pos[nid] = (a, b) if direction == "LR" else (b, a)
    return pos


def _levels(g, index: Mapping[str, int]) -> dict[str, int]:
    import networkx as nx

    level: dict[str, int] = {}
    for nid in nx.lexicographical_topological_sort(g, key=index.__getitem__):
        level[nid] = 1 + max((level[p] for p in g.predecessors(nid)), default=-1)
    for nid in g.nodes:
        if g.in_degree(nid) == 0 and g.out_degree(nid) > 0:
            level[nid] = min(level[s] for s in g.successors(nid)) - 1
    return level


def _with_virtual_nodes(
    g, level: Mapping[str, int], index: Mapping[str, int]
) -> tuple[list[list[Vertex]], dict[Vertex, list[Vertex]], dict[Vertex, list[Vertex]]]:
    """Layers (in a first order: depth-first discovery) with long edges cut into steps."""
    import networkx as nx

    preds: dict[Vertex, list[Vertex]] = {nid: [] for nid in g.nodes}
    succs: dict[Vertex, list[Vertex]] = {nid: [] for nid in g.nodes}
    discovery: dict[str, int] = {}
    for root in sorted((n for n in g.nodes if g.in_degree(n) == 0), key=index.__getitem__):
        for nid in nx.dfs_preorder_nodes(g, root):
            discovery.setdefault(nid, len(discovery))
    rank: dict[Vertex, tuple[int, int, int]] = {nid: (discovery[nid], 0, 0) for nid in g.nodes}
    for u, v in sorted(g.edges, key=lambda e: (index[e[0]], index[e[1]])):
        prev: Vertex = u
        for k in range(level[u] + 1, level[v]):
            dummy: Vertex = (u, v, k)
            preds[dummy], succs[dummy] = [prev], []
            succs[prev].append(dummy)
            rank[dummy] = (discovery[u], discovery[v], k)
            prev = dummy
        succs[prev].append(v)
        preds[v].append(prev)
    depth = max(level.values()) + 1
    layers: list[list[Vertex]] = [[] for _ in range(depth)]
    for vtx in preds:
        layers[vtx[2] if isinstance(vtx, tuple) else level[vtx]].append(vtx)
    for layer in layers:
        layer.sort(key=rank.__getitem__)
    return layers, preds, succs


def _order(
    layers: list[list[Vertex]],
    preds: Mapping[Vertex, list[Vertex]],
    succs: Mapping[Vertex, list[Vertex]],
    sweeps: int,
) -> list[list[Vertex]]:
    """Barycentre sweeps; returns the ordering with the fewest crossings seen."""
    best = [list(layer) for layer in layers]
    best_crossings = _crossings(best, succs)
    current = [list(layer) for layer in layers]
    for sweep in range(2 * sweeps):
        if best_crossings == 0:
            break
        down = sweep % 2 == 0
        rng = range(1, len(current)) if down else range(len(current) - 2, -1, -1)
        for li in rng:
            ref = current[li - 1] if down else current[li + 1]
            where = {v: i for i, v in enumerate(ref)}
            nbrs = preds if down else succs
            old = {v: i for i, v in enumerate(current[li])}

            def key(v: Vertex, nbrs=nbrs, where=where, old=old) -> tuple[float, int]:
                ns = [where[n] for n in nbrs[v] if n in where]
                return (sum(ns) / len(ns) if ns else old[v], old[v])

            current[li].sort(key=key)
        count = _crossings(current, succs)
        if count < best_crossings:
            best_crossings = count
            best = [list(layer) for layer in current]
    return best


def _crossings(layers: Sequence[Sequence[Vertex]], succs: Mapping[Vertex, list[Vertex]]) -> int:
    """Edge crossings between adjacent layers (counting inversions of the edge list)."""
    total = 0
    for upper, lower in zip(layers, layers[1:], strict=False):
        where = {v: i for i, v in enumerate(lower)}
        ends = [where[s] for u in upper for s in sorted(succs[u], key=where.__getitem__)]
        total += _inversions(ends)
    return total


def _inversions(values: list[int]) -> int:
    """Number of pairs i < j with values[i] > values[j] (merge sort)."""
    if len(values) < 2:
        return 0
    mid = len(values) // 2
    left, right = values[:mid], values[mid:]
    count = _inversions(left) + _inversions(right)
    left.sort()
    right.sort()
    i = 0
    for r in right:
        while i < len(left) and left[i] <= r:
            i += 1
        count += len(left) - i
    return count


def _place(
    layers: Sequence[Sequence[Vertex]],
    preds: Mapping[Vertex, list[Vertex]],
    succs: Mapping[Vertex, list[Vertex]],
) -> dict[Vertex, float]:
    """Cross-axis positions (in node slots): weighted medians, order kept, 1 slot apart."""
    pos: dict[Vertex, float] = {v: float(i) for layer in layers for i, v in enumerate(layer)}
    weight = {v: _DUMMY_WEIGHT if isinstance(v, tuple) else 1.0 for v in pos}
    for p in range(_PLACE_PASSES):
        down = p % 2 == 0
        order = range(len(layers)) if down else range(len(layers) - 1, -1, -1)
        nbrs = preds if down else succs
        for li in order:
            layer = layers[li]
            targets = []
            for v in layer:
                ns = nbrs[v]
                targets.append(
                    _weighted_median([(pos[n], weight[n]) for n in ns]) if ns else pos[v]
                )
            for v, x in zip(layer, _ordered_fit(targets, [weight[v] for v in layer]), strict=True):
                pos[v] = x
    return _snap(layers, preds, pos)


def _snap(
    layers: Sequence[Sequence[Vertex]],
    preds: Mapping[Vertex, list[Vertex]],
    pos: Mapping[Vertex, float],
) -> dict[Vertex, float]:
    """Half-slot positions; a node within a quarter slot of a predecessor takes exactly its
    row, so chains and skip lanes stay straight.  Nodes of a layer stay one slot apart."""
    snapped: dict[Vertex, float] = {}
    for layer in layers:
        last = -float("inf")
        for v in layer:
            near = [snapped[p] for p in preds[v] if abs(snapped[p] - pos[v]) < 0.3]
            x = min(near, key=lambda a: abs(a - pos[v])) if near else round(pos[v] * 2) / 2
            snapped[v] = last = max(x, last + 1.0)
    return snapped


def _weighted_median(items: list[tuple[float, float]]) -> float:
    """The weighted median of positions; the midpoint when the weight splits evenly."""
    items.sort()
    half = sum(w for _, w in items) / 2.0
    acc = 0.0
    for i, (x, w) in enumerate(items):
        acc += w
        if abs(acc - half) < 1e-9 and i + 1 < len(items):
            return (x + items[i + 1][0]) / 2.0
        if acc > half:
            return x
    return items[-1][0]


def _ordered_fit(targets: Sequence[float], weights: Sequence[float]) -> list[float]:
    """Positions p (p[i+1] >= p[i] + 1) minimising sum w * (p - target)^2.

    With q[i] = p[i] - i this is a weighted isotonic regression, solved exactly by
    pool-adjacent-violators.
    """
    blocks: list[list[float]] = []  # [weighted sum, total weight, count]
    for i, (t, w) in enumerate(zip(targets, weights, strict=True)):
        blocks.append([(t - i) * w, w, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, tw, n = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += tw
            blocks[-1][2] += n
    out: list[float] = []
    for s, tw, n in blocks:
        q = s / tw
        base = len(out)
        out.extend(q + base + k for k in range(int(n)))
    return out


def _back_edges(g) -> list[tuple[str, str]]:
    import networkx as nx

    back = []
    for u, v, kind in nx.dfs_labeled_edges(g):
        if kind == "nontree" and u != v and nx.has_path(g, v, u):
            back.append((u, v))
    return back


def layout_command(graph: Graph, direction: Literal["LR", "TB"] = "LR") -> MoveNodes:
    """A :class:`MoveNodes` command that arranges the whole graph (one undo step, never merged
    with a drag)."""
    return MoveNodes(graph, layered_layout(graph, direction), text="Arrange", mergeable=False)


def apply_positions(graph: Graph, positions: Mapping[str, tuple[float, float]]) -> None:
    """Place nodes without an undo step (graphs not yet shown, e.g. fresh imports): the same
    :class:`MoveNodes` command applied once, so listeners see ``node_moved`` events."""
    MoveNodes(graph, positions, text="Place", mergeable=False).redo()
