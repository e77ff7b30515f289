"""Keras optimizers, learning-rate schedules and the plateau callback from a TrainingConfig."""

from __future__ import annotations

from typing import Any

from nnstudio.core.objectives import OPTIMIZERS, SCHEDULES
from nnstudio.core.training.config import TrainingConfig


def make_learning_rate(config: TrainingConfig, steps_per_epoch: int | None) -> Any:
    """A float (constant and plateau schedules) or a Keras ``LearningRateSchedule``.

    Step decay multiplies the rate by ``decay_factor`` every ``step_epochs`` epochs; cosine
    decay falls to ``min_learning_rate`` over the whole run.  Both count optimizer steps, so
    they need ``steps_per_epoch`` (an unknown length falls back to a constant rate).  The
    schedule is built by its entry in :data:`nnstudio.core.objectives.SCHEDULES`.
    """
    entry = SCHEDULES.get(config.schedule)
    return entry.make(
        config.learning_rate, steps_per_epoch, config.epochs, checked=False, **_values(config)
    )


def make_optimizer(config: TrainingConfig, steps_per_epoch: int | None = None) -> Any:
    """The Keras optimizer the config names (its entry in
    :data:`nnstudio.core.objectives.OPTIMIZERS`), with its learning rate or schedule."""
    lr = make_learning_rate(config, steps_per_epoch)
    return OPTIMIZERS.get(config.optimizer).make(lr, checked=False, **_values(config))


def _values(config: TrainingConfig) -> dict[str, Any]:
    return {k: v for k, v in config.to_json().items() if k != "extra"}


def plateau_callback(config: TrainingConfig, has_validation: bool) -> Any | None:
    """``ReduceLROnPlateau`` for the plateau schedule (watching ``val_loss`` when there is
    validation data, else ``loss``); ``None`` for the other schedules."""
    if config.schedule != "plateau":
        return None
    import keras

    return keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss" if has_validation else "loss",
        factor=config.decay_factor,
        patience=config.plateau_patience,
        min_lr=config.min_learning_rate,
        verbose=0,
    )


def current_learning_rate(optimizer: Any) -> float | None:
    """The learning rate the optimizer uses at its current step, as a float."""
    if optimizer is None:
        return None
    import keras

    try:
        lr = optimizer.learning_rate
        if isinstance(lr, keras.Variable):
            return float(lr.numpy())
        return float(keras.ops.convert_to_numpy(lr))
    except (TypeError, ValueError, AttributeError):
        return None
