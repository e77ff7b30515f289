"""Imports arrive collapsed: nested sub-models and keras.applications name structure."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.compiler import build_model
from nnstudio.core.graph import check_graph
from nnstudio.core.interop import apply_weights
from nnstudio.core.interop.grouping import name_keys
from nnstudio.core.interop.keras_import import import_keras_model


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("conv2_block1_1_conv", ("conv2", "conv2_block1")),
        ("conv4_block23_out", ("conv4", "conv4_block23")),
        ("block2a_expand_conv", ("block2", "block2a")),
        ("block_3_expand_relu", ("block_3",)),
        ("block1_conv1", ("block1",)),
        ("conv1_conv", ()),
        ("predictions", ()),
        ("conv2_block1", ()),
    ],
)
def test_layer_names_give_stage_and_block(name, keys):
    assert name_keys(name) == keys


def _resnet_like():
    """A tiny model named like ResNet: a stem, two stages of blocks (one with a shortcut)."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(4)
    x = keras.Input((6,), name="input_layer")
    h = layers.Dense(6, activation="relu", name="conv1_conv")(x)
    for stage, blocks in (("conv2", 2), ("conv3", 1)):
        for i in range(1, blocks + 1):
            p = f"{stage}_block{i}_"
            short = layers.Dense(6, name=p + "0_conv")(h) if i == 1 else h
            a = layers.Dense(6, activation="relu", name=p + "1_conv")(h)
            a = layers.Dense(6, name=p + "2_conv")(a)
            h = layers.Activation("relu", name=p + "out")(layers.Add(name=p + "add")([short, a]))
    y = layers.Dense(3, activation="softmax", name="predictions")(h)
    return keras.Model(x, y, name="resnet_like")


def test_a_keras_applications_style_model_opens_as_stages_of_blocks():
    model = _resnet_like()
    result = import_keras_model(model, group=True)
    g = result.graph
    # a stage of one block is that block (no wrapper around a single use)
    assert sorted(g.blocks) == ["conv2", "conv2_block1", "conv2_block2", "conv3_block1"]
    assert [n.name for n in g.nodes.values()] == [
        "input_layer",
        "conv1_conv",
        "conv2",
        "conv3_block1",
        "predictions",
    ]
    assert [n.name for n in g.blocks["conv2"].graph.nodes.values() if n.is_block] == [
        "conv2_block1",
        "conv2_block2",
    ]
    assert any("grouped into 4 block(s)" in w for w in result.warnings)
    # the compiled names are the original ones: the weights fit as imported
    built = build_model(g)
    assert sorted(layer.name for layer in built.layers) == sorted(
        layer.name for layer in model.layers
    )
    assert apply_weights(built, result.weights) == len(result.weights) == 10
    x = np.random.default_rng(2).normal(size=(4, 6)).astype("float32")
    np.testing.assert_allclose(built.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    summary = check_graph(g)
    assert summary.ok and summary.total_params == model.count_params()


def test_nested_sub_models_arrive_as_blocks_and_keep_their_weights():
    import keras
    from keras import layers

    keras.utils.set_random_seed(5)
    inner_in = keras.Input((5,), name="inner_in")
    h = layers.Dense(4, activation="relu", name="hidden")(inner_in)
    encoder = keras.Model(inner_in, layers.Dense(3, name="code")(h), name="encoder")
    x = keras.Input((5,), name="x")
    model = keras.Model(x, layers.Dense(1, name="head")(encoder(x)), name="outer")
    result = import_keras_model(model, group=True)
    g = result.graph
    assert list(g.blocks) == ["encoder"]
    assert [n.name for n in g.nodes.values()] == ["x", "encoder", "head"]
    assert result.origin["encoder_hidden"] == ("encoder", "hidden")
    built = build_model(g)
    assert apply_weights(built, result.weights) == 3
    batch = np.random.default_rng(3).normal(size=(2, 5)).astype("float32")
    np.testing.assert_allclose(
        built.predict(batch, verbose=0), model.predict(batch, verbose=0), atol=1e-5
    )
    flat = import_keras_model(model)  # without group: flat, as before
    assert not flat.graph.blocks and len(flat.graph.nodes) == 4


def test_the_import_command_groups_unless_told_flat(tmp_path):
    """``nnstudio import`` arrives collapsed like the window; ``--flat`` keeps one node a layer."""
    from nnstudio.cli import main
    from nnstudio.core.project import Project

    path = tmp_path / "resnet_like.keras"
    _resnet_like().save(path)
    assert main(["import", str(path), "-o", str(tmp_path / "grouped.nnstudio")]) == 0
    assert main(["import", str(path), "-o", str(tmp_path / "flat.nnstudio"), "--flat"]) == 0
    grouped = Project.load(tmp_path / "grouped.nnstudio").graph
    flat = Project.load(tmp_path / "flat.nnstudio").graph
    assert grouped.blocks and not flat.blocks
    assert len(grouped.nodes) < len(flat.nodes)
