"""Real architectures from ``keras.applications`` round-trip: import -> graph -> compile.

Built with ``weights=None`` at a small input size (no download).  Each must give the same
number of layers (Keras operations such as ``x + 3.0`` become Rescaling nodes, so they are
counted), the same parameter count and, with the weights copied across, the same outputs.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from interop_helpers import max_diff

from nnstudio.core.compiler import build_model
from nnstudio.core.interop import (
    UnsupportedModelError,
    apply_weights,
    import_keras_model,
    import_model_file,
)

ROUND_TRIP = [
    ("ResNet50", 64),
    ("MobileNetV2", 64),
    ("EfficientNetB0", 64),
    ("DenseNet121", 64),
    ("MobileNetV3Small", 64),
]


def _operations(model) -> int:
    """Keras operations recorded in a functional model's config (not counted as layers)."""
    config = json.loads(model.to_json())["config"]
    return sum(1 for e in config["layers"] if e.get("module", "").startswith("keras.src.ops"))


@pytest.mark.parametrize("name, size", ROUND_TRIP, ids=[n for n, _ in ROUND_TRIP])
def test_application_round_trips(name, size) -> None:
    import keras

    keras.utils.set_random_seed(0)
    original = getattr(keras.applications, name)(
        weights=None, input_shape=(size, size, 3), classes=10
    )
    result = import_keras_model(original)
    model = build_model(result.graph)
    assert len(model.layers) == len(original.layers) + _operations(original)
    assert model.count_params() == original.count_params()
    apply_weights(model, result.weights)
    batch = np.random.default_rng(0).uniform(0, 255, size=(2, size, size, 3)).astype("float32")
    assert max_diff(model(batch, training=False), original(batch, training=False)) < 1e-5


def test_application_from_a_keras_file_round_trips(tmp_path) -> None:
    import keras

    original = keras.applications.MobileNet(
        weights=None, input_shape=(64, 64, 3), alpha=0.25, classes=5
    )
    original.save(tmp_path / "mobilenet.keras")
    result = import_model_file(tmp_path / "mobilenet.keras")
    model = build_model(result.graph)
    assert len(model.layers) == len(original.layers) == len(result.graph.nodes)
    apply_weights(model, result.weights)
    batch = np.random.default_rng(1).uniform(0, 255, size=(2, 64, 64, 3)).astype("float32")
    assert max_diff(model(batch, training=False), original(batch, training=False)) < 1e-5


def test_convnext_is_refused_as_a_whole_for_its_layerscale() -> None:
    import keras

    original = keras.applications.ConvNeXtTiny(
        weights=None, input_shape=(32, 32, 3), include_top=False
    )
    with pytest.raises(UnsupportedModelError) as info:
        import_keras_model(original)
    assert "(LayerScale)" in info.value.summary
    assert all("LayerScale" in p for p in info.value.problems)
