"""Positions that give each GAN region room for its frame (no Qt: core only).

:func:`region_positions` lays out each region left to right (the app's layered layout of
its own nodes), wraps a long region onto several lines, and stacks the regions top to
bottom with room for the frames and their titles between them.  ``arrange_command`` makes
it one undoable ``MoveNodes``.  The shipped DCGAN template could be placed with the same
function (it lives here because only the window draws frames).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from nnstudio.core.graph.commands import MoveNodes
from nnstudio.core.graph.model import Graph
from nnstudio.core.layout import NODE_H, NODE_W, layered_layout

__all__ = ["LINE_GAP", "REGION_GAP", "arrange_command", "region_positions"]

COLUMNS = 7  # layers per line before a region wraps
LAYER_GAP = 80.0
LINE_GAP = 70.0  # between the lines of one region
REGION_GAP = 160.0  # between two regions: both frames' padding and the lower one's title


def _sub(graph: Graph, ids: Iterable[str]) -> Graph:
    members = set(ids)
    sub = Graph()
    sub.nodes = {nid: node for nid, node in graph.nodes.items() if nid in members}
    sub.edges = [e for e in graph.edges if e.src in members and e.dst in members]
    return sub


def region_positions(
    graph: Graph,
    regions: Mapping[str, Iterable[str]],
    columns: int = COLUMNS,
    origin: tuple[float, float] = (0.0, 0.0),
) -> dict[str, tuple[float, float]]:
    """Every region's nodes placed (see the module docstring), regions in the given order."""
    step = NODE_W + LAYER_GAP
    out: dict[str, tuple[float, float]] = {}
    top = origin[1]
    for ids in regions.values():
        sub = _sub(graph, ids)
        if not sub.nodes:
            continue
        pos = layered_layout(sub, layer_gap=LAYER_GAP)
        height = max(y for _x, y in pos.values()) + NODE_H  # one line's height
        bottom = top
        for nid, (x, y) in pos.items():
            layer = round(x / step)
            line, col = divmod(layer, columns)
            py = top + line * (height + LINE_GAP) + y
            out[nid] = (origin[0] + col * step, py)
            bottom = max(bottom, py + NODE_H)
        top = bottom + REGION_GAP
    return out


def arrange_command(graph: Graph, regions: Mapping[str, Iterable[str]]) -> MoveNodes:
    """One undo step that arranges the regions (never merged with a drag)."""
    return MoveNodes(
        graph, region_positions(graph, regions), text="Arrange GAN regions", mergeable=False
    )
