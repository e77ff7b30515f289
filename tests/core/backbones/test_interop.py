"""A model holding a keras.applications backbone imports as one backbone node (same
outputs), and code generation writes the keras.applications call."""

from __future__ import annotations

import numpy as np

from nnstudio.core.compiler import build_model
from nnstudio.core.interop.codegen import generate_code
from nnstudio.core.interop.keras_import import apply_weights, import_model_file


def test_import_round_trips_to_the_node_and_code_writes_the_call(tmp_path) -> None:
    import keras

    keras.utils.set_random_seed(0)
    base = keras.applications.MobileNetV2(
        alpha=0.35, input_shape=(32, 32, 3), include_top=False, weights=None, pooling="max"
    )
    base.trainable = False
    x = keras.Input((32, 32, 3), name="image")
    h = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="scale")(x)
    y = keras.layers.Dense(10, activation="softmax", name="digit")(base(h, training=False))
    model = keras.Model(x, y)
    path = tmp_path / "transfer.keras"
    model.save(path)

    result = import_model_file(path)
    kinds = [(n.key, n.name) for n in result.graph.nodes.values()]
    assert kinds == [
        ("Input", "image"),
        ("Rescaling", "scale"),
        ("PretrainedBackbone", "mobilenetv2_0.35_32"),
        ("Dense", "digit"),
    ]
    params = result.graph.nodes["n3"].params
    assert params["architecture"] == "MobileNetV2" and params["alpha"] == 0.35
    assert params["pooling"] == "max" and params["trainable"] == "frozen"
    assert params["preprocess"] is False and params["input_range"] == "0..255"
    rebuilt = build_model(result.graph)
    assert apply_weights(rebuilt, result.weights) == 2
    sample = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_array_equal(
        rebuilt.predict(sample, verbose=0), model.predict(sample, verbose=0)
    )

    code = generate_code(result.graph)
    assert "keras.applications.MobileNetV2(" in code and "alpha=0.35" in code
    assert "pooling='max'" in code and ".trainable = False" in code
    assert max(len(line) for line in code.splitlines()) <= 100
    namespace: dict = {}
    exec(compile(code, "generated", "exec"), namespace)
    assert namespace["build_model"]().count_params() == model.count_params()
