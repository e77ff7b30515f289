"""The data path without TensorFlow (a jax or torch install): the same splits and values as
the tf.data pipelines, batched by a Keras PyDataset, images decoded by Pillow.  Run in this
process with TensorFlow reported missing to the data layer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.data import DataConfig, prepare

ROOT = Path(__file__).resolve().parents[3]
SPECIES = ROOT / "resources" / "samples" / "species.csv"
DIGITS = ROOT / "resources" / "samples" / "digits"
MODULES = (
    "nnstudio.core.data.datasets",
    "nnstudio.core.data.numpy_pipeline",
    "nnstudio.core.data.multi_input_source",
    "nnstudio.core.data.image_pipeline",
)


@pytest.fixture
def no_tensorflow(monkeypatch):
    import importlib

    for name in MODULES:
        monkeypatch.setattr(importlib.import_module(name), "tensorflow_installed", lambda: False)


def _all(batches) -> tuple[np.ndarray, np.ndarray]:
    pairs = [(np.asarray(x), np.asarray(y)) for x, y in batches]
    return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])


def _csv() -> DataConfig:
    return DataConfig(kind="csv", path=str(SPECIES), target_columns=["species"])


def test_csv_batches_match_the_tf_data_pipeline(monkeypatch) -> None:
    with_tf = prepare(_csv(), batch_size=16)
    tf_val = _all(with_tf.val.as_numpy_iterator())
    import importlib

    for name in MODULES:
        monkeypatch.setattr(importlib.import_module(name), "tensorflow_installed", lambda: False)
    plain = prepare(_csv(), batch_size=16)
    from nnstudio.core.data.array_batches import ArrayBatches

    assert isinstance(plain.train, ArrayBatches) and isinstance(plain.val, ArrayBatches)
    assert len(plain.train) == plain.steps_per_epoch
    val = _all(plain.val)
    np.testing.assert_allclose(val[0], tf_val[0], rtol=1e-6)
    np.testing.assert_array_equal(val[1], tf_val[1])
    first = _all(plain.train)
    plain.train.on_epoch_end()
    second = _all(plain.train)
    assert not np.array_equal(first[0], second[0])  # a new order every epoch ...
    order = np.lexsort(first[0].T)
    np.testing.assert_array_equal(first[0][order], second[0][np.lexsort(second[0].T)])
    again = prepare(_csv(), batch_size=16)  # ... drawn from the seed: reproducible
    np.testing.assert_array_equal(_all(again.train)[0], first[0])


@pytest.mark.parametrize("budget", [None, 1])  # in memory; decoded from disk per batch
def test_image_folders_decode_with_pillow_as_with_tensorflow(no_tensorflow, budget) -> None:
    config = DataConfig(kind="images", path=str(DIGITS))
    plain = prepare(config, batch_size=32, cache_budget_bytes=budget)
    assert plain.cached == (budget is None)
    x, y = _all(plain.val)
    assert x.shape[1:] == plain.feature_shape and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() <= 1.0 and x.max() > 0.5
    ax, ay = plain.val_arrays()
    np.testing.assert_array_equal(ax, x)
    np.testing.assert_array_equal(ay, y)


def test_pillow_and_tensorflow_decode_the_same_pixels(monkeypatch) -> None:
    config = DataConfig(kind="images", path=str(DIGITS))
    tf_x, _ = prepare(config, batch_size=32).val_arrays()
    import importlib

    for name in MODULES:
        monkeypatch.setattr(importlib.import_module(name), "tensorflow_installed", lambda: False)
    x, _ = prepare(config, batch_size=32).val_arrays()
    np.testing.assert_allclose(x, tf_x, atol=1 / 255 + 1e-6)


def test_keras_fits_the_batches_without_tensorflow(no_tensorflow) -> None:
    import keras

    plain = prepare(_csv(), batch_size=16)
    model = keras.Sequential(
        [keras.Input(plain.feature_shape), keras.layers.Dense(plain.num_outputs, "softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(plain.train, validation_data=plain.val, epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2
