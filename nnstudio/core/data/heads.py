"""The output head that fits the data: units, activation, loss and metrics."""

from __future__ import annotations

from typing import Any

from nnstudio.core.data.config import RECONSTRUCTION
from nnstudio.core.data.errors import DataError


def suggest_head(data: Any) -> dict[str, Any]:
    """For a :class:`Report` or :class:`PreparedData`: k classes -> Dense(k)
    softmax + sparse categorical cross-entropy; two classes -> Dense(1) sigmoid
    + binary cross-entropy; regression with n targets -> Dense(n) linear + MSE;
    reconstruction (the targets are the inputs) -> an output of the input's shape,
    sigmoid + binary cross-entropy for inputs in [0, 1], else linear + MSE (the
    ``shape`` key says which)."""
    from nnstudio.core.data.targets import reconstruction_head  # NumPy: not before the window

    task = getattr(data, "task", None)
    if task == RECONSTRUCTION:
        shape = tuple(getattr(data, "feature_shape", ()) or ())
        return reconstruction_head(shape, _input_range(data))
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


def _input_range(data: Any) -> tuple[float, float] | None:
    """The inputs' value range: a Report's ``target_range`` (for reconstruction
    the range of the inputs), or PreparedData's report's."""
    rng = getattr(data, "target_range", None)
    if rng is None and getattr(data, "report", None) is not None:
        rng = getattr(data.report, "target_range", None)
    return None if rng is None else (float(rng[0]), float(rng[1]))
