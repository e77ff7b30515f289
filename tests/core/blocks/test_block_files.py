"""Blocks in the project file: definitions plus uses, old files unchanged, damage located."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from nnstudio.core.graph import FormatError, graph_from_json
from nnstudio.core.graph.block_commands import GroupNodes, SetRepeat
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.project import Project, ProjectError

ROOT = Path(__file__).resolve().parents[3]


def blocked_graph():
    b = GraphBuilder()
    x = b.add("Input", shape=(8,))
    a = b.add("Dense", x, units=8, activation="relu", name="a")
    s = b.add("Add", [a, x], name="s")
    b.output(b.add("Dense", s, units=2, name="head"))
    g = b.graph
    cmd = GroupNodes(g, [a, s], "res", "residual", shapes={})
    cmd.redo()
    SetRepeat(g, cmd.use_id, 2).redo()
    return g, cmd.use_id


def test_blocks_survive_save_and_load(tmp_path):
    g, use = blocked_graph()
    path = tmp_path / "b.nnstudio"
    Project(graph=g, name="B").save(path)
    raw = json.loads(path.read_text())
    assert set(raw["graph"]["blocks"]) == {"res"}
    assert raw["graph"]["blocks"]["res"]["description"] == "residual"
    again = Project.load(path)
    assert again.graph.to_json() == g.to_json()
    assert again.graph.nodes[use].params == {"definition": "res", "repeat": 2}
    assert again.graph.nodes[use].spec.inputs == g.nodes[use].spec.inputs


def test_files_without_blocks_are_written_as_before():
    for path in sorted((ROOT / "resources/templates").glob("*.nnstudio"))[:3]:
        raw = json.loads(path.read_text(encoding="utf-8"))
        g = graph_from_json(raw["graph"])
        out = g.to_json()
        assert "blocks" not in out
        assert all("from_port" not in e for e in out["edges"])
        assert all("port" not in o for o in out["outputs"])


def _damage(data, where, value):
    doc = copy.deepcopy(data)
    target = doc
    for key in where[:-1]:
        target = target[key]
    if value is KeyError:
        del target[where[-1]]
    else:
        target[where[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("where", "value", "located"),
    [
        (("nodes", 1, "params", "definition"), "nope", "graph.nodes[1].params.definition"),
        (("nodes", 1, "params", "repeat"), 0, "graph.nodes[1].params.repeat"),
        (("nodes", 1, "params", "units"), 3, "graph.nodes[1].params.units"),
        (("edges", 0, "port"), "zz", "graph.edges[0].port"),
        (("edges", 1, "from_port"), "zz", "graph.edges[1].from_port"),
        (("blocks", "res"), [], "graph.blocks.res"),
        (("blocks", "res", "graph", "nodes"), {}, "graph.blocks.res.graph.nodes"),
        (("blocks", "res", "graph", "blocks"), {}, "graph.blocks.res.graph.blocks"),
        (("blocks", "res", "description"), 5, "graph.blocks.res.description"),
        (("blocks",), [], "graph.blocks"),
    ],
)
def test_damaged_block_data_is_one_located_error(where, value, located):
    g, _ = blocked_graph()
    data = _damage(g.to_json(), where, value)
    with pytest.raises(FormatError) as info:
        graph_from_json(data)
    assert info.value.where == located


def test_a_definition_that_contains_itself_is_refused(tmp_path):
    g, use = blocked_graph()
    data = g.to_json()
    inner = data["blocks"]["res"]["graph"]
    inner["nodes"].append(
        {"id": "loop", "type": "Block", "name": "again", "params": {"definition": "res"}}
    )
    with pytest.raises(FormatError, match="block definitions loop: res → res"):
        graph_from_json(data)
    path = tmp_path / "loop.nnstudio"
    doc = Project(graph=g).to_json()
    doc["graph"] = data
    path.write_text(json.dumps(doc))
    with pytest.raises(ProjectError, match="loop.nnstudio: graph.blocks.res"):
        Project.load(path)


def test_mutated_block_files_load_or_give_a_library_error(tmp_path):
    """A seeded mutator over a built-in block file: every case loads, or raises LibraryError
    naming the file; nothing else escapes."""
    import random

    from nnstudio.core import block_library as lib
    from nnstudio.core.graph import Graph, GraphError
    from nnstudio.core.graph.validation import check_structure

    source = json.loads((ROOT / "resources/blocks/unet_up_step.nnblock").read_text())
    odd = [None, True, -1, 10**400, 1e308, "", "x" * 3000, [], {}, [None] * 70, {"": 1}]
    rng = random.Random(20261202)

    def paths(value, here=()):
        out = [here]
        if isinstance(value, dict):
            for k, v in value.items():
                out += paths(v, (*here, k))
        elif isinstance(value, list):
            for i, v in enumerate(value[:12]):
                out += paths(v, (*here, i))
        return out

    failures = []
    for case in range(300):
        doc = copy.deepcopy(source)
        where = rng.choice(paths(doc)[1:])
        target = doc
        for key in where[:-1]:
            target = target[key]
        if rng.random() < 0.2 and isinstance(target, dict):
            target.pop(where[-1], None)
        else:
            target[where[-1]] = rng.choice(odd)
        path = tmp_path / f"case{case}.nnblock"
        path.write_text(json.dumps(doc))
        try:
            block = lib.load_block(path)
            g = Graph()
            lib.place_command(g, block, (0.0, 0.0)).redo()  # placed and checked, no Keras
            check_structure(g)
        except (lib.LibraryError, GraphError) as exc:
            if isinstance(exc, lib.LibraryError) and path.name not in str(exc):
                failures.append((case, str(exc)))
        except Exception as exc:  # noqa: BLE001 - the point of the test
            failures.append((case, repr(exc)))
    assert not failures, failures[:5]
