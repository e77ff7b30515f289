"""The base of the block edits: replace a graph's state with the fewest mutator calls."""

from __future__ import annotations

from nnstudio.core.graph.command import Command
from nnstudio.core.graph.model import (
    NAME_RE,
    BlockDefinition,
    Edge,
    Graph,
    GraphError,
    Node,
    OutputDecl,
)

BlockChanges = dict[str, BlockDefinition | None]


class _StateEdit(Command):
    """Replace the graph's nodes, edges, outputs and some definitions; undo restores them."""

    def _prepare(
        self,
        nodes: list[Node],
        edges: list[Edge],
        outputs: list[OutputDecl],
        blocks: BlockChanges,
    ) -> None:
        g = self.graph
        self._before = (
            [n.copy() for n in g.nodes.values()],
            list(g.edges),
            [o.copy() for o in g.outputs],
            {name: g.blocks.get(name) for name in blocks},
        )
        self._after = (nodes, edges, outputs, blocks)

    def redo(self) -> None:
        _apply(self.graph, *self._after)

    def undo(self) -> None:
        _apply(self.graph, *self._before)


def _apply(
    g: Graph,
    nodes: list[Node],
    edges: list[Edge],
    outputs: list[OutputDecl],
    blocks: BlockChanges,
) -> None:
    """Bring ``g`` to exactly this state with the fewest mutator calls (events)."""
    for name, d in blocks.items():
        if d is not None and g.blocks.get(name) is not d:
            g._set_block(name, d)
    keep_ids = {n.id for n in nodes}
    if any(o.node not in keep_ids for o in g.outputs):
        g._set_outputs([o for o in g.outputs if o.node in keep_ids])
    target = set(edges)
    for e in reversed(list(g.edges)):
        if e not in target:
            g._delete_edge(e)
    for nid in [nid for nid in g.nodes if nid not in keep_ids]:
        g._delete_node(nid)
    for i, n in enumerate(nodes):
        if n.id not in g.nodes:
            g._insert_node(n.copy(), i)
    present = set(g.edges)
    for i, e in enumerate(edges):
        if e not in present:
            g._insert_edge(e, i)
    if g.outputs != outputs:
        g._set_outputs(outputs)
    for name, d in blocks.items():
        if d is None and name in g.blocks:
            g._set_block(name, None)


def check_block_name(graph: Graph, name: str) -> None:
    """Refuse a definition name that is invalid or taken."""
    if not NAME_RE.match(name):
        raise GraphError(
            f"{name!r} is not a valid block name: use letters, digits, _ . - "
            "(starting with a letter or _), at most 64 characters"
        )
    if name in graph.blocks:
        raise GraphError(f"a block called {name!r} already exists")


def _fresh_id(graph: Graph, also_taken: set[str]) -> str:
    while True:
        nid = graph.new_id()
        if nid not in also_taken:
            return nid
