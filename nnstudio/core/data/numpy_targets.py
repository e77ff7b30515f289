"""NumPy sources: the targets array read by the one target policy (:mod:`.targets`)."""

from __future__ import annotations

import numpy as np

from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.numpy_arrays import NumpyArrays
from nnstudio.core.data.report import ProblemLog
from nnstudio.core.data.targets import (
    RECONSTRUCTION,
    check_reading,
    map_to_classes,
    placeholder_targets,
    read_labels,
    read_onehot,
)


def _as_labels(y: np.ndarray) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        return y[:, 0]
    return y


def interpret_targets(
    arrays: NumpyArrays, config: DataConfig, log: ProblemLog, names_arr: np.ndarray | None
) -> None:
    """The targets read by the one target policy (:mod:`~nnstudio.core.data.targets`)."""
    y = _as_labels(arrays.y_raw)
    if arrays.rows is not None:
        y = y[arrays.rows]
    if y.ndim == 2:
        reading = read_onehot(y, config.task, log, "targets")
        if reading is not None and reading.class_names is not None:
            reading.class_names = _class_names(names_arr, reading.class_names, log)
    else:
        index_names = None
        if names_arr is not None:
            index_names = [str(v) for v in np.asarray(names_arr).reshape(-1).tolist()]
        integer_typed = y.dtype.kind in "biu"
        reading = read_labels(y, config.task, log, "targets", integer_typed, index_names)
    if reading is None:
        return
    arrays.task, arrays.y = reading.task, reading.y
    arrays.class_names, arrays.class_values = reading.class_names, reading.class_values
    check_reading(reading, log)


def _class_names(names_arr: np.ndarray | None, default: list[str], log: ProblemLog) -> list[str]:
    if names_arr is None:
        return default
    names = [str(v) for v in np.asarray(names_arr).reshape(-1).tolist()]
    if len(names) != len(default):
        log.warning(
            "class_names",
            f"the archive names {len(names)} classes but the targets have {len(default)}; "
            "the names are not used",
        )
        return default
    return names


def targets_like(arrays: NumpyArrays, like: NumpyArrays, log: ProblemLog) -> None:
    """Validation targets read as the training ones (same task, same classes)."""
    y = _as_labels(arrays.y_raw)
    if arrays.rows is not None:
        y = y[arrays.rows]
    arrays.task = like.task
    arrays.class_names = like.class_names
    arrays.class_values = like.class_values
    if like.task == "regression":
        arrays.y = y.astype(np.float32).reshape(len(y), -1)
        if arrays.y.shape[1] != like.num_outputs:
            log.error("validation targets", "they do not have as many values as the training ones")
        return
    assert like.class_values is not None
    out = map_to_classes(y, like.class_values, log, lambda i: f"validation targets, sample {i}")
    arrays.y = out if out is not None else np.zeros(len(y), np.int32)


def reconstruction_targets(arrays: NumpyArrays) -> None:
    """The inputs are the targets: no classes; the pipeline substitutes ``x``."""
    arrays.task = RECONSTRUCTION
    arrays.class_names = arrays.class_values = None
    arrays.y = placeholder_targets(arrays.n)
