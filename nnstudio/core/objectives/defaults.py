"""The one default rule: which loss and metrics suit a task, and which task an output
layer serves.  The inspector (a new output) and the data fit both ask here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.core.objectives.losses import LOSSES


def default_loss_and_metrics(
    task: str, num_outputs: int | None = None, one_hot: bool = False
) -> tuple[str, list[str]]:
    """The loss and metrics for ``task``: cross-entropy and accuracy for classes (binary
    cross-entropy for one output unit or the ``binary`` task, categorical for one-hot
    targets), MSE and MAE for values and reconstructions.  ``num_outputs`` is the number of
    output units where known."""
    if task == "binary" or (task == "classification" and num_outputs == 1):
        return "binary_crossentropy", ["accuracy"]
    if task == "classification":
        if one_hot:
            return "categorical_crossentropy", ["accuracy"]
        return "sparse_categorical_crossentropy", ["accuracy"]
    return "mse", ["mae"]


def output_task(layer_key: str, params: Mapping[str, Any]) -> str:
    """The task an output layer looks made for: softmax -> classification, sigmoid ->
    binary, anything else -> regression."""
    activation = params.get("activation")
    if activation == "softmax" or layer_key == "Softmax":
        return "classification"
    if activation == "sigmoid":
        return "binary"
    return "regression"


def loss_suits(loss: str, task: str) -> bool:
    """Whether a loss (name or alias) suits ``task``; unknown names are not judged (True)."""
    entry = LOSSES.find(loss)
    return entry is None or entry.suits(task)
