"""Would a connection's shape be refused?  Checked while a wire is dragged, without Keras.

The source's output shape is the one the last check inferred (shape inference runs in the
core, off the GUI thread); the target's expectations are its layer spec's hints
(``input_rank``/``min_input_rank`` with ``axes``, ``rank_hint``, ``same_shape_inputs``),
the same ones the core's shape check reads.  An unknown shape is never a refusal.
Qt-free: the messages read like the core's shape issues, with the fix.
"""

from __future__ import annotations

from collections.abc import Callable

from nnstudio.core.catalog.spec import LayerSpec
from nnstudio.core.graph.model import Graph
from nnstudio.core.graph.shapes import format_shape, rank_fix

Shape = tuple[int | None, ...]
ShapeOf = Callable[[str], Shape | None]


def connection_shape_problem(
    graph: Graph, shape_of: ShapeOf, src: str, dst: str, port: str
) -> str | None:
    """Why ``dst.port`` would reject ``src``'s output shape, with the fix; ``None`` if it
    would take it (or the shape is not known yet)."""
    shape = shape_of(src)
    if shape is None or src not in graph.nodes or dst not in graph.nodes:
        return None
    node = graph.nodes[dst]
    spec = node.spec
    label = f'{spec.display} "{node.name}"'
    given = f'{format_shape(shape)} from "{graph.nodes[src].name}"'
    if port == "in":
        problem = _rank_problem(spec, label, given, len(shape))
        if problem:
            return problem
    if spec.same_shape_inputs:
        for edge in graph.in_edges(dst, port):
            other = shape_of(edge.src)
            if other is not None and edge.src != src and not _agree(shape, other):
                return (
                    f"{label} needs inputs of the same shape but would receive {given} and "
                    f'{format_shape(other)} from "{graph.nodes[edge.src].name}". Make the '
                    "branches agree (a 1x1 Conv or a Dense to match the channels), or use "
                    "Concatenate."
                )
    return None


def _rank_problem(spec: LayerSpec, label: str, given: str, rank: int) -> str | None:
    want = spec.input_rank
    if want is None and spec.min_input_rank is not None and rank < spec.min_input_rank:
        want = spec.min_input_rank
    if want is None or rank == want:
        return None
    axes = f" ({', '.join(spec.axes)})" if spec.axes else ""
    message = f"{label} expects a {want}-D input{axes} but would receive {given}."
    return f"{message} {rank_fix(spec, rank, want)}"


def _agree(a: Shape, b: Shape) -> bool:
    """Same per-sample shape, up to Keras's broadcasting of size-1 (and unknown) axes."""
    a, b = a[1:], b[1:]
    if len(a) != len(b):
        return False
    return all(x == y or x in (1, None) or y in (1, None) for x, y in zip(a, b, strict=True))
