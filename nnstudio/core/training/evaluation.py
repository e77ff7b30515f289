"""Evaluation after a run: metrics on the test split (or validation when there is none);
for classification a confusion matrix, per-class precision/recall/F1 and the misclassified
samples; for regression predicted-versus-actual pairs and residuals; for reconstruction
(the targets are the inputs: autoencoders) the error of every sample and the worst
reconstructions beside their inputs.

Only the first output of a multi-output model gets the detailed views; every output's
metrics come from ``model.evaluate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnstudio.core.training.data import TrainingData, class_indices

MAX_MISCLASSIFIED = 48
MAX_WORST = 24  # reconstructions kept beside their inputs, worst first
MAX_POINTS = 5000
RECONSTRUCTION = "reconstruction"


@dataclass
class Misclassified:
    """One wrong prediction: the sample's index and inputs, true and predicted class."""

    index: int
    x: np.ndarray
    true: int
    pred: int
    confidence: float


@dataclass
class Reconstruction:
    """One reconstructed sample: its index, input, the model's output and their mean squared
    error."""

    index: int
    x: np.ndarray
    output: np.ndarray
    error: float


@dataclass
class Evaluation:
    """What the evaluation views show; :meth:`to_json` is the summary kept in the run record."""

    split: str
    task: str
    metrics: dict[str, float]
    samples: int
    class_names: list[str] = field(default_factory=list)
    confusion: np.ndarray | None = None  # counts, rows = true class, columns = predicted
    per_class: list[dict[str, float]] = field(default_factory=list)
    misclassified: list[Misclassified] = field(default_factory=list)
    y_true: np.ndarray | None = None  # regression: actual values (first target)
    y_pred: np.ndarray | None = None  # regression: predictions (first target)
    errors: np.ndarray | None = None  # reconstruction: each sample's mean squared error
    worst: list[Reconstruction] = field(default_factory=list)  # reconstruction, worst first

    @property
    def confusion_normalized(self) -> np.ndarray | None:
        """The confusion matrix with each row (true class) summing to 1."""
        if self.confusion is None:
            return None
        rows = self.confusion.sum(axis=1, keepdims=True)
        return self.confusion / np.maximum(rows, 1)

    @property
    def residuals(self) -> np.ndarray | None:
        """Actual minus predicted (regression)."""
        if self.y_true is None or self.y_pred is None:
            return None
        return self.y_true - self.y_pred

    def to_json(self) -> dict[str, Any]:
        """A compact JSON summary (no sample arrays)."""
        out: dict[str, Any] = {
            "split": self.split,
            "task": self.task,
            "samples": self.samples,
            "metrics": dict(self.metrics),
        }
        if self.confusion is not None:
            out["class_names"] = list(self.class_names)
            out["confusion"] = self.confusion.astype(int).tolist()
            out["per_class"] = [dict(p) for p in self.per_class]
        if self.errors is not None and self.errors.size:
            out["reconstruction"] = {
                "mse": float(np.mean(self.errors)),
                "median_mse": float(np.median(self.errors)),
                "worst_mse": float(np.max(self.errors)),
            }
        res = self.residuals
        if res is not None and res.size:
            out["residuals"] = {
                "mae": float(np.mean(np.abs(res))),
                "rmse": float(np.sqrt(np.mean(res**2))),
                "r2": r2_score(self.y_true, self.y_pred),
            }
        return out


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """``k x k`` counts: row = true class, column = predicted class."""
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)), 1)
    return cm


def per_class_scores(cm: np.ndarray, names: list[str]) -> list[dict[str, Any]]:
    """Precision, recall, F1 and support of every class from a confusion matrix."""
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0).astype(np.float64)
    actual = cm.sum(axis=1).astype(np.float64)
    out = []
    for i, name in enumerate(names):
        p = tp[i] / predicted[i] if predicted[i] else 0.0
        r = tp[i] / actual[i] if actual[i] else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out.append(
            {
                "class": name,
                "precision": float(p),
                "recall": float(r),
                "f1": float(f1),
                "support": int(actual[i]),
            }
        )
    return out


def r2_score(y_true: np.ndarray | None, y_pred: np.ndarray | None) -> float:
    """Coefficient of determination (0 when the targets are constant)."""
    assert y_true is not None and y_pred is not None
    ss_res = float(np.sum((y_true - y_pred) ** 2))
    ss_tot = float(np.sum((y_true - np.mean(y_true)) ** 2))
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else 0.0


