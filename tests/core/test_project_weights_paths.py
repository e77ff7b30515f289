"""A backbone's weights file is stored like the data paths: relative to the project file
where it lies beside, below or in a sibling folder (so a project folder moves with its
weights), absolute elsewhere; read back as an absolute path.  Block definitions too."""

from __future__ import annotations

import json

from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.project import Project
from nnstudio.core.project_paths import graph_paths


def _project(weights: str) -> Project:
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(28, 28, 1))
    h = b.add("PretrainedBackbone", x, name="backbone", alpha=0.35, input_size=32)
    b.graph.nodes[b.graph.node_by_name("backbone").id].params["weights_file"] = weights
    y = b.add("Dense", h, name="digit", units=10, activation="softmax")
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    return Project(graph=b.graph)


def _stored(path) -> str:
    raw = json.loads(path.read_text(encoding="utf-8"))
    (node,) = [n for n in raw["graph"]["nodes"] if n["name"] == "backbone"]
    return node["params"]["weights_file"]


def test_weights_in_a_sibling_folder_are_stored_relative_and_read_back_absolute(tmp_path):
    folder, weights = tmp_path / "project", tmp_path / "weights" / "m.weights.h5"
    folder.mkdir()
    _project(str(weights)).save(folder / "p.nnstudio")
    assert _stored(folder / "p.nnstudio") == "../weights/m.weights.h5"
    loaded = Project.load(folder / "p.nnstudio")
    assert loaded.graph.node_by_name("backbone").params["weights_file"] == str(weights)
    # the folders moved together: the weights are found in their new place
    moved = tmp_path / "moved"
    (moved / "project").mkdir(parents=True)
    (moved / "project" / "p.nnstudio").write_bytes((folder / "p.nnstudio").read_bytes())
    again = Project.load(moved / "project" / "p.nnstudio")
    assert again.graph.node_by_name("backbone").params["weights_file"] == str(
        moved / "weights" / "m.weights.h5"
    )


def test_weights_far_away_stay_absolute_and_no_weights_stay_empty(tmp_path):
    far = tmp_path / "a" / "b" / "m.weights.h5"
    (tmp_path / "x" / "y").mkdir(parents=True)
    _project(str(far)).save(tmp_path / "x" / "y" / "p.nnstudio")
    assert _stored(tmp_path / "x" / "y" / "p.nnstudio") == str(far)
    _project("").save(tmp_path / "q.nnstudio")
    assert _stored(tmp_path / "q.nnstudio") == ""
    assert Project.load(tmp_path / "q.nnstudio").graph.node_by_name("backbone").params[
        "weights_file"
    ] in ("", None)


def test_block_definitions_and_damaged_entries(tmp_path):
    graph = {
        "nodes": [{"name": "b", "params": {"weights_file": "w.h5"}}, "junk", {"params": 3}],
        "blocks": {
            "stem": {"graph": {"nodes": [{"params": {"weights_file": "../w/x.h5"}}]}},
            "broken": 7,
        },
    }
    out = graph_paths(graph, tmp_path / "p", stored=False)
    assert out["nodes"][0]["params"]["weights_file"] == str(tmp_path / "p" / "w.h5")
    assert out["nodes"][1:] == ["junk", {"params": 3}]  # left for the reader to report
    inner = out["blocks"]["stem"]["graph"]["nodes"][0]["params"]["weights_file"]
    assert inner == str(tmp_path / "w" / "x.h5")
    assert out["blocks"]["broken"] == 7
    assert graph["nodes"][0]["params"]["weights_file"] == "w.h5"  # the input is not changed
    back = graph_paths(out, tmp_path / "p", stored=True)
    assert back["nodes"][0]["params"]["weights_file"] == "w.h5"
    assert back["blocks"]["stem"]["graph"]["nodes"][0]["params"]["weights_file"] == "../w/x.h5"
