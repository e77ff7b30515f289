"""Drag-to-connect: a live rubber-band edge from a port, checked against the core as it moves.

Dragging starts on an output port (towards an input) or on an input port (towards an
output).  While the cursor is over a port the preview turns green if the connection would
be accepted and red if it would be refused: by the graph (occupied port, cycle ...) or by
its shape (the source's last inferred output against what the input takes, see
:mod:`.shape_check`).  On release the connection is made through a ``Connect`` command, or
the refusal's reason is returned for the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QPointF

from nnstudio.core.graph.commands import Command, Connect
from nnstudio.core.graph.shapes import format_shape
from nnstudio.ui.canvas.items import ConnectionPreview, NodeItem
from nnstudio.ui.canvas.scene import GraphScene
from nnstudio.ui.canvas.shape_check import connection_shape_problem


@dataclass(frozen=True)
class Target:
    """Where a connection would go: ``src`` → ``dst.port`` (``port=None``: first free)."""

    src: str
    dst: str
    port: str | None


class ConnectDrag:
    """One drag from a port; ``finish`` makes the connection (or says why not)."""

    def __init__(self, scene: GraphScene, item: NodeItem, side: str, port: str) -> None:
        self.scene = scene
        self.item = item
        self.side = side  # "out": dragging from an output; "in": from an input port
        self.port = port
        self.preview = ConnectionPreview(
            item.port_scene_pos(side, port), side == "out", scene.colors
        )
        scene.addItem(self.preview)
        self._candidate: NodeItem | None = None
        self.reason: str | None = None

    def target_at(self, pos: QPointF) -> tuple[Target | None, NodeItem | None]:
        """The connection a release at ``pos`` would make, and the node it would touch."""
        other = self.scene.node_at(pos)
        if other is None:
            return None, None
        hit = other.port_at(pos)
        if self.side == "out":
            port = hit[1] if hit and hit[0] == "in" else None
            if hit and hit[0] == "out":
                return None, other
            return Target(self.item.node_id, other.node_id, port), other
        if hit and hit[0] == "in":
            return None, other
        return Target(other.node_id, self.item.node_id, self.port), other

    def move(self, pos: QPointF) -> str | None:
        """Follow the cursor; returns what the status bar says about the connection under it
        (why it would be refused, or what it connects), ``None`` when not over a node."""
        target, other = self.target_at(pos)
        self._set_candidate(None, None)
        self.reason = None
        if target is None:
            self.preview.set_allowed(None)
            self.preview.move_to(pos)
            return None
        port = target.port or _first_free_port(self.scene, target.dst)
        self.reason = self.refusal(target, port)
        allowed = self.reason is None
        self.preview.set_allowed(allowed)
        dst_item = self.scene.node_items[target.dst]
        if self.side == "out":
            snap = dst_item.port_scene_pos("in", port) if port else pos
            if port:
                self._set_candidate(dst_item, (port, allowed))
        else:
            snap = other.port_scene_pos("out") if other is not None else pos
        self.preview.move_to(snap)
        if self.reason:
            return f"Cannot connect: {self.reason}"
        graph = self.scene.graph
        src, dst = graph.nodes[target.src], graph.nodes[target.dst]
        shape = self.scene.output_shape(target.src)
        given = f" {format_shape(shape)}" if shape is not None else ""
        return f'Connect "{src.name}"{given} to {dst.spec.display} "{dst.name}"'

    def refusal(self, target: Target, port: str | None) -> str | None:
        """Why the connection to ``target`` (at ``port``) would be refused, or ``None``."""
        if not port:
            return "that layer has no free input"
        graph = self.scene.graph
        return graph.check_connect(target.src, target.dst, port) or connection_shape_problem(
            graph, self.scene.output_shape, target.src, target.dst, port
        )

    def finish(self, pos: QPointF, push: Callable[[Callable[[], Command]], object]) -> str | None:
        """Remove the preview and, if released over a node, push the ``Connect``; returns
        the reason when the shape would be refused (nothing is pushed then)."""
        target, other = self.target_at(pos)
        self.cancel()
        if target is None:
            return None
        graph = self.scene.graph
        port = target.port or _first_free_port(self.scene, target.dst)
        shape = port and connection_shape_problem(
            graph, self.scene.output_shape, target.src, target.dst, port
        )
        if shape:
            return shape
        src_port = _source_port(self.item if self.side == "out" else other, self, pos)
        push(lambda: Connect(graph, target.src, target.dst, target.port, src_port=src_port))
        return None

    def cancel(self) -> None:
        """Remove the preview without connecting."""
        self._set_candidate(None, None)
        if self.preview.scene() is not None:
            self.scene.removeItem(self.preview)

    def _set_candidate(self, item: NodeItem | None, candidate: tuple[str, bool] | None) -> None:
        if self._candidate is not None and self._candidate is not item:
            self._candidate.candidate = None
            self._candidate.update()
        self._candidate = item
        if item is not None:
            item.candidate = candidate
            item.update()


def _source_port(src_item: NodeItem | None, drag: ConnectDrag, pos: QPointF) -> str:
    """Which output of the source a connection leaves from (a block use has several)."""
    name_of = getattr(src_item, "out_port_name", None)
    if src_item is None or name_of is None:
        return "out"
    hit = ("out", drag.port) if drag.side == "out" else src_item.port_at(pos)
    return name_of(hit[1] if hit and hit[0] == "out" else "out")


def _first_free_port(scene: GraphScene, node_id: str) -> str | None:
    spec = scene.graph.nodes[node_id].spec
    for port in spec.inputs:
        if spec.variadic or not scene.graph.in_edges(node_id, port):
            return port
    return spec.inputs[0] if spec.inputs else None
