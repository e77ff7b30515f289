"""The target policy: what a source's training targets are.

One reading of labels for every source (CSV, NumPy): task detection, class
discovery, the class limit (:data:`MAX_CLASSES`) and the mapping of
validation labels to the training classes.

``targets = "labels"`` (the default) reads targets from the source (a CSV
column, a targets array, an image's folder); ``targets = "inputs"`` makes every
sample its own target (autoencoders, denoising): the task is
:data:`RECONSTRUCTION`, ``y`` is ``x`` in every split, and no classification
head is ever suggested for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnstudio.core.data.classes import check_classes
from nnstudio.core.data.config import RECONSTRUCTION
from nnstudio.core.data.report import ProblemLog


def reconstructs(config: Any) -> bool:
    """True when ``config`` asks for the inputs as targets."""
    return getattr(config, "targets", "labels") == "inputs"


def placeholder_targets(n: int) -> np.ndarray:
    """Split bookkeeping for a reconstruction source: one 0 per sample (the
    real targets are the inputs, substituted by the pipeline)."""
    return np.zeros(int(n), np.int32)


def unit_range(value_range: tuple[float, float] | None) -> bool:
    """True when inputs lie in [0, 1] (so a sigmoid output and binary
    cross-entropy fit their reconstruction)."""
    if value_range is None:
        return False
    low, high = value_range
    return bool(np.isfinite(low) and np.isfinite(high) and low >= 0.0 and high <= 1.0)


def reconstruction_head(
    feature_shape: tuple[int, ...], value_range: tuple[float, float] | None
) -> dict[str, Any]:
    """The output that reconstructs inputs of ``feature_shape``: its shape,
    activation, loss and metrics (sigmoid + binary cross-entropy for inputs in
    [0, 1], linear + MSE otherwise)."""
    shape = tuple(int(d) for d in feature_shape)
    units = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if unit_range(value_range):
        activation, loss = "sigmoid", "binary_crossentropy"
    else:
        activation, loss = "linear", "mse"
    return {
        "shape": shape,
        "units": units,
        "activation": activation,
        "loss": loss,
        "metrics": ["mae"],
    }


def value_range(x: Any, limit_bytes: int = 64 * 1024 * 1024) -> tuple[float, float] | None:
    """(min, max) of the finite values of ``x`` (read in blocks of samples, at
    most ``limit_bytes`` of them); ``None`` for an empty or non-numeric array."""
    arr = x
    if getattr(arr, "dtype", None) is None or arr.dtype.kind not in "biuf" or len(arr) == 0:
        return None
    per = max(1, int(np.prod(arr.shape[1:], dtype=np.int64)) * arr.dtype.itemsize)
    step = max(1, min(len(arr), limit_bytes // per))
    low, high = np.inf, -np.inf
    for start in range(0, len(arr), step):
        block = np.asarray(arr[start : start + step], np.float64)
        finite = block[np.isfinite(block)]
        if finite.size:
            low, high = min(low, float(finite.min())), max(high, float(finite.max()))
    if not np.isfinite(low):
        return None
    return low, high


# -- labels: task detection, class discovery, validation mapping -------------

#: the data tasks a source's targets can have
TASKS = ("classification", "regression", RECONSTRUCTION)
#: the most distinct values a target may hold and still be read as classes
MAX_CLASSES = 1000
#: ``task = "auto"``: whole numbers stored as floats (a CSV column, a float
#: array) are read as classes when there are at most this many of them
MAX_AUTO_CLASSES = 20


@dataclass
class TargetReading:
    """What a source's labels are: class indices (int32, shape (n,)) with the
    classes' names and values for classification, float32 (n, t) for regression."""

    task: str
    y: np.ndarray
    class_names: list[str] | None = None
    class_values: list[Any] | None = None


