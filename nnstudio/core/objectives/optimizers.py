"""The optimizers a run can use; their parameters are ``TrainingConfig`` fields."""

from __future__ import annotations

from typing import Any

from nnstudio.core.catalog.spec import Param
from nnstudio.core.objectives.registry import TASKS, Entry, Registry

ALL = frozenset(TASKS)

MOMENTUM = Param(
    "momentum", "float", 0.9, "How much of the previous step carries into the next.", 0.0, 0.999
)
NESTEROV = Param(
    "nesterov", "bool", False, "Nesterov momentum: look ahead along the momentum first."
)
WEIGHT_DECAY = Param(
    "weight_decay", "float", 0.004, "Shrinks every weight a little each step (decoupled).", 0, 1
)


def _keras_optimizer(class_name: str) -> Any:
    def build(learning_rate: Any = 1e-3, **params: Any) -> Any:
        import keras

        return getattr(keras.optimizers, class_name)(learning_rate=learning_rate, **params)

    return build


_KERAS_CLASSES: dict[str, str] = {}


def _opt(name: str, label: str, help: str, params: tuple[Param, ...] = ()) -> Entry:
    _KERAS_CLASSES[name] = label  # the label is the Keras class name
    return Entry(name, label, help, ALL, params, build=_keras_optimizer(label))


OPTIMIZERS: Registry[Entry] = Registry(
    "optimizer",
    (
        _opt(
            "sgd",
            "SGD",
            "Stochastic gradient descent, with optional (Nesterov) momentum: simple and "
            "predictable; needs a tuned learning rate.",
            (MOMENTUM, NESTEROV),
        ),
        _opt(
            "adam",
            "Adam",
            "Adaptive moments: a per-weight step size from running means of the gradient and "
            "its square. A good default.",
        ),
        _opt(
            "adamw",
            "AdamW",
            "Adam with decoupled weight decay: often generalises better on larger models.",
            (WEIGHT_DECAY,),
        ),
        _opt(
            "rmsprop",
            "RMSprop",
            "Divides each step by a running mean of the squared gradient; common for "
            "recurrent networks.",
        ),
        _opt(
            "adagrad",
            "Adagrad",
            "Per-weight step sizes that shrink as gradients accumulate: suits sparse features.",
        ),
        _opt("nadam", "Nadam", "Adam with Nesterov momentum."),
    ),
)


def keras_optimizer_class(name: str) -> str | None:
    """The ``keras.optimizers`` class of optimizer ``name`` (or an alias); ``None`` if the
    registry does not have it."""
    entry = OPTIMIZERS.find(name)
    return _KERAS_CLASSES[entry.name] if entry is not None else None
