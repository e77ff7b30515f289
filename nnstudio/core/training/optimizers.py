"""Keras optimizers, learning-rate schedules and the plateau callback from a TrainingConfig."""

from __future__ import annotations

from typing import Any

from nnstudio.core.training.config import TrainingConfig


def make_learning_rate(config: TrainingConfig, steps_per_epoch: int | None) -> Any:
    """A float (constant and plateau schedules) or a Keras ``LearningRateSchedule``.

    Step decay multiplies the rate by ``decay_factor`` every ``step_epochs`` epochs; cosine
    decay falls to ``min_learning_rate`` over the whole run.  Both count optimizer steps, so
    they need ``steps_per_epoch`` (an unknown length falls back to a constant rate).
    """
    import keras

    lr = float(config.learning_rate)
    if config.schedule in ("constant", "plateau") or not steps_per_epoch:
        return lr
    schedules = keras.optimizers.schedules
    if config.schedule == "step":
        return schedules.ExponentialDecay(
            lr,
            decay_steps=config.step_epochs * steps_per_epoch,
            decay_rate=config.decay_factor,
            staircase=True,
        )
    alpha = min(1.0, config.min_learning_rate / lr)
    return schedules.CosineDecay(lr, decay_steps=config.epochs * steps_per_epoch, alpha=alpha)


def make_optimizer(config: TrainingConfig, steps_per_epoch: int | None = None) -> Any:
    """The Keras optimizer the config names, with its learning rate or schedule."""
    import keras

    lr = make_learning_rate(config, steps_per_epoch)
    opt = keras.optimizers
    name = config.optimizer
    if name == "sgd":
        return opt.SGD(learning_rate=lr, momentum=config.momentum, nesterov=config.nesterov)
    if name == "adam":
        return opt.Adam(learning_rate=lr)
    if name == "adamw":
        return opt.AdamW(learning_rate=lr, weight_decay=config.weight_decay)
    if name == "rmsprop":
        return opt.RMSprop(learning_rate=lr)
    if name == "adagrad":
        return opt.Adagrad(learning_rate=lr)
    return opt.Nadam(learning_rate=lr)


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
