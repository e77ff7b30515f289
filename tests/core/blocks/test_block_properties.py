"""Seeded random graphs: grouping any selection that forms a block keeps the flat graph the
same (every edge, in order), undo restores it exactly, and ungroup gives it back."""

from __future__ import annotations

import json
import random

from nnstudio.core.graph import GraphError
from nnstudio.core.graph.block_commands import GroupNodes, SetRepeat, Ungroup
from nnstudio.core.graph.blocks import flatten
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import History

CASES = 150


def _random_graph(rng: random.Random):
    b = GraphBuilder()
    ids = [b.add("Input", shape=(4,), name="x")]
    for i in range(rng.randint(2, 9)):
        if len(ids) > 2 and rng.random() < 0.3:
            a, c = rng.sample(ids, 2)
            ids.append(b.add("Add", [a, c], name=f"add{i}"))
        else:
            ids.append(b.add("Dense", rng.choice(ids), units=4, name=f"d{i}"))
    b.output(ids[-1])
    return b.graph, ids


def _edges_by_name(graph, names_of):
    return [(names_of(e.src), names_of(e.dst), e.port) for e in graph.edges]


def _flat_edges(flat, original):
    """The flat graph's edges, named by the original names of their nodes."""
    return _edges_by_name(flat.graph, lambda fid: original[flat.origin[fid].inner])


def test_grouping_keeps_the_flat_graph():
    rng = random.Random(17)
    grouped = 0
    for case in range(CASES):
        g, ids = _random_graph(rng)
        before = json.dumps(g.to_json(), sort_keys=True)
        original = {nid: g.nodes[nid].name for nid in ids}
        want = _edges_by_name(g, original.get)
        pick = rng.sample(ids[1:], rng.randint(1, len(ids) - 1))
        h = History()
        try:
            cmd = GroupNodes(g, pick, "blk", shapes={})
        except GraphError:
            continue
        grouped += 1
        h.push(cmd)
        flat = flatten(g)
        assert not flat.issues, (case, flat.issues)
        got = _flat_edges(flat, original)
        assert sorted(got) == sorted(want), case
        # merges keep their input order
        for dst in {d for _, d, _ in want}:
            assert [e for e in got if e[1] == dst] == [e for e in want if e[1] == dst], case
        if rng.random() < 0.5:
            h.push(Ungroup(g, cmd.use_id))
            assert not g.blocks
            renamed = {n.name: n.name for n in g.nodes.values()}
            assert len(g.edges) == len(want), case
            assert set(renamed) == {f"blk_{original[i]}" if i in pick else original[i] for i in ids}
        while h.undo():
            pass
        assert json.dumps(g.to_json(), sort_keys=True) == before, case
    assert grouped > CASES // 3


def test_repeat_one_equals_the_plain_block_and_n_copies_have_n_times_the_layers():
    rng = random.Random(5)
    repeated = 0
    for _ in range(40):
        g, ids = _random_graph(rng)
        try:
            cmd = GroupNodes(g, ids[1:-1], "blk", shapes={})
        except GraphError:
            continue
        cmd.redo()
        d = g.blocks["blk"]
        if len(d.input_ports()) != len(d.output_ports()):
            continue
        inner = sum(1 for n in d.graph.nodes.values() if n.key != "Input")
        n = rng.randint(2, 5)
        SetRepeat(g, cmd.use_id, n).redo()
        flat = flatten(g)
        assert not flat.issues
        assert len(flat.members[cmd.use_id]) == n * inner
        assert len({node.name for node in flat.graph.nodes.values()}) == len(flat.graph.nodes)
        repeated += 1
    assert repeated >= 5


def test_nested_grouping_keeps_the_flat_graph():
    rng = random.Random(99)
    nested = 0
    for case in range(CASES):
        g, ids = _random_graph(rng)
        original = {nid: g.nodes[nid].name for nid in ids}
        want = sorted(_edges_by_name(g, original.get))
        try:
            first = GroupNodes(g, rng.sample(ids[1:], rng.randint(1, len(ids) - 1)), "a", shapes={})
            first.redo()
            rest = [nid for nid in g.nodes if nid != ids[0]]
            GroupNodes(g, rng.sample(rest, rng.randint(1, len(rest))), "b", shapes={}).redo()
        except GraphError:
            continue
        if not any(n.is_block for n in g.blocks.get("b", g.blocks["a"]).graph.nodes.values()):
            continue
        nested += 1
        flat = flatten(g)
        assert not flat.issues, case
        got = _flat_edges(flat, original)
        assert sorted(got) == want, case
    assert nested >= 10
