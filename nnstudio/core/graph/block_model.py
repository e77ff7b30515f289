"""Block definitions: the data of a named block and the spec its uses take their ports from.

Kept apart from :mod:`.model` (which re-exports every name here); ``Graph`` is only a type
here, so the two modules do not import each other at load time.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nnstudio.core.catalog.spec import LayerSpec

if TYPE_CHECKING:
    from nnstudio.core.graph.model import Graph

BLOCK_KEY = "Block"  # the node type of a block use (see :mod:`.blocks`)
OUT_PORT = "out"


@dataclass
class BlockDefinition:
    """A named block: an inner graph whose Input nodes are the block's input ports (in graph
    order; a port is named by the Input's id) and whose declared outputs are its output ports
    (in order; see :meth:`output_ports`).  ``graph.blocks`` is its owner's definitions."""

    name: str
    graph: Graph
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def input_ports(self) -> list[str]:
        """The input port names: the ids of the inner Input nodes, in graph order."""
        return [n.id for n in self.graph.nodes.values() if n.key == "Input"]

    def output_ports(self) -> list[str]:
        """The output port names: ``node`` or ``node:port`` of each declared inner output."""
        return [port_name(o.node, o.port) for o in self.graph.outputs]

    def port_label(self, port: str) -> str:
        """The readable label of a port (the name of its inner node)."""
        node = self.graph.nodes.get(port.split(":", 1)[0])
        return node.name if node is not None else port

    def copy(self) -> BlockDefinition:
        """An independent copy (its graph shares no state; ``blocks`` is left empty)."""
        return BlockDefinition(
            self.name,
            self.graph.copy(with_blocks=False),
            self.description,
            copy.deepcopy(self.extra),
        )


def port_name(node_id: str, port: str = OUT_PORT) -> str:
    """A block output port's name: the inner node id, with ``:port`` for a nested use's."""
    return node_id if port == OUT_PORT else f"{node_id}:{port}"


def block_spec(definition: BlockDefinition | None, name: str = "") -> LayerSpec:
    """The spec of a use of ``definition``: its input ports; parameters definition, repeat."""
    from nnstudio.core.catalog.spec import Param

    label = definition.name if definition is not None else name
    return LayerSpec(
        key=BLOCK_KEY,
        display=label or "Block",
        category="Blocks",
        help=(definition.description if definition is not None else "")
        or f"Block {label} (a group of layers).",
        params=(
            Param("definition", "str", label, "The block definition this node uses.", keras=None),
            Param(
                "repeat",
                "int",
                1,
                "How many chained copies of the block, each with its own weights.",
                min=1,
                max=1000,
                keras=None,
            ),
        ),
        inputs=tuple(definition.input_ports()) if definition is not None else (),
    )


def copy_blocks(source: Graph, target: Graph) -> None:
    """Give ``target`` independent copies of ``source``'s block definitions (e.g. for a
    detached snapshot that a background check reads)."""
    target.blocks.clear()
    for name, d in source.blocks.items():
        target.blocks[name] = d.copy()
    for d in target.blocks.values():
        share_blocks(d.graph, target.blocks)
        d.graph.subscribe(target._inner_changed)
    target.refresh_block_specs()


def share_blocks(graph: Graph, blocks: dict[str, BlockDefinition]) -> None:
    """Make ``graph`` (a definition's inner graph) read its owner's definitions."""
    graph.blocks = blocks
    for node in graph.nodes.values():
        if node.key == BLOCK_KEY:
            graph._attach_spec(node)
