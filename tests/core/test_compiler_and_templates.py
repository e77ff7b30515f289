"""Compiler (functional API, names, multi-input/output, seeds) and the shipped templates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.compiler import CompileError, build_model, compile_model
from nnstudio.core.graph import check_graph
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.project import Project
from nnstudio.core.templates import SAMPLES, TEMPLATES, build_example, build_template
from nnstudio.core.training.config import TrainingConfig

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
TEMPLATE_DIR = RESOURCES / "templates"
EXAMPLE = RESOURCES / "examples" / "digits_cnn.nnstudio"


def _two_in_two_out():
    b = GraphBuilder()
    a = b.add("Input", name="a", shape=(6,))
    c = b.add("Input", name="c", shape=(3,))
    ha = b.add("Dense", a, name="ha", units=5)
    hc = b.add("Dense", c, name="hc", units=5)
    m = b.add("Concatenate", [ha, hc], name="m")
    y1 = b.add("Dense", m, name="cls", units=3, activation="softmax")
    y2 = b.add("Dense", m, name="reg", units=1)
    b.output(y1, "sparse_categorical_crossentropy", ["accuracy"])
    b.output(y2, "mse", ["mae"], loss_weight=0.5)
    return b.graph


def test_multi_input_multi_output_model_trains_a_step() -> None:
    g = _two_in_two_out()
    model = build_model(g, seed=3)
    assert [t.name for t in model.inputs] == ["a", "c"]
    assert [layer.name for layer in model.layers] == ["a", "c", "ha", "hc", "m", "cls", "reg"]
    compile_model(model, g)
    xa, xc = np.zeros((4, 6), "float32"), np.ones((4, 3), "float32")
    ya, yc = np.array([0, 1, 2, 1]), np.zeros((4, 1), "float32")
    logs = model.fit([xa, xc], [ya, yc], epochs=1, verbose=0).history
    assert any("accuracy" in k for k in logs) and any("mae" in k for k in logs)


def test_same_seed_gives_same_weights() -> None:
    g = _two_in_two_out()
    w1 = build_model(g, seed=7).get_weights()
    w2 = build_model(g, seed=7).get_weights()
    w3 = build_model(g, seed=8).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(w1, w3, strict=True))


def test_graph_with_errors_is_not_compiled() -> None:
    b = GraphBuilder()
    x = b.add("Input", shape=(4,))
    c = b.add("Conv2D", x, name="conv")
    b.output(c)
    with pytest.raises(CompileError, match="conv: Conv 2D"):
        build_model(b.graph)


def test_bidirectional_and_attention_compile() -> None:
    b = GraphBuilder()
    x = b.add("Input", shape=(10, 4))
    r = b.add("LSTM", x, units=6, return_sequences=True, bidirectional=True)
    a = b.add("MultiHeadAttention", ports={"query": r, "value": r}, num_heads=2, key_dim=3)
    y = b.add("GlobalAveragePooling1D", a)
    b.output(y)
    model = build_model(b.graph)
    assert type(model.get_layer("lstm")).__name__ == "Bidirectional"
    assert model.output.shape == (None, 12)
    assert check_graph(b.graph).total_params == model.count_params()


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_template_validates_clean_and_compiles(key) -> None:
    project = Project.load(TEMPLATE_DIR / f"{key}.nnstudio")
    result = check_graph(project.graph)
    assert result.issues == []
    model = build_model(project.graph)
    compile_model(model, project.graph)
    assert model.count_params() == result.total_params > 0
    # The file on disk is what the template code builds (scripts/make_templates.py).
    assert project.to_json()["graph"] == build_template(key).to_json()["graph"]
    text = (TEMPLATE_DIR / f"{key}.nnstudio").read_text(encoding="utf-8")
    assert text == build_template(key, SAMPLES).dumps()


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_template_file_carries_its_sample_relative_to_itself(key) -> None:
    raw = json.loads((TEMPLATE_DIR / f"{key}.nnstudio").read_text(encoding="utf-8"))
    assert raw["data"]["path"].startswith("../samples/")  # stored relative: moves with the folder
    project = Project.load(TEMPLATE_DIR / f"{key}.nnstudio")
    resolved = Path(project.data.path)
    assert resolved.is_absolute() and resolved.exists()
    assert resolved.parent == (RESOURCES / "samples").resolve()
    assert project.training.epochs >= 1


def test_example_is_the_small_cnn_with_the_digits() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") == build_example().dumps()
    project = Project.load(EXAMPLE)
    assert project.data.kind == "images"
    assert project.data.path == str((RESOURCES / "samples" / "digits").resolve())
    assert (
        project.to_json()["graph"]["outputs"]
        == build_template("small_cnn").to_json()["graph"]["outputs"]
    )


def test_a_template_without_samples_has_no_data() -> None:
    project = build_template("mlp")
    assert project.data is None and project.training == TrainingConfig()
    elsewhere = build_template("mlp", "/data/samples")
    assert elsewhere.data.path == "/data/samples/species.csv"


def test_relative_data_paths_resolve_against_the_project_folder(tmp_path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (tmp_path / "data").mkdir()
    project = build_template("mlp", "../data")
    project.data = project.data.replace(validation_path="val.csv")
    project.save(folder / "p.nnstudio")
    loaded = Project.load(folder / "p.nnstudio")
    assert loaded.data.path == str((tmp_path / "data" / "species.csv").resolve())
    assert loaded.data.validation_path == str((folder / "val.csv").resolve())
    absolute = build_template("mlp", str(tmp_path / "abs"))
    absolute.save(folder / "q.nnstudio")
    assert Project.load(folder / "q.nnstudio").data.path == str(tmp_path / "abs" / "species.csv")


def test_new_samples_are_generated_deterministically(tmp_path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_samples", RESOURCES.parent / "scripts" / "make_samples.py"
    )
    assert spec is not None and spec.loader is not None
    make_samples = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_samples)
    make_samples.make_tokens(tmp_path, np.random.default_rng(make_samples.SEED + 4))
    make_samples.make_two_inputs(tmp_path, np.random.default_rng(make_samples.SEED + 5))
    for name in ("tokens.npz", "two_inputs.npz"):
        assert (tmp_path / name).read_bytes() == (RESOURCES / "samples" / name).read_bytes()
    with np.load(RESOURCES / "samples" / "tokens.npz", allow_pickle=False) as z:
        assert z["x"].dtype == np.int32 and z["x"].shape == (800, 32)
        assert int(z["x"].max()) < 1000  # the transformer's Embedding input_dim
        assert sorted(np.unique(z["y"]).tolist()) == [0, 1]
    with np.load(RESOURCES / "samples" / "two_inputs.npz", allow_pickle=False) as z:
        assert z["measurements"].shape == (600, 8) and z["context"].shape == (600, 4)
