"""The command line: validate and summary, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nnstudio.cli import main
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.project import Project

TEMPLATES = Path(__file__).resolve().parents[2] / "resources" / "templates"


def _broken_project(tmp_path: Path) -> Path:
    b = GraphBuilder()
    x = b.add("Input", shape=(64,))
    d = b.add("Dense", x, name="dense_2")
    c = b.add("Conv2D", d, name="conv_1")
    b.output(c)
    return Project(graph=b.graph, name="Broken").save(tmp_path / "broken.nnstudio")


def test_validate_ok_and_errors(tmp_path, capsys) -> None:
    assert main(["validate", str(TEMPLATES / "small_cnn.nnstudio")]) == 0
    assert "valid — 0 error(s)" in capsys.readouterr().out
    assert main(["validate", str(_broken_project(tmp_path))]) == 1
    out = capsys.readouterr().out
    assert 'error: conv_1: Conv 2D "conv_1" expects a 4-D input' in out
    assert "Hint: Insert a Reshape" in out


def test_validate_json(tmp_path, capsys) -> None:
    assert main(["validate", "--json", str(_broken_project(tmp_path))]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False and data["errors"] == 1
    assert data["issues"][0]["node_name"] == "conv_1"


def test_summary_text_and_json(capsys) -> None:
    path = str(TEMPLATES / "residual_cnn.nnstudio")
    assert main(["summary", path]) == 0
    out = capsys.readouterr().out
    assert "block1_add" in out and "Total params: 38,026" in out
    assert main(["summary", "--json", path]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total_params"] == 38026
    first = data["layers"][0]
    assert first == {
        **first,
        "name": "image",
        "type": "Input",
        "output_shape": [None, 28, 28, 1],
        "params": 0,
    }
    assert sum(layer["params"] for layer in data["layers"]) == 38026


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "missing.nnstudio"],
        ["summary"],
        ["validate", "--bogus", "x"],
        ["frobnicate", "--x"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, capsys) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("nnstudio: error:") and "\n" not in err


def test_unreadable_project_is_one_line(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.nnstudio"
    bad.write_text("{ not json")
    assert main(["summary", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert "bad.nnstudio: line 1" in err and "\n" not in err


def test_info_lists_layers(capsys) -> None:
    assert main(["info", "--layers", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"Dense", "LSTM", "MultiHeadAttention"} <= {d["key"] for d in data["layers"]}


def test_no_arguments_or_a_project_path_open_the_app(monkeypatch) -> None:
    import nnstudio.cli as cli

    opened: list[list[str]] = []
    monkeypatch.setattr(cli, "_run_gui", lambda args: opened.append(args) or 0)
    assert main([]) == 0
    assert main(["my.nnstudio"]) == 0
    assert main(["frobnicate"]) == 2  # an unknown word is an unknown command, not a file
    assert opened == [[], ["my.nnstudio"]]