def format_label(value: float) -> str:
    """``3.0`` -> ``"3"``; other numbers as Python prints them."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def too_many_classes(count: int) -> str:
    """The refusal of a target with ``count`` distinct values (past :data:`MAX_CLASSES`)."""
    return f"has {count} different values: too many to be classes (at most {MAX_CLASSES})"


def read_labels(
    values: np.ndarray,
    task: str,
    log: ProblemLog,
    location: str,
    integer_typed: bool = False,
    index_names: list[str] | None = None,
) -> TargetReading | None:
    """Read one label per sample (text or numbers) as ``task`` (``"auto"``,
    ``"classification"`` or ``"regression"``); problems go to ``log`` at
    ``location``.

    Text is always classes. Numbers under ``"auto"``: an integer-typed array
    (``integer_typed``) of at most :data:`MAX_CLASSES` non-negative values is
    classes; other whole numbers are classes when there are at most
    :data:`MAX_AUTO_CLASSES` of them; anything else is regression.
    ``index_names`` names the classes 0..k-1 when the labels are indices into it.
    """
    if values.dtype.kind in "USO":
        values = _as_text(values)
        if task == "regression":
            log.error(location, "the targets are text: they cannot be a regression target")
            return None
        return _text_classes(values, log, location)
    distinct = np.unique(values)
    integral = integer_typed or bool(np.all(np.floor(distinct) == distinct))
    if task == "auto":
        task = _auto_task(distinct, integral, integer_typed)
        if task == "classification" and not integer_typed:
            log.info(
                location,
                f"the targets hold {len(distinct)} different whole numbers: treated as class "
                "labels (choose the regression task to predict the numbers instead)",
            )
    if task == "regression":
        return TargetReading("regression", values.astype(np.float32).reshape(len(values), 1))
    if len(distinct) > MAX_CLASSES:
        log.error(location, too_many_classes(len(distinct)))
        return None
    if (
        index_names is not None
        and integral
        and len(distinct)
        and distinct[0] >= 0
        and distinct[-1] < len(index_names)
    ):
        # class indices into known names: keep every class, even unseen ones
        k = len(index_names)
        return TargetReading(
            "classification", values.astype(np.int32), list(index_names), list(range(k))
        )
    y = np.searchsorted(distinct, values).astype(np.int32)
    names = [format_label(v) for v in distinct.tolist()]
    return TargetReading("classification", y, names, [float(v) for v in distinct.tolist()])


def _auto_task(distinct: np.ndarray, integral: bool, integer_typed: bool) -> str:
    if integer_typed:
        small = len(distinct) <= MAX_CLASSES and (distinct.size == 0 or distinct[0] >= 0)
        return "classification" if small else "regression"
    return "classification" if integral and len(distinct) <= MAX_AUTO_CLASSES else "regression"


def _as_text(values: np.ndarray) -> np.ndarray:
    """Byte strings as text (``b"cat"`` -> ``"cat"``); other arrays unchanged."""
    return values.astype(str) if values.dtype.kind == "S" else values


def _text_classes(values: np.ndarray, log: ProblemLog, location: str) -> TargetReading | None:
    import pandas as pd

    codes, uniques = pd.factorize(np.asarray(values, dtype=object), sort=True)
    if len(uniques) > MAX_CLASSES:
        log.error(location, too_many_classes(len(uniques)))
        return None
    names = [str(v) for v in uniques]
    return TargetReading("classification", codes.astype(np.int32), names, list(names))


def read_onehot(
    rows: np.ndarray, task: str, log: ProblemLog, location: str
) -> TargetReading | None:
    """Several values per sample: one-hot rows are classes (named by their
    column numbers), anything else is regression."""
    k = rows.shape[1]
    onehot = rows.dtype.kind in "biuf" and bool(
        np.all((rows == 0) | (rows == 1)) and np.all(rows.sum(axis=1) == 1)
    )
    if onehot and task != "regression":
        log.info(location, f"the targets are one-hot rows of {k}: read as class indices")
        y = np.argmax(rows, axis=1).astype(np.int32)
        names = [str(i) for i in range(k)]
        return TargetReading("classification", y, names, list(range(k)))
    if task == "classification":
        log.error(location, f"targets of shape {rows.shape} cannot be class labels")
        return None
    return TargetReading("regression", rows.astype(np.float32))


def map_to_classes(
    values: np.ndarray,
    class_values: list[Any],
    log: ProblemLog,
    locate: Callable[[int], str],
) -> np.ndarray | None:
    """Validation labels as indices of the training classes (``class_values``);
    one error per label the training data lacks, located by ``locate(i)``."""
    if values.ndim == 2:
        values = np.argmax(values, axis=1)
    values = _as_text(values)
    index = {v: i for i, v in enumerate(class_values)}
    text = values.dtype.kind in "USO"
    keys: list[Any] = (
        [str(v) for v in values.tolist()] if text else [float(v) for v in values.tolist()]
    )
    out = np.empty(len(keys), np.int32)
    unknown = False
    for i, key in enumerate(keys):
        cls = index.get(key)
        if cls is None:
            unknown = True
            shown = f'"{key}"' if isinstance(key, str) else format_label(key)
            log.error(
                locate(i),
                f"class {shown} does not occur in the training data",
                group="unknown-class",
            )
            continue
        out[i] = cls
    return None if unknown else out


def check_reading(reading: TargetReading, log: ProblemLog, location: str = "targets") -> None:
    """Too few, tiny or imbalanced classes (see :func:`check_classes`)."""
    if reading.task == "classification":
        assert reading.class_names is not None
        counts = np.bincount(reading.y, minlength=len(reading.class_names)).tolist()
        check_classes(reading.class_names, counts, log, location)
