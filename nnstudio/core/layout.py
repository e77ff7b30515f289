"""Automatic layered layout (left to right, or top to bottom) with NetworkX.

Nodes are placed in columns by topological generation (longest path from an input), and
ordered within a column by the barycentre of their predecessors, sweeping back and forth to
reduce crossings.  The same function serves import and the editor's Arrange.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from nnstudio.core.graph.model import Graph

NODE_W = 180.0
NODE_H = 84.0


def layered_layout(graph: Graph, direction: Literal["LR", "TB"] = "LR",
                   layer_gap: float = 80.0, node_gap: float = 36.0,
                   sweeps: int = 4) -> dict[str, tuple[float, float]]:
    """Positions for every node: each generation a column (``LR``) or a row (``TB``)."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(graph.nodes)
    g.add_edges_from((e.src, e.dst) for e in graph.edges if e.src != e.dst)
    if not nx.is_directed_acyclic_graph(g):
        # Break cycles by dropping back edges of a DFS so that a layout still exists.
        for u, v in _back_edges(g):
            g.remove_edge(u, v)
    index = {nid: i for i, nid in enumerate(graph.nodes)}
    level: dict[str, int] = {}
    for nid in nx.lexicographical_topological_sort(g, key=index.__getitem__):
        preds = list(g.predecessors(nid))
        level[nid] = 1 + max((level[p] for p in preds), default=-1)
    columns: dict[int, list[str]] = {}
    for nid in graph.nodes:
        columns.setdefault(level[nid], []).append(nid)
    order = {nid: i for col in columns.values() for i, nid in enumerate(col)}
    levels = sorted(columns)
    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        for lv in (levels[1:] if forward else list(reversed(levels[:-1]))):
            col = columns[lv]
            nbrs = g.predecessors if forward else g.successors

            def bary(nid: str, nbrs=nbrs, col=col) -> float:
                ns = list(nbrs(nid))
                return (sum(order[n] for n in ns) / len(ns)) if ns else order[nid]

            col.sort(key=lambda n: (bary(n), index[n]))
            for i, nid in enumerate(col):
                order[nid] = i
    main = (NODE_W + layer_gap) if direction == "LR" else (NODE_H + layer_gap)
    cross = (NODE_H + node_gap) if direction == "LR" else (NODE_W + node_gap)
    pos: dict[str, tuple[float, float]] = {}
    for lv, col in columns.items():
        offset = -(len(col) - 1) * cross / 2.0
        for i, nid in enumerate(col):
            a, b = lv * main, offset + i * cross
            pos[nid] = (a, b) if direction == "LR" else (b, a)
    return pos


def _back_edges(g) -> list[tuple[str, str]]:
    import networkx as nx

    back = []
    for u, v, kind in nx.dfs_labeled_edges(g):
        if kind == "nontree" and u != v and nx.has_path(g, v, u):
            back.append((u, v))
    return back


def layout_command(graph: Graph, direction: Literal["LR", "TB"] = "LR"):
    """A :class:`MoveNodes` command that arranges the whole graph (one undo step)."""
    from nnstudio.core.graph.commands import MoveNodes

    return MoveNodes(graph, layered_layout(graph, direction), text="Arrange")


def apply_positions(graph: Graph, positions: Mapping[str, tuple[float, float]]) -> None:
    """Set positions directly (for graphs that are not yet shown, e.g. fresh imports)."""
    for nid, p in positions.items():
        graph.nodes[nid].pos = (float(p[0]), float(p[1]))
