"""Flattening a graph of block uses: a chain of N uses of a 2-layer residual block
(``2N + 3`` flat layers); prints the flatten time and the structural check through blocks.

    PYTHONPATH=. python benchmarks/blocks_flatten.py [N]
"""

import sys
import time

from nnstudio.core.graph.block_commands import GroupNodes, PlaceBlock
from nnstudio.core.graph.blocks import flatten
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import Connect, RemoveNodes, SetOutput
from nnstudio.core.graph.validation import check_structure


def chain(n: int):
    """Input -> n uses of the block ``res`` (Dense + Add of the input)."""
    b = GraphBuilder()
    x = b.add("Input", shape=(8,))
    a = b.add("Dense", x, units=8)
    s = b.add("Add", [a, x])
    head = b.add("Dense", s, units=2)
    b.output(head)
    g = b.graph
    cmd = GroupNodes(g, [a, s], "res", shapes={})
    cmd.redo()
    RemoveNodes(g, [head]).redo()
    port = g.blocks["res"].input_ports()[0]
    prev = cmd.use_id
    for _ in range(n - 1):
        place = PlaceBlock(g, "res", (0.0, 0.0))
        place.redo()
        Connect(g, prev, place.node_id, port).redo()
        prev = place.node_id
    SetOutput(g, prev).redo()
    return g


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2500
    g = chain(n)
    t = time.perf_counter()
    flat = flatten(g)
    t_flat = time.perf_counter() - t
    t = time.perf_counter()
    check_structure(flat.graph)
    t_plain = time.perf_counter() - t
    t = time.perf_counter()
    check_structure(g)
    t_blocks = time.perf_counter() - t
    print(
        f"{len(g.nodes)} top-level nodes, {len(flat.graph.nodes)} flat: flatten "
        f"{1000 * t_flat:.0f} ms; structural check of the flat graph {1000 * t_plain:.0f} ms; "
        f"through blocks (flatten + check + lift) {1000 * t_blocks:.0f} ms"
    )
