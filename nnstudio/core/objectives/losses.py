"""The losses an output can be trained with (names as Keras takes them in ``compile``)."""

from __future__ import annotations

from typing import Any

from nnstudio.core.objectives.registry import Entry, Registry

CLS, BIN, REG, REC = "classification", "binary", "regression", "reconstruction"


def _keras_loss(class_name: str) -> Any:
    def build() -> Any:
        import keras

        return getattr(keras.losses, class_name)()

    return build


def _loss(
    name: str,
    label: str,
    cls: str,
    help: str,
    tasks: tuple[str, ...],
    *,
    aliases: tuple[str, ...] = (),
    short: str = "",
) -> Entry:
    return Entry(
        name,
        label,
        help,
        frozenset(tasks),
        aliases=aliases,
        short=short,
        build=_keras_loss(cls),
    )


LOSSES: Registry[Entry] = Registry(
    "loss",
    (
        _loss(
            "sparse_categorical_crossentropy",
            "Sparse categorical cross-entropy",
            "SparseCategoricalCrossentropy",
            "Classes given as whole numbers (0, 1, 2, ...) against a softmax over the classes.",
            (CLS,),
            short="sparse CE",
        ),
        _loss(
            "categorical_crossentropy",
            "Categorical cross-entropy",
            "CategoricalCrossentropy",
            "Classes given one-hot (one column per class) against a softmax over the classes.",
            (CLS,),
            short="categorical CE",
        ),
        _loss(
            "categorical_focal_crossentropy",
            "Categorical focal cross-entropy",
            "CategoricalFocalCrossentropy",
            "Cross-entropy that down-weights the examples already classified well: one-hot "
            "classes where some are rare.",
            (CLS,),
            short="focal CE",
        ),
        _loss(
            "binary_crossentropy",
            "Binary cross-entropy",
            "BinaryCrossentropy",
            "Yes/no targets (0 or 1) against a sigmoid output; also values in [0, 1] "
            "reconstructed by a sigmoid output (images scaled to 0..1).",
            (BIN, REC),
            short="binary CE",
        ),
        _loss(
            "binary_focal_crossentropy",
            "Binary focal cross-entropy",
            "BinaryFocalCrossentropy",
            "Binary cross-entropy that down-weights the easy examples: yes/no targets where "
            "one answer is rare.",
            (BIN,),
            short="binary focal",
        ),
        _loss(
            "hinge",
            "Hinge",
            "Hinge",
            "The margin loss of support vector machines: yes/no targets (0/1 or -1/1) against "
            "an output that is not squashed (tanh or linear).",
            (BIN,),
        ),
        _loss(
            "squared_hinge",
            "Squared hinge",
            "SquaredHinge",
            "The hinge loss squared: yes/no targets, larger margin errors weigh more.",
            (BIN,),
            short="sq. hinge",
        ),
        _loss(
            "mse",
            "Mean squared error",
            "MeanSquaredError",
            "The mean of squared differences: values, and inputs reconstructed by an "
            "autoencoder. Large errors weigh most.",
            (REG, REC),
            aliases=("mean_squared_error",),
        ),
        _loss(
            "mae",
            "Mean absolute error",
            "MeanAbsoluteError",
            "The mean of absolute differences: values, less swayed by outliers than MSE.",
            (REG, REC),
            aliases=("mean_absolute_error",),
        ),
        _loss(
            "huber",
            "Huber",
            "Huber",
            "Squared for small errors, absolute for large ones: values with some outliers.",
            (REG,),
        ),
        _loss(
            "log_cosh",
            "Log-cosh",
            "LogCosh",
            "The logarithm of the hyperbolic cosine of the error: a smooth Huber.",
            (REG,),
            aliases=("logcosh",),
        ),
        _loss(
            "mean_squared_logarithmic_error",
            "Mean squared logarithmic error",
            "MeanSquaredLogarithmicError",
            "Squared differences of log(1 + value): positive values spanning several orders "
            "of magnitude, where relative error matters.",
            (REG,),
            aliases=("msle",),
            short="msle",
        ),
        _loss(
            "mape",
            "Mean absolute percentage error",
            "MeanAbsolutePercentageError",
            "The mean absolute error as a percentage of the target: positive values where "
            "relative error matters (it is undefined for targets of 0).",
            (REG,),
            aliases=("mean_absolute_percentage_error",),
        ),
        _loss(
            "kl_divergence",
            "KL divergence",
            "KLDivergence",
            "Kullback-Leibler divergence between target and predicted distributions (soft "
            "labels, distillation).",
            (CLS,),
            aliases=("kld", "kullback_leibler_divergence"),
            short="KL",
        ),
    ),
)


def short_loss(name: str) -> str:
    """A compact label for a loss (``"sparse CE"``); an unknown name is returned as given."""
    entry = LOSSES.find(name)
    return entry.short_label if entry is not None else name


def loss_kind(name: str | None) -> str | None:
    """What an output trained with loss ``name`` predicts, for model cards: ``"classes"``,
    ``"binary"`` or ``"values"`` (``None`` for a loss the registry does not know)."""
    tasks = loss_tasks(name)
    if not tasks:
        return None
    if CLS in tasks:
        return "classes"
    return "binary" if BIN in tasks else "values"


def loss_tasks(name: str | None) -> frozenset[str]:
    """The tasks a loss suits (empty for an unknown one)."""
    entry = LOSSES.find(name) if name else None
    return entry.tasks if entry is not None else frozenset()