def predicted_classes(pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class index and confidence of each prediction (one sigmoid unit: threshold 0.5)."""
    pred = np.asarray(pred, dtype=np.float64)
    if pred.ndim == 1 or pred.shape[-1] == 1:
        p = pred.reshape(-1)
        cls = (p >= 0.5).astype(np.int64)
        return cls, np.where(cls == 1, p, 1.0 - p)
    flat = pred.reshape(-1, pred.shape[-1])
    return np.argmax(flat, axis=-1), np.max(flat, axis=-1)


def evaluate(
    model: Any,
    data: TrainingData,
    batch_size: int = 256,
    max_misclassified: int = MAX_MISCLASSIFIED,
) -> Evaluation | None:
    """Evaluate ``model`` on the test split (or validation); ``None`` without either."""
    split = data.eval_split()
    if split is None:
        return None
    name, (x, y) = split
    metrics = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    metrics = {k: float(v) for k, v in metrics.items()}
    pred = model.predict(x, batch_size=batch_size, verbose=0)
    if isinstance(pred, list | tuple):
        pred, y = pred[0], (y[0] if isinstance(y, list | tuple) else y)
    elif isinstance(pred, dict):
        key = next(iter(pred))
        pred, y = pred[key], (y[key] if isinstance(y, dict) else y)
    pred = np.asarray(pred)
    y = np.asarray(y)
    n = int(len(y))
    if data.task == "classification":
        return _classification(name, metrics, n, x, y, pred, data.class_names, max_misclassified)
    if data.task == RECONSTRUCTION:
        return _reconstruction(name, metrics, n, y, pred)
    y_true = y.reshape(n, -1)[:, 0].astype(np.float64)
    y_pred = pred.reshape(n, -1)[:, 0].astype(np.float64)
    if n > MAX_POINTS:
        keep = np.linspace(0, n - 1, MAX_POINTS).astype(np.int64)
        y_true, y_pred = y_true[keep], y_pred[keep]
    return Evaluation(name, "regression", metrics, n, y_true=y_true, y_pred=y_pred)


def _classification(
    split: str,
    metrics: dict[str, float],
    n: int,
    x: Any,
    y: np.ndarray,
    pred: np.ndarray,
    names: list[str] | None,
    max_misclassified: int,
) -> Evaluation:
    true = class_indices(y)
    guess, confidence = predicted_classes(pred)
    k = max(
        2 if pred.ndim == 1 or pred.shape[-1] == 1 else pred.shape[-1],
        int(true.max()) + 1 if true.size else 0,
        len(names or []),
    )
    labels = list(names or [])[:k] + [str(i) for i in range(len(names or []), k)]
    cm = confusion_matrix(true, guess, k)
    wrong = np.flatnonzero(true != guess)
    wrong = wrong[np.argsort(-confidence[wrong], kind="stable")][:max_misclassified]
    first_x = (
        x
        if not isinstance(x, list | tuple | dict)
        else (next(iter(x.values())) if isinstance(x, dict) else x[0])
    )
    first_x = np.asarray(first_x)
    samples = [
        Misclassified(int(i), first_x[i].copy(), int(true[i]), int(guess[i]), float(confidence[i]))
        for i in wrong
    ]
    return Evaluation(
        split, "classification", metrics, n, labels, cm, per_class_scores(cm, labels), samples
    )


def _reconstruction(
    split: str, metrics: dict[str, float], n: int, y: np.ndarray, pred: np.ndarray
) -> Evaluation:
    """Each sample's mean squared error against its own input (the targets), and the worst."""
    target = y.reshape(n, -1).astype(np.float64)
    output = pred.reshape(n, -1).astype(np.float64)
    errors = np.mean((output - target) ** 2, axis=1) if n else np.zeros(0)
    worst = np.argsort(-errors, kind="stable")[:MAX_WORST]
    samples = [
        Reconstruction(int(i), y[i].copy(), pred[i].reshape(y[i].shape).copy(), float(errors[i]))
        for i in worst
    ]
    return Evaluation(split, RECONSTRUCTION, metrics, n, errors=errors, worst=samples)
