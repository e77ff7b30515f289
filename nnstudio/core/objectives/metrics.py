"""The metrics an output can report (names as Keras takes them in ``compile``)."""

from __future__ import annotations

from typing import Any

from nnstudio.core.objectives.registry import Entry, Registry

CLS, BIN, REG, REC = "classification", "binary", "regression", "reconstruction"


def _keras_metric(class_name: str) -> Any:
    def build() -> Any:
        import keras

        return getattr(keras.metrics, class_name)()

    return build


METRICS: Registry[Entry] = Registry(
    "metric",
    (
        Entry(
            "accuracy",
            "Accuracy",
            "The share of samples whose predicted class (or yes/no) is right; Keras picks "
            "the variant that fits the loss.",
            frozenset((CLS, BIN)),
            aliases=("acc",),
            short="acc",
            build=_keras_metric("Accuracy"),
        ),
        Entry(
            "auc",
            "Area under the ROC curve",
            "How well a yes/no output ranks positives above negatives, over all thresholds.",
            frozenset((BIN,)),
            short="AUC",
            build=_keras_metric("AUC"),
        ),
        Entry(
            "precision",
            "Precision",
            "Of the samples predicted yes, the share that are yes.",
            frozenset((BIN,)),
            build=_keras_metric("Precision"),
        ),
        Entry(
            "recall",
            "Recall",
            "Of the samples that are yes, the share predicted yes.",
            frozenset((BIN,)),
            build=_keras_metric("Recall"),
        ),
        Entry(
            "mae",
            "Mean absolute error",
            "The mean absolute difference between prediction and target, in the target's units.",
            frozenset((REG, REC)),
            aliases=("mean_absolute_error",),
            build=_keras_metric("MeanAbsoluteError"),
        ),
        Entry(
            "mse",
            "Mean squared error",
            "The mean squared difference between prediction and target.",
            frozenset((REG, REC)),
            aliases=("mean_squared_error",),
            build=_keras_metric("MeanSquaredError"),
        ),
        Entry(
            "root_mean_squared_error",
            "Root mean squared error",
            "The square root of the MSE, in the target's units.",
            frozenset((REG,)),
            aliases=("rmse",),
            short="rmse",
            build=_keras_metric("RootMeanSquaredError"),
        ),
    ),
)
