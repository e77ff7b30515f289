"""Learning-rate schedules; their parameters are ``TrainingConfig`` fields.

``build(learning_rate, steps_per_epoch, epochs, **params)`` gives what the optimizer takes
as its learning rate: a float (constant, and reduce-on-plateau, which a callback lowers) or
a Keras ``LearningRateSchedule`` counting optimizer steps.
"""

from __future__ import annotations

from typing import Any

from nnstudio.core.catalog.spec import Param
from nnstudio.core.objectives.registry import TASKS, Entry, Registry

ALL = frozenset(TASKS)
MAX_EPOCHS = 100_000

STEP_EPOCHS = Param(
    "step_epochs",
    "int",
    10,
    "Multiply the rate by the decay factor every this many epochs.",
    1,
    MAX_EPOCHS,
)
DECAY_FACTOR = Param(
    "decay_factor", "float", 0.5, "What the rate is multiplied by at each decay.", 0.01, 0.99
)
PLATEAU_PATIENCE = Param(
    "plateau_patience",
    "int",
    3,
    "Epochs without improvement of the validation loss before the rate is lowered.",
    0,
    MAX_EPOCHS,
)
MIN_LEARNING_RATE = Param(
    "min_learning_rate", "float", 1e-6, "The rate never falls below this.", 0.0, 10.0
)


def _constant(
    learning_rate: float, steps_per_epoch: int | None = None, epochs: int = 1, **_: Any
) -> Any:
    return float(learning_rate)


def _step(
    learning_rate: float,
    steps_per_epoch: int | None = None,
    epochs: int = 1,
    *,
    step_epochs: int,
    decay_factor: float,
) -> Any:
    if not steps_per_epoch:  # an unknown length falls back to a constant rate
        return float(learning_rate)
    import keras

    return keras.optimizers.schedules.ExponentialDecay(
        float(learning_rate),
        decay_steps=step_epochs * steps_per_epoch,
        decay_rate=decay_factor,
        staircase=True,
    )


def _cosine(
    learning_rate: float,
    steps_per_epoch: int | None = None,
    epochs: int = 1,
    *,
    min_learning_rate: float,
) -> Any:
    if not steps_per_epoch:
        return float(learning_rate)
    import keras

    lr = float(learning_rate)
    alpha = min(1.0, min_learning_rate / lr)
    return keras.optimizers.schedules.CosineDecay(
        lr, decay_steps=epochs * steps_per_epoch, alpha=alpha
    )


SCHEDULES: Registry[Entry] = Registry(
    "learning-rate schedule",
    (
        Entry(
            "constant",
            "Constant",
            "The same learning rate for the whole run.",
            ALL,
            build=_constant,
        ),
        Entry(
            "step",
            "Step decay",
            "Multiply the rate by the decay factor every few epochs.",
            ALL,
            (STEP_EPOCHS, DECAY_FACTOR),
            build=_step,
        ),
        Entry(
            "cosine",
            "Cosine decay",
            "Lower the rate along a half cosine to the minimum rate over the whole run.",
            ALL,
            (MIN_LEARNING_RATE,),
            build=_cosine,
        ),
        Entry(
            "plateau",
            "Reduce on plateau",
            "Multiply the rate by the decay factor when the validation loss stops improving.",
            ALL,
            (DECAY_FACTOR, PLATEAU_PATIENCE, MIN_LEARNING_RATE),
            build=_constant,
        ),
    ),
)
