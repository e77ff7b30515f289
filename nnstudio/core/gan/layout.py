"""Positions that give each GAN region room for its canvas frame (core, no Qt).

:func:`region_positions` lays out each region left to right (the app's layered layout of
its own nodes), wraps a long region onto several lines, and stacks the regions top to
bottom with room for the frames and their titles between them (the same rule as ganui's
``ui/gan/arrange.py``, here so that a template is saved already placed).
:func:`place_regions` applies it to a GAN graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from nnstudio.core.gan.config import GanConfig
from nnstudio.core.gan.roles import split_roles
from nnstudio.core.graph.model import Graph
from nnstudio.core.layout import NODE_H, NODE_W, apply_positions, layered_layout

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
            line, col = divmod(round(x / step), columns)
            py = top + line * (height + LINE_GAP) + y
            out[nid] = (origin[0] + col * step, py)
            bottom = max(bottom, py + NODE_H)
        top = bottom + REGION_GAP
    return out


def place_regions(graph: Graph, gan: GanConfig) -> bool:
    """Place the generator above the discriminator (positions set in place, no command);
    False when the roles cannot be found (nothing moves)."""
    roles, _ = split_roles(graph, gan)
    if roles is None:
        return False
    regions = {"generator": roles.generator, "discriminator": roles.discriminator}
    apply_positions(graph, region_positions(graph, regions))
    return True
