"""In-memory arrays reach ``fit`` as one repeated pipeline (tf.data autotuning off): every
epoch still sees every sample once, in a new order when shuffled, with a smaller last
batch; a dataset of unknown size is passed as it is."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from nnstudio.core.training.config import TrainingConfig
from nnstudio.core.training.data import TrainingData, array_pipeline, one_iterator
from nnstudio.core.training.run import prepare_model, run_training


def _epochs(dataset, steps: int, epochs: int) -> list[list[np.ndarray]]:
    it = iter(dataset)
    return [[next(it) for _ in range(steps)] for _ in range(epochs)]


def test_each_epoch_of_the_repeated_pipeline_holds_every_sample_once() -> None:
    x = np.arange(50, dtype="float64").reshape(50, 1)
    y = np.arange(50)
    args = one_iterator(array_pipeline(x, y, 16, shuffle=True))
    assert args["steps_per_epoch"] == 4
    orders = []
    for epoch in _epochs(args["x"], 4, 3):
        assert [len(b[0]) for b in epoch] == [16, 16, 16, 2]
        xs = np.concatenate([b[0].numpy()[:, 0] for b in epoch])
        ys = np.concatenate([b[1].numpy() for b in epoch])
        assert sorted(ys.tolist()) == list(range(50))
        np.testing.assert_array_equal(xs, ys)  # pairs stay together
        assert epoch[0][0].dtype == tf.float32  # float64 becomes Keras' float type
        orders.append(ys.tolist())
    assert orders[0] != orders[1] != orders[2]  # reshuffled at each repetition


def test_whole_batches_keep_a_static_batch_size_and_order_without_shuffle() -> None:
    x = {"a": np.zeros((32, 3), "float32"), "b": np.ones((32, 2), "float32")}
    y = np.arange(32)
    dataset = array_pipeline(x, y, 8, shuffle=False)
    assert dataset.element_spec[0]["a"].shape.as_list() == [8, 3]
    assert dataset.options().autotune.enabled is False  # its thread stalls teardowns
    (epoch,) = _epochs(one_iterator(dataset)["x"], 4, 1)
    assert np.concatenate([b[1].numpy() for b in epoch]).tolist() == list(range(32))


def test_a_dataset_of_unknown_size_is_passed_as_it_is() -> None:
    unknown = tf.data.Dataset.range(10).filter(lambda v: v % 2 == 0)
    assert one_iterator(unknown) == {"x": unknown}


def test_a_run_on_arrays_trains_every_sample_of_every_epoch() -> None:
    from training_helpers import blobs, mlp_graph

    x, y = blobs(50)
    data = TrainingData.from_arrays(x, y)
    config = TrainingConfig(epochs=3, batch_size=16, validation=False, tensorboard=False)
    model = prepare_model(mlp_graph(), config, data)
    seen: list[int] = []

    import keras

    class Count(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(0)

        def on_train_batch_end(self, batch, logs=None):
            seen[-1] += 1

    result = run_training(model, data, config, callbacks=[Count()])
    assert result.ok and result.epochs_completed == 3
    assert seen == [4, 4, 4]
