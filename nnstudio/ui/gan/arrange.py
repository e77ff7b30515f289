"""Arrange a GAN's two regions on the canvas as one undo step.

The placement is the core's :func:`nnstudio.core.gan.layout.region_positions` (each region
left to right, wrapped, the regions stacked with room for their frames), the rule the DCGAN
template is saved with; :func:`arrange_command` makes it one ``MoveNodes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from nnstudio.core.gan.layout import REGION_GAP, region_positions
from nnstudio.core.graph.commands import MoveNodes
from nnstudio.core.graph.model import Graph

__all__ = ["REGION_GAP", "arrange_command", "region_positions"]


def arrange_command(graph: Graph, regions: Mapping[str, Iterable[str]]) -> MoveNodes:
    """One undo step that arranges the regions (never merged with a drag)."""
    return MoveNodes(
        graph, region_positions(graph, regions), text="Arrange GAN regions", mergeable=False
    )
