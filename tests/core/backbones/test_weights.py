"""A backbone's weights come from a local file: saved from a model built here, loaded through
the node, the outputs are identical; damaged, mismatched and cached files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core import catalog
from nnstudio.core.backbones.architectures import get, stages
from nnstudio.core.backbones.weights import WeightsError, resolve
from nnstudio.core.compiler import build_model
from nnstudio.core.graph import GraphChecker
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.validation import check_structure

SMALL = {"architecture": "MobileNetV2", "alpha": 0.35, "input_size": 32}


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Path, object, np.ndarray]:
    """A MobileNetV2 (alpha 0.35, 32x32) built here, its weights file and its outputs."""
    import keras

    keras.utils.set_random_seed(1)
    app = keras.applications.MobileNetV2(
        alpha=0.35, input_shape=(32, 32, 3), include_top=False, weights=None, pooling="avg"
    )
    for layer in app.layers:  # non-trivial BatchNormalization statistics
        if type(layer).__name__ == "BatchNormalization":
            mean, var = layer.moving_mean, layer.moving_variance
            mean.assign(np.random.default_rng(0).normal(0, 0.1, mean.shape).astype("float32"))
            var.assign(np.random.default_rng(1).uniform(0.5, 2, var.shape).astype("float32"))
    path = tmp_path_factory.mktemp("weights") / "mnv2.weights.h5"
    app.save_weights(path)
    x = np.random.default_rng(2).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    return path, app, np.asarray(app.predict(x, verbose=0)), x


def _graph(**params):
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(32, 32, 3))
    h = b.add("PretrainedBackbone", x, name="backbone", **{**SMALL, **params})
    b.output(h, "mse", [])
    return b.graph, h


def test_weights_loaded_through_the_node_give_identical_outputs(saved) -> None:
    path, _, expected, x = saved
    graph, node = _graph(input_range="0..255", preprocess=False, weights_file=str(path))
    result = GraphChecker().check(graph)
    assert result.issues == []  # no random-initialisation warning: it has weights
    model = build_model(graph)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=0, atol=1e-6)
    # the node's own layer reads back to the same parameters
    spec = catalog.get("PretrainedBackbone")
    values, _ = spec.validate_params(graph.nodes[node].params)
    read = spec.read_keras(model.get_layer("backbone").get_config())
    assert {k: read[k] for k in SMALL} == SMALL
    assert read["input_range"] == "0..255" and read["preprocess"] is False
    assert read["trainable"] == values["trainable"] == "frozen"
    assert result.shapes[node].params == model.count_params()
    assert result.shapes[node].trainable == 0


def test_a_mismatched_file_is_one_located_error(saved) -> None:
    path, *_ = saved
    graph, _ = _graph(alpha=0.5, weights_file=str(path))
    with pytest.raises(WeightsError, match=r'backbone "backbone": the weights in mnv2\.weights'):
        build_model(graph)


@pytest.mark.parametrize(
    "content, name, expected",
    [
        (b"not hdf5 at all", "bad.weights.h5", "is not an HDF5 weights file"),
        (b"\x89HDF\r\n\x1a\n", "model.keras", "is not a weights file"),
        (None, "missing.h5", "does not exist"),
    ],
)
def test_an_unusable_file_is_an_error_on_the_node(tmp_path, content, name, expected) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    graph, node = _graph(weights_file=str(path))
    issues = [i for i in check_structure(graph) if i.node == node]
    assert [i.severity for i in issues] == ["error"]
    assert expected in issues[0].message and issues[0].message.startswith('"backbone"')


def test_random_initialisation_warns_and_the_cache_is_found(tmp_path, monkeypatch, saved) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    graph, node = _graph()
    issues = [i for i in check_structure(graph) if i.node == node]
    assert [i.severity for i in issues] == ["warning"]
    assert "randomly initialised" in issues[0].message
    models = tmp_path / "models"
    models.mkdir()
    standard = models / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_32_no_top.h5"
    shutil.copy(saved[0], standard)
    params, _ = catalog.get("PretrainedBackbone").validate_params(graph.nodes[node].params)
    assert resolve(params) == standard
    assert [i for i in check_structure(graph) if i.node == node] == []
    none = dict(graph.nodes[node].params, weights="none")
    graph.nodes[node].params.update(none)
    assert "weights = none" in check_structure(graph)[-1].message


def test_stages_follow_the_layer_names() -> None:
    names = ["input", "conv1_pad", "conv1_conv", "pool1", "conv2_block1_1_conv", "conv4_block1"]
    assert stages(get("ResNet50"), names) == [0, 1, 1, 1, 2, 4]
    mnv2 = ["input", "Conv1", "expanded_conv_depthwise", "block_1_expand", "block_12_add", "out"]
    assert stages(get("MobileNetV2"), mnv2) == [0, 0, 0, 1, 12, 12]
    assert get("EfficientNetB0").stage_of("block5a_expand_conv") == 5
    assert get("ConvNeXtTiny").stage_of("convnext_tiny_stage_2_block_0_depthwise_conv") == 3


def test_an_input_size_below_the_minimum_is_located() -> None:
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(28, 28, 1))
    h = b.add("PretrainedBackbone", x, name="backbone", architecture="InceptionV3", input_size=64)
    b.output(h)
    errors = GraphChecker().check(b.graph).errors
    assert [e.node for e in errors] == [h]
    assert "InceptionV3 needs an input size of at least 75 pixels; got 64" in errors[0].message
