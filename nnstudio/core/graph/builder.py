"""A small fluent API to build graphs in code (templates, tests, importers).

Every step goes through the edit commands, so a built graph is exactly what a user could
have made on the canvas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nnstudio.core.graph.commands import AddNode, Connect, History, SetOutput
from nnstudio.core.graph.model import Graph


class GraphBuilder:
    """``b.add("Dense", x, units=10)`` adds a node fed by ``x`` and returns its id."""

    def __init__(self, graph: Graph | None = None) -> None:
        self.graph = graph if graph is not None else Graph()
        self.history = History()
        self._col = 0

    def add(
        self,
        key: str,
        *inputs: str | Sequence[str],
        name: str | None = None,
        pos: tuple[float, float] | None = None,
        **params: Any,
    ) -> str:
        """Add a layer; positional ``inputs`` fill the ports in order (a list feeds a merge).

        Keyword ``query=``, ``value=``, ``key_=`` style ports can be given via ``ports=``.
        """
        ports = params.pop("ports", None)
        if pos is None:
            pos = (self._col * 220.0, 0.0)
            self._col += 1
        cmd = AddNode(self.graph, key, pos, name=name, params=params)
        self.history.push(cmd)
        nid = cmd.node.id
        spec = cmd.node.spec
        if ports:
            for port, src in ports.items():
                self.history.push(Connect(self.graph, src, nid, port))
        for port, src in zip(spec.inputs, inputs, strict=False):
            for s in [src] if isinstance(src, str) else src:
                self.history.push(Connect(self.graph, s, nid, port))
        return nid

    def output(
        self, node_id: str, loss: str = "mse", metrics: Sequence[str] = (), loss_weight: float = 1.0
    ) -> str:
        """Declare ``node_id`` a model output."""
        self.history.push(SetOutput(self.graph, node_id, loss, loss_weight, metrics))
        return node_id
