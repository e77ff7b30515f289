"""Importing Keras models: graphs, names, outputs, weights, reports and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from interop_helpers import max_diff, small_cnn, tiny_functional, tiny_inputs

from nnstudio.cli import main
from nnstudio.core.compiler import build_model
from nnstudio.core.interop import (
    ModelImportError,
    UnsupportedModelError,
    apply_weights,
    import_config,
    import_keras_model,
    import_model,
    import_model_file,
    save_weights,
    weights_path_for,
)
from nnstudio.core.project import Project


@pytest.fixture(scope="module")
def tiny():
    return tiny_functional()


@pytest.fixture(scope="module")
def tiny_files(tiny, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tiny")
    paths = {"keras": folder / "tiny.keras", "h5": folder / "tiny.h5"}
    for path in paths.values():
        tiny.save(path)
    return paths


def _by_name(graph):
    return {n.name: n for n in graph.nodes.values()}


def test_graph_flattens_nested_models_with_unique_names(tiny_files) -> None:
    result = import_model_file(tiny_files["keras"])
    graph = result.graph
    nodes = _by_name(graph)
    # One node per layer; the nested models' inputs disappear into the outer tensors.
    assert sorted(nodes) == sorted(
        ["x", "q", "sub_dense", "seq_dense", "re_lu", "concatenate", "mha", "bi", "cat2", "dense"]
    )
    assert nodes["dense"].params["units"] == 2  # the outer layer keeps its own name
    assert result.origin["sub_dense"] == ("sub", "dense")
    assert result.origin["seq_dense"] == ("seq", "dense")
    edges = {(graph.nodes[e.src].name, graph.nodes[e.dst].name, e.port) for e in graph.edges}
    assert ("x", "sub_dense", "in") in edges and ("x", "seq_dense", "in") in edges
    assert ("q", "mha", "query") in edges and ("q", "mha", "value") in edges
    merge = [graph.nodes[e.src].name for e in graph.in_edges(nodes["concatenate"].id)]
    assert merge == ["sub_dense", "re_lu"]  # merge inputs keep their order
    assert nodes["bi"].key == "LSTM" and nodes["bi"].params["bidirectional"] is True


@pytest.mark.parametrize("kind", ["keras", "h5"])
def test_outputs_take_losses_and_metrics_from_the_compile_config(tiny_files, kind) -> None:
    graph = import_model_file(tiny_files[kind], weights=False).graph
    decls = [(graph.nodes[o.node].name, o.loss, o.metrics) for o in graph.outputs]
    assert decls == [("dense", "categorical_crossentropy", ["accuracy"]), ("bi", "mae", ["mse"])]


@pytest.mark.parametrize("kind", ["keras", "h5"])
def test_imported_weights_reproduce_the_predictions(tiny, tiny_files, kind) -> None:
    result = import_model_file(tiny_files[kind])
    assert set(result.weights) == {"sub_dense", "seq_dense", "mha", "bi", "dense"}
    model = build_model(result.graph)
    assert apply_weights(model, result.weights) == 5
    batch = tiny_inputs()
    assert max_diff(model.predict(batch, verbose=0), tiny.predict(batch, verbose=0)) < 1e-5


def test_without_weights_the_layers_are_fresh(tiny_files) -> None:
    result = import_model_file(tiny_files["h5"], weights=False)
    assert result.weights == {}
    assert len(result.graph.nodes) == 10


def test_model_objects_import_with_their_weights(tiny) -> None:
    result = import_model(tiny)
    model = build_model(result.graph)
    apply_weights(model, result.weights)
    batch = tiny_inputs(5)
    assert max_diff(model.predict(batch, verbose=0), tiny.predict(batch, verbose=0)) < 1e-5
    assert result.project.name == "outer"


def test_sequential_models_get_an_input_node() -> None:
    import keras

    with_input = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, name="d")])
    built = keras.Sequential([keras.layers.Dense(4, name="a"), keras.layers.Dense(2, name="b")])
    built.build((None, 7))
    for model, shape in ((with_input, (5,)), (built, (7,))):
        graph = import_keras_model(model).graph
        first = next(iter(graph.nodes.values()))
        assert first.key == "Input" and first.params["shape"] == shape
        assert len(graph.edges) == len(graph.nodes) - 1
    unbuilt = keras.Sequential([keras.layers.Dense(3)])
    with pytest.raises(UnsupportedModelError, match="has no input shape"):
        import_keras_model(unbuilt)


def test_subclassed_models_are_refused_with_the_reason() -> None:
    import keras

    class Custom(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ModelImportError) as info:
        import_keras_model(Custom())
    assert type(info.value) is ModelImportError
    assert str(info.value) == (
        "Custom is a subclassed model: it has no layer graph to import "
        "(only functional and Sequential models do)"
    )
    with pytest.raises(ModelImportError, match=r"^not a Keras model: dict$"):
        import_keras_model({"layers": []})


def test_keras_operations_become_equivalent_layers() -> None:
    import keras

    x = keras.Input((4,), name="x")
    h = keras.layers.Dense(4, name="d")(x)
    y = (h + 3.0) * (1.0 / 6.0) * h - 1.5
    model = keras.Model(x, y)
    result = import_keras_model(model)
    keys = sorted(n.key for n in result.graph.nodes.values())
    assert keys == ["Dense", "Input", "Multiply", "Rescaling", "Rescaling", "Rescaling"]
    rebuilt = build_model(result.graph)
    apply_weights(rebuilt, result.weights)
    batch = np.random.default_rng(0).normal(size=(4, 4)).astype("float32")
    assert max_diff(rebuilt.predict(batch, verbose=0), model.predict(batch, verbose=0)) < 1e-6


def test_keras2_legacy_config_is_read() -> None:
    config = {
        "class_name": "Model",
        "config": {
            "name": "legacy",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "in",
                    "config": {
                        "batch_input_shape": [None, 6],
                        "dtype": "float32",
                        "name": "in",
                        "sparse": False,
                        "ragged": False,
                    },
                    "inbound_nodes": [],
                },
                {
                    "class_name": "Dense",
                    "name": "a",
                    "config": {
                        "name": "a",
                        "units": 6,
                        "activation": "relu",
                        "use_bias": True,
                        "kernel_initializer": {
                            "class_name": "GlorotUniform",
                            "config": {"seed": None},
                        },
                        "bias_initializer": {"class_name": "Zeros", "config": {}},
                        "trainable": True,
                        "dtype": "float32",
                    },
                    "inbound_nodes": [[["in", 0, 0, {}]]],
                },
                {
                    "class_name": "Add",
                    "name": "add",
                    "config": {"name": "add"},
                    "inbound_nodes": [[["in", 0, 0, {}], ["a", 0, 0, {}]]],
                },
            ],
            "input_layers": [["in", 0, 0]],
            "output_layers": [["add", 0, 0]],
        },
    }
    result = import_config(config)
    graph = result.graph
    nodes = _by_name(graph)
    assert nodes["in"].params["shape"] == (6,)
    assert nodes["a"].params["activation"] == "relu"
    assert [graph.nodes[e.src].name for e in graph.in_edges(nodes["add"].id)] == ["in", "a"]
    assert result.warnings == [
        "output 'add': no usable loss is configured; mse was chosen "
        "from its activation (change it in the output settings)"
    ]


def test_training_only_settings_are_reported_once_per_setting() -> None:
    import keras
    from keras import layers

    x = keras.Input((4,), name="x")
    h = x
    for i in range(4):
        h = layers.Dense(
            4,
            kernel_initializer=keras.initializers.VarianceScaling(2.0),
            kernel_regularizer="l2",
            name=f"d{i}",
        )(h)
    model = keras.Model(x, h)
    model.get_layer("d0").trainable = False
    warnings = import_keras_model(model).warnings
    init = [w for w in warnings if w.startswith("kernel_initializer=VarianceScaling")]
    assert len(init) == 1 and "on 4 layer(s) (d0, d1, d2 and 1 more)" in init[0]
    assert any(w.startswith("kernel_regularizer=L2(") for w in warnings)
    assert any(w.startswith("trainable=false on 1 layer(s) (d0)") for w in warnings)


def test_weights_file_round_trip(tiny, tmp_path) -> None:
    result = import_model(tiny)
    path = save_weights(result.graph, result.weights, tmp_path / "tiny.weights.h5")
    model = build_model(result.graph)
    model.load_weights(path)
    batch = tiny_inputs(2)
    assert max_diff(model.predict(batch, verbose=0), tiny.predict(batch, verbose=0)) < 1e-5
    assert weights_path_for(tmp_path / "p.nnstudio") == tmp_path / "p.weights.h5"
    with pytest.raises(ValueError, match="must end in .weights.h5"):
        save_weights(result.graph, result.weights, tmp_path / "w.h5")


# -- CLI ---------------------------------------------------------------------------------


def test_cli_import_writes_project_and_weights(tmp_path, capsys) -> None:
    source = small_cnn()
    model_path = tmp_path / "cnn.keras"
    source.save(model_path)
    target = tmp_path / "out" / "cnn.nnstudio"
    target.parent.mkdir()
    assert main(["import", str(model_path), "-o", str(target.with_suffix(""))]) == 0
    captured = capsys.readouterr()
    assert f"Imported 7 layers from cnn.keras into {target}" in captured.out
    assert "Weights of 3 layers saved to" in captured.out
    assert "no usable loss" in captured.err  # the report's warnings go to stderr
    project = Project.load(target)
    model = build_model(project.graph)
    model.load_weights(tmp_path / "out" / "cnn.weights.h5")
    batch = np.random.default_rng(0).normal(size=(2, 12, 12, 3)).astype("float32")
    assert max_diff(model.predict(batch, verbose=0), source.predict(batch, verbose=0)) < 1e-5
    positions = [n.pos for n in project.graph.nodes.values()]
    assert len(set(positions)) == len(positions)  # laid out, not stacked at the origin
    # An existing project is not overwritten without --force.
    before = target.read_bytes()
    assert main(["import", str(model_path), "-o", str(target)]) == 2
    assert "exists; use --force" in capsys.readouterr().err
    assert target.read_bytes() == before
    assert (
        main(
            [
                "import",
                str(model_path),
                "-o",
                str(target),
                "--force",
                "--no-weights",
                "--direction",
                "TB",
            ]
        )
        == 0
    )
    assert "No weights were imported" in capsys.readouterr().out


def test_cli_import_lists_the_problems_of_a_refused_model(tmp_path, capsys) -> None:
    import keras

    x = keras.Input((3,), name="x")
    keras.Model(x, keras.layers.PReLU(name="prelu")(x)).save(tmp_path / "p.keras")
    assert main(["import", str(tmp_path / "p.keras"), "-o", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "- layer 'prelu' (PReLU): Keras layer not in NN Studio's catalog" in err
    assert "nnstudio: error: p.keras uses Keras classes NN Studio does not support" in err
    assert not (tmp_path / "p.nnstudio").exists()


def test_imported_project_file_is_plain_json(tiny_files, tmp_path) -> None:
    result = import_model_file(tiny_files["keras"], weights=False)
    path = result.project.save(tmp_path / "t.nnstudio")
    data = json.loads(path.read_text())
    assert data["name"] == "outer"
    assert data["description"].startswith("Imported from tiny.keras (saved by Keras 3.")
    assert Project.load(path).graph.to_json() == result.graph.to_json()


def test_compile_config_names_are_read_never_deserialized() -> None:
    config = json.loads(small_cnn().to_json())
    config["compile_config"] = {
        "optimizer": {"module": "evil", "class_name": "Pwn", "config": {}},
        "loss": {
            "module": "keras.losses",
            "class_name": "CategoricalCrossentropy",
            "config": {"from_logits": True},
        },
        "metrics": [["accuracy", {"module": "evil", "class_name": "Steal"}, "no_such_metric"]],
    }
    result = import_config(config)
    decl = result.graph.outputs[0]
    assert decl.loss == "categorical_crossentropy"
    assert decl.metrics == ["accuracy"]
    assert any("from_logits=True, which is not kept" in w for w in result.warnings)
    assert sum("was not kept" in w for w in result.warnings) == 2  # the two bad metrics
