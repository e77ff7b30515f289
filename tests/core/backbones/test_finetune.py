"""Freeze and fine-tune: the two-phase run of the one training job (head first, then the
backbone at a lower learning rate, recompiled, history continued), and a real backbone that
fine-tunes on the shipped digit images and learns."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.backbones import finetune
from nnstudio.core.backbones.build import APP_ATTR
from nnstudio.core.training.config import ConfigError, TrainingConfig
from nnstudio.core.training.data import TrainingData
from nnstudio.core.training.run import run_training
from nnstudio.core.training.state import RunState

from .helpers import digits


def _tagged_model(shape=(8, 8, 1), classes=3, filters=4):
    """A tiny model whose middle layer carries a backbone node's tag (an "application" of
    named stages), so the two-phase logic runs without building keras.applications."""
    import keras

    keras.utils.set_random_seed(0)
    app = keras.Sequential(
        [
            keras.layers.Conv2D(filters, 3, strides=2, name="block_1_conv"),
            keras.layers.BatchNormalization(name="block_1_bn"),
            keras.layers.Conv2D(filters, 3, activation="relu", name="block_2_conv"),
            keras.layers.Flatten(name="flatten"),
        ],
        name="mobilenetv2_1.00_8",
    )
    node = keras.Sequential([app], name="backbone")
    params = {
        "architecture": "MobileNetV2",
        "trainable": "from_stage",
        "unfreeze_from": 2,
        "batchnorm": "inference",
    }
    setattr(node, APP_ATTR, params)
    x = keras.Input(shape)
    y = keras.layers.Dense(classes, activation="softmax", name="head")(node(x))
    model = keras.Model(x, y)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model, app


def test_two_phases_train_the_head_then_the_backbone_at_a_lower_rate() -> None:
    model, app = _tagged_model()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 8, 8, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int64")
    before = [w.numpy().copy() for w in app.weights]
    config = TrainingConfig(
        epochs=3,
        finetune_epochs=1,
        finetune_learning_rate=1e-3,
        batch_size=16,
        probe_budget=0.0,
        tensorboard=False,
        seed=0,
    )
    state = RunState()
    result = run_training(model, TrainingData.from_arrays(x, y), config, state)
    assert result.status == "completed", result.message
    rates = result.history.to_json()["learning_rate"]
    assert len(rates) == 3 and rates[:2] == pytest.approx([0.01, 0.01])
    assert rates[2] == pytest.approx(1e-3)
    # phase one left the backbone alone; phase two tuned stage 2 only, BatchNorm kept
    after = {w.path: w.numpy() for w in app.weights}
    changed = {
        p for (p, a), b in zip(after.items(), before, strict=True) if not np.array_equal(a, b)
    }
    assert changed and all("block_2_conv" in p for p in changed), changed
    drained = state.drain()
    events = [e for e in drained if e["type"] in ("start", "log")]
    assert [e["type"] for e in events].count("start") == 1  # one run for the views
    assert any("fine-tuning the backbone" in e.get("text", "") for e in events)
    # the views see one run of 3 epochs: its length and its clock span both phases
    epochs = [e for e in drained if e["type"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [0, 1, 2]
    assert {e["epochs"] for e in epochs} == {3}
    assert next(e for e in drained if e["type"] == "start")["epochs"] == 3
    elapsed = [e["elapsed"] for e in epochs]
    assert elapsed == sorted(elapsed) and elapsed[2] > elapsed[1] > 0


def test_a_plain_model_trains_in_one_phase_and_the_setting_is_checked() -> None:
    model, _ = _tagged_model()
    assert finetune.is_two_phase(model, TrainingConfig(epochs=3, finetune_epochs=1))
    assert not finetune.is_two_phase(model, TrainingConfig(epochs=3))
    with pytest.raises(ConfigError, match="finetune_epochs"):
        TrainingConfig(epochs=2, finetune_epochs=2)
    with pytest.raises(ConfigError, match="finetune_learning_rate"):
        TrainingConfig(finetune_learning_rate=0.0)


def test_a_backbone_fine_tunes_on_the_digit_images_and_learns() -> None:
    """The tagged stand-in on the shipped digits (a real keras.applications backbone takes
    minutes on two cores: benchmarks/backbone.py fine-tunes MobileNetV2 on them)."""
    model, app = _tagged_model((28, 28, 1), 10, 16)
    x, y = digits(20)
    xv, yv = digits(6, offset=40)
    config = TrainingConfig(
        epochs=6,
        finetune_epochs=3,
        finetune_learning_rate=3e-3,
        batch_size=32,
        probe_budget=0.0,
        tensorboard=False,
        seed=0,
    )
    result = run_training(model, TrainingData.from_arrays(x, y, val=(xv, yv)), config)
    assert result.status == "completed", result.message
    hist = result.history.to_json()
    assert hist["loss"][-1] < hist["loss"][2] < hist["loss"][0], hist  # both phases learn
    assert hist["val_accuracy"][-1] > 0.3, hist  # chance is 0.1


def test_a_two_phase_run_writes_one_event_file_with_every_epoch(tmp_path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model, _ = _tagged_model()
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 8, 8, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int64")
    config = TrainingConfig(
        epochs=3, finetune_epochs=1, batch_size=16, probe_budget=0.0, tensorboard=True, seed=0
    )
    result = run_training(model, TrainingData.from_arrays(x, y), config, log_dir=tmp_path)
    assert result.status == "completed", result.message
    files = list((tmp_path / "train").glob("events.out.tfevents.*"))
    assert len(files) == 1  # the second fit goes on writing the first fit's file
    acc = EventAccumulator(str(files[0]), size_guidance={"scalars": 0})
    acc.Reload()
    assert [e.step for e in acc.Scalars("epoch_loss")] == [0, 1, 2]
