"""The output head that fits the data: units, activation, loss and metrics."""

from __future__ import annotations

from typing import Any

from nnstudio.core.data.errors import DataError


def suggest_head(data: Any) -> dict[str, Any]:
    """For a :class:`Report` or :class:`PreparedData`: k classes -> Dense(k)
    softmax + sparse categorical cross-entropy; two classes -> Dense(1) sigmoid
    + binary cross-entropy; regression with n targets -> Dense(n) linear + MSE."""
    task = getattr(data, "task", None)
    if task == "classification":
        names = getattr(data, "class_names", None)
        k = len(names) if names else int(getattr(data, "num_outputs", 0) or 0)
        if k < 2:
            raise DataError("classification needs at least two classes", "targets")
        if k == 2:
            return {
                "units": 1,
                "activation": "sigmoid",
                "loss": "binary_crossentropy",
                "metrics": ["accuracy"],
            }
        return {
            "units": k,
            "activation": "softmax",
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
        }
    if task == "regression":
        n = int(getattr(data, "num_outputs", 0) or 1)
        return {"units": n, "activation": "linear", "loss": "mse", "metrics": ["mae"]}
    raise DataError("the data has no usable targets yet: inspect it first", "targets")
