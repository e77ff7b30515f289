"""The run: completion, stop mid-epoch, pause/resume, early stopping, NaN/Inf, failures."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import keras
import numpy as np
import pytest
from training_helpers import blobs, mlp_graph

from nnstudio.core.training.config import TrainingConfig
from nnstudio.core.training.data import TrainingData
from nnstudio.core.training.run import run_training
from nnstudio.core.training.state import RunState

SAMPLES = Path(__file__).resolve().parents[3] / "resources" / "samples"


class WeightsAtEpochEnd(keras.callbacks.Callback):
    """Keeps a copy of the weights at the end of every epoch (runs after the run's own)."""

    def __init__(self) -> None:
        super().__init__()
        self.weights: list[list[np.ndarray]] = []

    def on_epoch_end(self, epoch, logs=None) -> None:
        self.weights.append([np.array(w) for w in self.model.get_weights()])


def same_weights(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_run_to_completion_on_sample_data_learns() -> None:
    from nnstudio.core.data import config_for_path, prepare
    from nnstudio.core.templates import build_template
    from nnstudio.core.training.run import prepare_model

    config = TrainingConfig(epochs=12, batch_size=16, learning_rate=0.01, seed=3)
    prepared = prepare(config_for_path(SAMPLES / "species.csv"), batch_size=16, seed=3)
    data = TrainingData.from_prepared(prepared)
    model = prepare_model(build_template("mlp").graph, config, data)
    state = RunState()
    result = run_training(model, data, config, state)
    assert result.status == "completed", result.message
    assert result.epochs_completed == 12
    assert len(result.history.data["val_accuracy"]) == 12
    chance = 1 / len(prepared.class_names)
    assert result.final()["val_accuracy"] > chance + 0.3
    events = state.drain()
    types = [e["type"] for e in events]
    assert types[0] == "start" and types[-1] == "end"
    assert types.count("epoch") == 12 and types.count("batch") >= 12 * 15
    assert "probe" in types and "weights" in types
    # every event is plain JSON data: it could come from another process
    assert json.loads(json.dumps(events, allow_nan=False)) == events


def test_stop_mid_epoch_keeps_last_complete_epoch(blob_data, make_model) -> None:
    config = TrainingConfig(epochs=5, batch_size=16)
    model = make_model(config, blob_data)
    keeper = WeightsAtEpochEnd()
    state = RunState()

    class StopInEpochTwo(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if len(keeper.weights) == 1 and batch == 4:
                state.request_stop()

    result = run_training(model, blob_data, config, state, callbacks=[keeper, StopInEpochTwo()])
    assert result.status == "stopped"
    assert result.epochs_completed == 1
    assert all(len(v) == 1 for v in result.history.data.values())
    assert "epoch 2, batch 6" in result.message  # stopped after the batch that followed
    assert len(keeper.weights) == 1  # the broken epoch never reached on_epoch_end
    assert same_weights(model.get_weights(), keeper.weights[0])
    events = state.drain()
    assert sum(e["type"] == "epoch" for e in events) == 1
    assert events[-1]["type"] == "end" and events[-1]["status"] == "stopped"


def test_stop_during_validation_does_not_record_the_epoch(blob_data, make_model) -> None:
    config = TrainingConfig(epochs=3, batch_size=16)
    model = make_model(config, blob_data)
    state = RunState()

    class StopInValidation(keras.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            state.request_stop()

    result = run_training(model, blob_data, config, state, callbacks=[StopInValidation()])
    assert result.status == "stopped" and result.epochs_completed == 0
    assert result.kept == "initial"


def test_pause_blocks_training_until_resume(blob_data, make_model) -> None:
    config = TrainingConfig(epochs=2, batch_size=16)
    model = make_model(config, blob_data)
    paused = threading.Event()
    batches_while_paused: list[dict] = []

    def listener(event: dict) -> None:
        if event["type"] == "batch" and event["epoch"] == 0 and event["batch"] == 2:
            state.request_pause()
        elif event["type"] == "paused":
            paused.set()
        elif event["type"] == "batch" and paused.is_set() and state.pause_requested:
            batches_while_paused.append(event)

    state = RunState(listener)
    outcome: dict = {}
    worker = threading.Thread(
        target=lambda: outcome.update(result=run_training(model, blob_data, config, state))
    )
    worker.start()
    assert paused.wait(30)
    time.sleep(0.4)
    assert worker.is_alive() and not batches_while_paused
    state.resume()
    worker.join(60)
    result = outcome["result"]
    assert result.status == "completed" and result.epochs_completed == 2
    types = [e["type"] for e in state.drain()]
    assert types.index("paused") < types.index("resumed")
    assert result.elapsed > 0.4


def test_stop_while_paused_ends_the_run(blob_data, make_model) -> None:
    config = TrainingConfig(epochs=3, batch_size=16)
    model = make_model(config, blob_data)

    def listener(event: dict) -> None:
        if event["type"] == "batch" and event["epoch"] == 1 and event["batch"] == 0:
            state.request_pause()
        elif event["type"] == "paused":
            threading.Timer(0.1, state.request_stop).start()

    state = RunState(listener)
    result = run_training(model, blob_data, config, state)
    assert result.status == "stopped" and result.epochs_completed == 1


def test_early_stopping_restores_best_weights(blob_data, make_model) -> None:
    config = TrainingConfig(
        epochs=10,
        batch_size=16,
        early_stopping=True,
        patience=2,
        monitor="val_loss",
        restore_best=True,
    )
    model = make_model(config, blob_data)
    keeper = WeightsAtEpochEnd()
    rng = np.random.default_rng(1)

    class SpoilAfterEpochTwo(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch >= 2:
                self.model.set_weights(
                    [
                        w + rng.normal(scale=3.0, size=w.shape).astype(w.dtype)
                        for w in self.model.get_weights()
                    ]
                )

    result = run_training(model, blob_data, config, callbacks=[keeper, SpoilAfterEpochTwo()])
    assert result.status == "completed" and result.early_stopped
    assert result.best_epoch == 1
    assert result.epochs_completed == 4  # best at 2, then patience 2
    assert result.kept == "best"
    assert same_weights(model.get_weights(), keeper.weights[1])
    val_loss = model.evaluate(*blob_data.val, verbose=0, return_dict=True)["loss"]
    assert val_loss == pytest.approx(result.history.data["val_loss"][1], rel=1e-4)


def test_nan_in_array_data_is_refused_before_training(make_model) -> None:
    x, y = blobs(128)
    x[37, 2] = np.nan
    data = TrainingData.from_arrays(x, y)
    config = TrainingConfig(epochs=2, batch_size=16)
    model = make_model(config, data)
    before = [np.array(w) for w in model.get_weights()]
    result = run_training(model, data, config)
    assert result.status == "failed" and result.location == "data"
    assert "training data" in result.message and "inputs[37, 2] is NaN" in result.message
    assert same_weights(model.get_weights(), before)


@pytest.mark.parametrize(
    ("activation", "expected"),
    [
        ("tanh", ("loss became NaN at epoch 1, batch 5",)),
        # Whether ReLU passes the NaN on (the loss goes NaN) or turns it into zeros (the loss
        # stays finite while the weights go NaN) depends on the TensorFlow build: either way
        # the run stops at that batch, named by what went wrong.
        (
            "relu",
            (
                "loss became NaN at epoch 1, batch 5",
                "the weights of layer 'hidden' became NaN or Inf at epoch 1",
            ),
        ),
    ],
)
def test_nan_in_a_dataset_stops_the_run_as_diverged(make_model, activation, expected) -> None:
    import tensorflow as tf

    from nnstudio.core.graph.builder import GraphBuilder

    b = GraphBuilder()
    h = b.add("Dense", b.add("Input", shape=(4,)), name="hidden", units=8, activation=activation)
    b.output(
        b.add("Dense", h, units=3, activation="softmax"),
        "sparse_categorical_crossentropy",
        ["accuracy"],
    )
    x, y = blobs(128)
    x[70, 1] = np.nan  # in the fifth batch
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    data = TrainingData(train=ds, batched=True, task="classification", num_train=128)
    config = TrainingConfig(epochs=2, batch_size=16)
    model = make_model(config, data, b.graph)
    before = [np.array(w) for w in model.get_weights()]
    result = run_training(model, data, config)
    assert result.status == "diverged"
    assert any(text in result.message for text in expected), result.message
    assert result.epochs_completed == 0 and result.kept == "initial"
    assert same_weights(model.get_weights(), before)


def test_nan_in_the_weights_is_caught_and_last_finite_weights_kept(blob_data, make_model):
    config = TrainingConfig(epochs=4, batch_size=16)
    model = make_model(config, blob_data)
    keeper = WeightsAtEpochEnd()

    class PoisonKernel(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if len(keeper.weights) == 1 and batch == self.params["steps"] - 1:
                layer = self.model.get_layer("hidden")
                kernel = layer.kernel.numpy()
                kernel[0, 0] = np.nan
                layer.kernel.assign(kernel)

    result = run_training(model, blob_data, config, callbacks=[keeper, PoisonKernel()])
    assert result.status == "diverged"
    assert "layer 'hidden'" in result.message and "epoch 2" in result.message
    assert result.epochs_completed == 1
    assert same_weights(model.get_weights(), keeper.weights[0])


def test_exception_in_a_callback_is_located_and_a_new_run_works(
    blob_data, make_model, caplog
) -> None:
    config = TrainingConfig(epochs=3, batch_size=16)
    model = make_model(config, blob_data)

    class Boom(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 3 and len(result_epochs) == 1:
                raise RuntimeError("boom in a callback")

        def on_epoch_end(self, epoch, logs=None):
            result_epochs.append(epoch)

    result_epochs: list[int] = []
    state = RunState()
    with caplog.at_level("ERROR", logger="nnstudio.training"):
        failed = run_training(model, blob_data, config, state, callbacks=[Boom()])
    assert failed.status == "failed"
    assert (
        "epoch 2, batch 4" in failed.message
        and "RuntimeError: boom in a callback" in failed.message
    )
    assert "Traceback" in failed.traceback and "boom in a callback" in caplog.text
    assert failed.epochs_completed == 1
    assert state.drain()[-1]["status"] == "failed"

    again = run_training(model, blob_data, config, RunState())
    assert again.status == "completed" and again.epochs_completed == 3


def test_error_inside_the_model_names_the_layer(make_model) -> None:
    x, y = blobs(64, features=5)  # the model expects 4 features
    data = TrainingData.from_arrays(x, y)
    config = TrainingConfig(epochs=1, batch_size=16)
    model = make_model(config, data, mlp_graph(features=4))
    result = run_training(model, data, config)
    assert result.status == "failed"
    assert result.message.startswith("Training failed at epoch 1, batch 1")
    assert result.traceback


def test_out_of_memory_advises_a_smaller_batch(blob_data, make_model) -> None:
    config = TrainingConfig(epochs=1, batch_size=64)
    model = make_model(config, blob_data)

    class Oom(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            raise MemoryError()

    result = run_training(model, blob_data, config, callbacks=[Oom()])
    assert result.status == "failed"
    assert "Out of memory" in result.message and "smaller batch size (e.g. 32)" in result.message


def test_uncompiled_model_is_refused(blob_data) -> None:
    from nnstudio.core.compiler import build_model

    result = run_training(build_model(mlp_graph()), blob_data, TrainingConfig(epochs=1))
    assert result.status == "failed" and "compiled" in result.message


def test_schedules_change_the_learning_rate(blob_data, make_model) -> None:
    config = TrainingConfig(
        epochs=4,
        batch_size=32,
        schedule="step",
        step_epochs=1,
        decay_factor=0.5,
        learning_rate=0.02,
    )
    result = run_training(make_model(config, blob_data), blob_data, config)
    lrs = result.history.data["learning_rate"]
    assert lrs == pytest.approx([0.01, 0.005, 0.0025, 0.00125])
    config = TrainingConfig(
        epochs=3, batch_size=32, schedule="cosine", learning_rate=0.02, min_learning_rate=0.0
    )
    lrs = run_training(make_model(config, blob_data), blob_data, config).history.data[
        "learning_rate"
    ]
    assert lrs[0] > lrs[1] > lrs[2] == pytest.approx(0.0, abs=1e-7)


def test_balanced_class_weights_are_used(make_model) -> None:
    x, y = blobs(200, classes=2)
    keep = (y == 1) | (np.arange(len(y)) % 5 == 0)  # few of class 0
    data = TrainingData.from_arrays(x[keep], y[keep])
    config = TrainingConfig(epochs=1, batch_size=16, class_weight="balanced")
    seen = {}
    model = make_model(config, data, mlp_graph(classes=2))
    original_fit = model.fit

    def spy_fit(*args, **kwargs):
        seen.update(kwargs)
        return original_fit(*args, **kwargs)

    model.fit = spy_fit
    assert run_training(model, data, config).status == "completed"
    counts = np.bincount(y[keep])
    weights = seen["class_weight"]
    assert weights[0] / weights[1] == pytest.approx(counts[1] / counts[0])


def test_the_weights_watch_names_the_layer_whose_weights_went_non_finite(make_model) -> None:
    """NaN weights under a finite loss are caught by the weights check, named by layer."""
    from nnstudio.core.graph.builder import GraphBuilder
    from nnstudio.core.training.watch import Diverged, NanWatch

    b = GraphBuilder()
    h = b.add("Dense", b.add("Input", shape=(4,)), name="hidden", units=8)
    b.output(b.add("Dense", h, units=3, activation="softmax"), "sparse_categorical_crossentropy")
    x, _ = blobs(16)
    data = TrainingData(train=(x, np.zeros(16, dtype="int64")), task="classification")
    model = make_model(TrainingConfig(epochs=1, batch_size=16), data, b.graph)
    watch = NanWatch(model)
    watch.check_weights(0)  # finite: nothing raised
    layer = model.get_layer("hidden")
    kernel, bias = layer.get_weights()
    kernel[0, 0] = np.nan
    layer.set_weights([kernel, bias])
    with pytest.raises(
        Diverged, match="the weights of layer 'hidden' became NaN or Inf at epoch 1"
    ):
        watch.check_weights(0)
