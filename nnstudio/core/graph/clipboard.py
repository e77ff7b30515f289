"""Copy and paste: a fragment of the graph as JSON data, and the command that adds it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from nnstudio.core.graph.command import Command
from nnstudio.core.graph.model import BLOCK_KEY, Edge, Graph, GraphError, Node
from nnstudio.core.graph.serialize import FormatError, graph_from_json


def copy_fragment(graph: Graph, node_ids: Iterable[str]) -> dict[str, Any]:
    """The selected nodes and the edges among them, as JSON data for the clipboard."""
    ids = [nid for nid in graph.nodes if nid in set(node_ids)]
    chosen = set(ids)
    full = graph.to_json()
    fragment = {
        "nnstudio_fragment": 1,
        "nodes": [n for n in full["nodes"] if n["id"] in chosen],
        "edges": [e for e in full["edges"] if e["from"] in chosen and e["to"] in chosen],
    }
    if any(graph.nodes[nid].key == BLOCK_KEY for nid in ids):  # the definitions go along
        from nnstudio.core.graph.blocks import definitions_used

        part = Graph()
        part.blocks = graph.blocks
        part.nodes = {nid: graph.nodes[nid] for nid in ids}
        fragment["blocks"] = {name: full["blocks"][name] for name in definitions_used(part)}
    return fragment


class Paste(Command):
    """Add a copied fragment with fresh ids and unique names, shifted by ``offset``.

    Ids are taken from the graph on the first ``redo`` (the constructor only reads it);
    later redos reuse them.
    """

    def __init__(
        self, graph: Graph, fragment: Mapping[str, Any], offset: tuple[float, float] = (40.0, 40.0)
    ) -> None:
        super().__init__(graph)
        try:
            frag = graph_from_json(
                {
                    "nodes": fragment.get("nodes", []),
                    "edges": fragment.get("edges", []),
                    "blocks": fragment.get("blocks", {}),
                },
                "clipboard",
            )
        except FormatError as exc:  # a damaged fragment is a refused edit
            raise GraphError(f"cannot paste: {exc}") from None
        taken: list[str] = []
        self._source = [n.id for n in frag.nodes.values()]
        self.nodes: list[Node] = []
        for node in frag.nodes.values():
            name = graph.unique_name(node.name, taken)
            taken.append(name)
            self.nodes.append(
                Node(
                    node.id,
                    node.key,
                    name,
                    dict(node.params),
                    (node.pos[0] + offset[0], node.pos[1] + offset[1]),
                    dict(node.extra),
                )
            )
        self._frag_edges = list(frag.edges)
        # definitions the fragment uses that the graph lacks (same name: the graph's is used)
        self._blocks = {n: d for n, d in frag.blocks.items() if n not in graph.blocks}
        self.edges: list[Edge] = []
        self._ids_taken = False
        self.text = f"Paste {len(self.nodes)} layer" + ("s" if len(self.nodes) != 1 else "")

    @property
    def node_ids(self) -> list[str]:
        """Ids of the pasted nodes (final once the command has been applied)."""
        return [n.id for n in self.nodes]

    def _take_ids(self) -> None:
        id_map: dict[str, str] = {}
        for old, node in zip(self._source, self.nodes, strict=True):
            node.id = id_map[old] = self.graph.new_id()
        self.edges = [
            Edge(id_map[e.src], id_map[e.dst], e.port, src_port=e.src_port)
            for e in self._frag_edges
        ]
        self._ids_taken = True

    def redo(self) -> None:
        if not self._ids_taken:
            self._take_ids()
        for name, d in self._blocks.items():
            self.graph._set_block(name, d)
        for node in self.nodes:
            self.graph._insert_node(node.copy())
        for e in self.edges:
            self.graph._insert_edge(e)

    def undo(self) -> None:
        for e in reversed(self.edges):
            self.graph._delete_edge(e)
        for node in reversed(self.nodes):
            self.graph._delete_node(node.id)
        for name in reversed(list(self._blocks)):
            self.graph._set_block(name, None)
