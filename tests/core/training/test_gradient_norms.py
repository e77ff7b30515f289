"""Per-layer gradient norms, including a layer whose gradient is sparse (an Embedding's
gradient is IndexedSlices on TensorFlow): the norm equals the dense gradient's norm."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from nnstudio.core.training.gradients import gradient_norms


def test_an_embedding_model_gets_a_norm_per_layer_including_the_embedding() -> None:
    keras.utils.set_random_seed(0)
    tokens = keras.Input((6,), dtype="int32")
    h = keras.layers.Embedding(20, 4, name="embed")(tokens)
    h = keras.layers.GlobalAveragePooling1D()(h)
    out = keras.layers.Dense(2, activation="softmax", name="head")(h)
    model = keras.Model(tokens, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.array([[1, 2, 3, 3, 0, 0], [4, 5, 6, 7, 8, 9]], dtype="int32")
    y = np.array([0, 1])
    norms = gradient_norms(model, x, y)
    assert set(norms) == {"embed", "head"}
    # the same norm from a dense computation of the embedding's gradient
    import tensorflow as tf

    table = model.get_layer("embed").embeddings
    with tf.GradientTape() as tape:
        dense = tf.gather(tf.convert_to_tensor(table.value), x)
        pooled = tf.reduce_mean(dense, axis=1)
        pred = model.get_layer("head")(pooled)
        loss = model.compute_loss(x=x, y=y, y_pred=pred, training=False)
    (grad,) = tape.gradient(loss, [dense])
    per_row = np.zeros(table.shape)
    np.add.at(per_row, x, grad.numpy())
    assert norms["embed"] == pytest.approx(float(np.linalg.norm(per_row)), rel=1e-5)
    assert norms["embed"] > 0
