"""Checks, shapes and parameter counts through blocks: the flat graph is checked, and what
it finds is reported on the top-level nodes (an error inside a block marks the block use and
carries the inner path, :attr:`Issue.inner`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from nnstudio.core.graph.blocks import FlatGraph, flatten
from nnstudio.core.graph.model import BLOCK_KEY, Graph
from nnstudio.core.graph.shapes import NodeShape, Shape, format_shape
from nnstudio.core.graph.validation import Issue

if TYPE_CHECKING:
    from nnstudio.core.graph.check import CheckResult, GraphChecker


@dataclass
class FlatCheck:
    """The flat graph of a graph with blocks and the check of that flat graph."""

    flat: FlatGraph
    result: CheckResult

    @property
    def graph(self) -> Graph:
        """The flat graph (what the compiler builds)."""
        return self.flat.graph

    def port_shape(self, use_id: str, port: str) -> NodeShape | None:
        """The shape of output ``port`` of the top-level use ``use_id``."""
        fid = self.flat.ports.get((use_id, port))
        return self.result.shapes.get(fid) if fid else None

    def shape_of(self, top_id: str, inner: tuple[str, ...], copy: int = 0) -> NodeShape | None:
        """The shape of the node at ``inner`` below the top-level use (first copy)."""
        for fid, o in self.flat.origin.items():
            if o.top == top_id and o.inner_path == inner and (not o.path or o.path[0][1] == copy):
                return self.result.shapes.get(fid)
        return None


def check_with_blocks(checker: GraphChecker, graph: Graph) -> CheckResult:
    """Check ``graph`` through its blocks (see the module docstring)."""
    from nnstudio.core.graph.check import CheckResult

    flat = flatten(graph)
    inner = checker.check(flat.graph)
    issues = [_lift(i, flat, graph) for i in inner.issues] + list(flat.issues)
    shapes: dict[str, NodeShape] = {}
    for nid, node in graph.nodes.items():
        if node.key != BLOCK_KEY:
            if nid in inner.shapes:
                shapes[nid] = inner.shapes[nid]
            continue
        shapes[nid] = _use_shape(nid, flat, inner, issues)
    order = {nid: i for i, nid in enumerate(graph.nodes)}
    issues.sort(key=lambda i: (i.severity != "error", order.get(i.node or "", -1)))
    return CheckResult(issues, shapes, flat=FlatCheck(flat, inner))


def structure_with_blocks(graph: Graph) -> list[Issue]:
    """The structural issues of ``graph`` (no Keras), checked on its flat graph and located
    on the top-level nodes, plus the problems of the blocks themselves."""
    from nnstudio.core.graph.validation import check_structure

    flat = flatten(graph)
    return [_lift(i, flat, graph) for i in check_structure(flat.graph)] + list(flat.issues)


def _lift(issue: Issue, flat: FlatGraph, graph: Graph) -> Issue:
    """An issue of the flat graph, located on the top-level node it belongs to."""
    origin = flat.origin.get(issue.node or "")
    if origin is None or not origin.path:
        return issue
    top = graph.nodes.get(origin.top)
    use, copy = origin.path[0]
    repeat = top.params.get("repeat", 1) if top is not None else 1
    where = f'In block "{top.name if top else use}"'
    if isinstance(repeat, int) and repeat > 1:
        where += f" (copy {copy + 1} of {repeat})"
    return replace(
        issue, node=origin.top, message=f"{where}: {issue.message}", inner=origin.inner_path
    )


def _use_shape(use_id: str, flat: FlatGraph, inner: CheckResult, issues: list[Issue]) -> NodeShape:
    members = flat.members.get(use_id, [])
    params = sum(inner.shapes[m].params for m in members if m in inner.shapes)
    trainable = sum(inner.shapes[m].trainable for m in members if m in inner.shapes)
    first = next((fid for (u, _), fid in flat.ports.items() if u == use_id), None)
    out = inner.shapes.get(first) if first else None
    error = next((i for i in issues if i.node == use_id and i.severity == "error"), None)
    return NodeShape(
        out.shape if out and not error else None,
        out.dtype if out and not error else None,
        params,
        trainable,
        error=error.message if error else None,
        hint=error.hint if error else "",
    )


def block_uses(graph: Graph, result: CheckResult) -> list[dict[str, Any]]:
    """One entry per top-level block use: name, definition, repeat, number of (flat) nodes,
    parameters and the output shape of each output port (the first as ``output_shape``)."""
    fc: FlatCheck | None = result.flat
    out: list[dict[str, Any]] = []
    if fc is None:
        return out
    for nid, node in graph.nodes.items():
        if node.key != BLOCK_KEY:
            continue
        s = result.shapes.get(nid)
        definition = graph.blocks.get(str(node.params.get("definition")))
        ports = definition.output_ports() if definition else []
        shapes: list[Shape | None] = []
        for p in ports:
            ps = fc.port_shape(nid, p)
            shapes.append(ps.shape if ps else None)
        first = shapes[0] if shapes else None
        out.append(
            {
                "id": nid,
                "name": node.name,
                "definition": str(node.params.get("definition")),
                "repeat": node.params.get("repeat", 1),
                "nodes": len(fc.flat.members.get(nid, [])),
                "params": s.params if s else 0,
                "trainable_params": s.trainable if s else 0,
                "output_shape": list(first) if first else None,
                "output_shape_text": format_shape(first),
                "output_shapes": [list(x) if x else None for x in shapes],
            }
        )
    return out
