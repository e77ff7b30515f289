"""Small Keras models, hostile model files and a ResNet-50 graph for the interop tests."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.core.graph.builder import GraphBuilder


def tiny_functional(seed: int = 0) -> Any:
    """Two inputs, two outputs; a nested functional model, a nested Sequential, attention,
    a bidirectional LSTM and merges; compiled with named losses and metrics."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    inner_in = keras.Input((8,), name="inner_in")
    inner = keras.Model(inner_in, layers.Dense(4, name="dense")(inner_in), name="sub")
    seq = keras.Sequential(
        [keras.Input((8,)), layers.Dense(5, name="dense"), layers.ReLU(name="re_lu")], name="seq"
    )
    x = keras.Input((8,), name="x")
    q = keras.Input((6, 8), name="q")
    merged = layers.Concatenate(name="concatenate")([inner(x), seq(x)])
    att = layers.MultiHeadAttention(2, 4, name="mha")(q, q)
    bi = layers.Bidirectional(layers.LSTM(3), name="bi")(att)
    out = layers.Dense(2, activation="softmax", name="dense")(
        layers.Concatenate(name="cat2")([merged, bi])
    )
    model = keras.Model([x, q], [out, bi], name="outer")
    model.compile(loss=["categorical_crossentropy", "mae"], metrics=[["accuracy"], ["mse"]])
    return model


def tiny_inputs(seed: int = 1) -> list[np.ndarray]:
    """A fixed batch for :func:`tiny_functional`."""
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(3, 8)).astype("float32"), rng.normal(size=(3, 6, 8)).astype("float32")]


def small_cnn() -> Any:
    """A plain functional CNN (the kind users bring)."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(3)
    x = keras.Input((12, 12, 3), name="image")
    h = layers.Conv2D(8, 3, padding="same", use_bias=False, name="conv")(x)
    h = layers.BatchNormalization(name="bn")(h)
    h = layers.Activation("relu", name="relu")(h)
    h = layers.MaxPooling2D(name="pool")(h)
    h = layers.GlobalAveragePooling2D(name="gap")(h)
    y = layers.Dense(3, activation="softmax", name="probs")(h)
    return keras.Model(x, y, name="small_cnn")


def max_diff(a: Any, b: Any) -> float:
    """Largest absolute difference between two predictions (lists of arrays allowed)."""
    a_list = a if isinstance(a, list) else [a]
    b_list = b if isinstance(b, list) else [b]
    assert len(a_list) == len(b_list)
    return max(
        float(np.max(np.abs(np.asarray(x) - np.asarray(y))))
        for x, y in zip(a_list, b_list, strict=True)
    )


def keras_archive(
    path: Path,
    config: dict[str, Any],
    weights: bytes | None = None,
    extra: dict[str, bytes] | None = None,
) -> Path:
    """A ``.keras`` zip with the given config (and optional weights member)."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        zf.writestr("config.json", json.dumps(config))
        if weights is not None:
            zf.writestr("model.weights.h5", weights)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def archive_config(path: Path) -> dict[str, Any]:
    """The config.json of a ``.keras`` archive."""
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("config.json"))


def replace_layer(model_config: dict[str, Any], name: str, /, **changes: Any) -> dict[str, Any]:
    """Update keys of the layer entry called ``name`` (top level) in a model config."""
    for entry in model_config["config"]["layers"]:
        if entry.get("name") == name:
            for key, value in changes.items():
                if key == "config":
                    entry["config"].update(value)
                else:
                    entry[key] = value
            return model_config
    raise KeyError(name)


def resnet50_graph():
    """The ResNet-50 layer graph (177 nodes) built with the catalog, no Keras needed."""
    b = GraphBuilder()

    def conv_bn(x: str, filters: int, k: int, s: int = 1, relu: bool = True) -> str:
        x = b.add("Conv2D", x, filters=filters, kernel_size=k, strides=s, padding="same")
        x = b.add("BatchNormalization", x, epsilon=1.001e-5)
        return b.add("Activation", x, activation="relu") if relu else x

    def block(x: str, filters: int, s: int, shortcut_conv: bool) -> str:
        short = conv_bn(x, 4 * filters, 1, s, relu=False) if shortcut_conv else x
        y = conv_bn(x, filters, 1, s)
        y = conv_bn(y, filters, 3)
        y = conv_bn(y, 4 * filters, 1, relu=False)
        y = b.add("Add", [short, y])
        return b.add("Activation", y, activation="relu")

    x = b.add("Input", shape=(64, 64, 3))
    x = b.add("ZeroPadding2D", x, padding=3)
    x = conv_bn(x, 64, 7, 2)
    x = b.add("ZeroPadding2D", x, padding=1)
    x = b.add("MaxPooling2D", x, pool_size=3, strides=2)
    for filters, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        x = block(x, filters, stride, True)
        for _ in range(blocks - 1):
            x = block(x, filters, 1, False)
    x = b.add("GlobalAveragePooling2D", x)
    y = b.add("Dense", x, units=10, activation="softmax")
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    return b.graph
