"""Automatic layered layout: edges flow one way, nodes never overlap, skips get lanes."""

from __future__ import annotations

import pytest
from interop_helpers import resnet50_graph

from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import History
from nnstudio.core.layout import NODE_H, NODE_W, layered_layout, layout_command


@pytest.fixture(scope="module")
def resnet():
    return resnet50_graph()


def _box(pos, direction):
    x, y = pos
    return (x, y, x + NODE_W, y + NODE_H)


def _segment_hits_box(p, q, box, steps: int = 64) -> bool:
    """Whether the segment p-q passes through the inside of ``box`` (sampled finely)."""
    x0, y0, x1, y1 = box
    for i in range(1, steps):
        t = i / steps
        x, y = p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t
        if x0 + 1 < x < x1 - 1 and y0 + 1 < y < y1 - 1:
            return True
    return False


def _anchors(graph, pos, direction):
    for e in graph.edges:
        (sx, sy), (dx, dy) = pos[e.src], pos[e.dst]
        if direction == "LR":
            yield e, (sx + NODE_W, sy + NODE_H / 2), (dx, dy + NODE_H / 2)
        else:
            yield e, (sx + NODE_W / 2, sy + NODE_H), (dx + NODE_W / 2, dy)


@pytest.mark.parametrize("direction", ["LR", "TB"])
def test_resnet50_layout_flows_one_way_without_overlaps(resnet, direction) -> None:
    assert len(resnet.nodes) == 177
    pos = layered_layout(resnet, direction)
    assert set(pos) == set(resnet.nodes)
    main = 0 if direction == "LR" else 1
    for e in resnet.edges:
        assert pos[e.dst][main] > pos[e.src][main]  # every edge points forward
    boxes = [_box(p, direction) for p in pos.values()]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
            assert not overlap


def test_resnet50_skip_connections_run_in_their_own_lane(resnet) -> None:
    pos = layered_layout(resnet, "LR")
    boxes = {nid: _box(p, "LR") for nid, p in pos.items()}
    for edge, p, q in _anchors(resnet, pos, "LR"):
        hits = [
            nid
            for nid, box in boxes.items()
            if nid not in (edge.src, edge.dst) and _segment_hits_box(p, q, box)
        ]
        assert hits == [], f"edge {edge} is drawn through {hits}"
    # The identity shortcut and the block output share a row: the spine is straight.
    adds = [n for n in resnet.nodes.values() if n.key == "Add"]
    straight = sum(
        1 for add in adds if any(pos[e.src][1] == pos[add.id][1] for e in resnet.in_edges(add.id))
    )
    assert straight == len(adds)


def test_layout_is_deterministic_and_survives_a_copy(resnet) -> None:
    assert layered_layout(resnet) == layered_layout(resnet.copy())


def test_a_late_input_sits_next_to_its_consumer() -> None:
    b = GraphBuilder()
    x = b.add("Input", name="main", shape=(8,))
    h = b.add("Dense", x, units=8)
    h = b.add("Dense", h, units=8)
    side = b.add("Input", name="side", shape=(8,))
    y = b.add("Concatenate", [h, side])
    b.output(y)
    pos = layered_layout(b.graph)
    assert pos[side][0] == pos[h][0]  # same column as the other input of the merge
    assert pos[side][1] != pos[h][1]


def test_arrange_is_one_undoable_command(resnet) -> None:
    graph = resnet.copy()
    before = {nid: n.pos for nid, n in graph.nodes.items()}
    history = History()
    cmd = history.push(layout_command(graph, "TB"))
    assert cmd.text == "Arrange"
    assert {nid: n.pos for nid, n in graph.nodes.items()} == layered_layout(graph, "TB")
    history.undo()
    assert {nid: n.pos for nid, n in graph.nodes.items()} == before


def test_graphs_with_cycles_and_loose_nodes_still_lay_out() -> None:
    b = GraphBuilder()
    x = b.add("Input", shape=(4,))
    a = b.add("Dense", x, units=4)
    c = b.add("Dense", a, units=4)
    b.graph.edges.append(type(b.graph.edges[0])(c, a, "in"))  # a cycle, as a broken file has
    loose = b.add("Dense", units=2)
    pos = layered_layout(b.graph)
    assert set(pos) == {x, a, c, loose}
    assert len(set(pos.values())) == 4
