"""The Keras callback that writes a run's TensorBoard logs (see :mod:`.tensorboard`).

Layout and tags follow Keras' own ``TensorBoard`` callback: ``train/`` holds ``batch_<name>``
of training batches (step: the batch count since the start, from 1), ``epoch_<name>`` and
``epoch_learning_rate`` per epoch (step: the epoch index), the weight histograms
``<weight path>/histogram`` per epoch and the model graph; ``validation/`` holds
``epoch_<name>`` of the validation logs (``val_`` dropped).

Batch scalars are throttled to a time budget, like the activation probes: a batch is written
while the writing so far has taken at most ``batch_budget`` (1 %) of the training time, and
the last batch of every epoch always is (a record costs ~70 µs, mostly the pure-Python
CRC32C of ``tensorboard``'s record writer; a small model's batch can take ~1 ms).
The run passes :data:`BATCH_BUDGET`; ``batch_budget=None`` (the default) writes every batch.
Writing must never stop a run: a failed write logs a warning, reports a ``log`` event and
turns the logs off.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np

from nnstudio.core.backend import variable_array
from nnstudio.core.training.optimizers import current_learning_rate
from nnstudio.core.training.state import RunState
from nnstudio.core.training.tensorboard import TRAIN, VALIDATION, EventWriter, graph_def

log = logging.getLogger("nnstudio.training")

BATCH_BUDGET = 0.01  # share of training time the batch scalars may take


class TensorBoardLogger(keras.callbacks.Callback):
    """Writes scalars per batch and per epoch, weight histograms per epoch and the graph
    into ``log_dir``; :meth:`close` (the run calls it however ``fit`` ends) closes the
    files, so a stopped or failed run keeps what it logged."""

    def __init__(
        self,
        log_dir: str | os.PathLike[str],
        state: RunState | None = None,
        *,
        histograms: bool = True,
        batch_budget: float | None = None,
    ) -> None:
        super().__init__()
        self.log_dir = Path(log_dir)
        self.state = state
        self.histograms = histograms
        self.batch_budget = batch_budget
        self.step = 0
        self.enabled = True
        self._t0 = 0.0
        self._spent = 0.0  # seconds spent writing batch scalars
        self._pending: tuple[int, dict[str, float]] | None = None  # a batch left out
        self._train: EventWriter | None = None
        self._validation: EventWriter | None = None

    # -- fit hooks --------------------------------------------------------------------
    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        """Open the train log and write the model graph."""
        self._guard(self._begin)
        self._t0 = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        """``batch_<name>`` of every logged number, within the time budget."""
        self.step += 1
        if not self.enabled or self._train is None:
            return
        now = time.perf_counter()
        self._pending = (self.step, _numbers(logs))
        if self.batch_budget is None or self._spent <= self.batch_budget * (now - self._t0):
            self._write_pending()
            self._spent += time.perf_counter() - now

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """The epoch's last batch if it was left out, the epoch scalars (train and
        validation), the learning rate, weight histograms."""
        self._write_pending()
        self._guard(self._epoch, epoch, _numbers(logs))

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        """Flush (the run closes the files)."""
        for writer in (self._train, self._validation):
            if writer is not None:
                self._guard(writer.flush)

    def close(self) -> None:
        """Write a batch left out (a run stopped mid-epoch), close the files (a second call
        does nothing)."""
        if self.enabled:
            self._write_pending()
        for writer in (self._train, self._validation):
            if writer is not None:
                try:
                    writer.close()
                except OSError as exc:
                    log.warning("the TensorBoard log could not be closed: %s", exc)

    # -- the writing ------------------------------------------------------------------
    def _write_pending(self) -> None:
        if self._pending is not None and self._train is not None:
            step, values = self._pending
            self._pending = None
            self._guard(self._train.scalars, values, step, "batch_")

    def _begin(self) -> None:
        if self._train is not None:  # a two-phase run's second fit: the same event file
            return
        self._train = EventWriter(self.log_dir / TRAIN)
        try:
            self._train.graph(graph_def(model_nodes(self.model)))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("the TensorBoard graph was left out: %s", exc)
        self._train.flush()

    def _epoch(self, epoch: int, logs: dict[str, float]) -> None:
        if self._train is None:
            return
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        if "learning_rate" not in train:
            lr = current_learning_rate(getattr(self.model, "optimizer", None))
            if lr is not None:
                train["learning_rate"] = lr
        self._train.scalars(train, epoch, "epoch_")
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        if val:
            if self._validation is None:
                self._validation = EventWriter(self.log_dir / VALIDATION)
            self._validation.scalars(val, epoch, "epoch_")
            self._validation.flush()
        if self.histograms:
            for layer in self.model.layers:
                for weight in layer.weights:
                    tag = f"{weight.path.replace(':', '_')}/histogram"
                    self._train.histogram(tag, variable_array(weight), epoch)
        self._train.flush()

    def _guard(self, write: Any, *args: Any) -> None:
        """Run one write; a failure turns the logs off with one warning."""
        if not self.enabled:
            return
        try:
            write(*args)
        except Exception as exc:  # noqa: BLE001 - logging must never stop a run
            self.enabled = False
            text = f"TensorBoard logs are off for this run ({type(exc).__name__}: {exc})"
            log.warning("%s", text)
            if self.state is not None:
                self.state.emit({"type": "log", "level": "warning", "text": text})


def _numbers(logs: Mapping[str, Any] | None) -> dict[str, float]:
    out = {}
    for key, value in (logs or {}).items():
        if isinstance(value, int | float | np.floating | np.integer) and not isinstance(
            value, bool
        ):
            out[key] = float(value)
        elif getattr(value, "shape", None) == ():
            try:
                out[key] = float(value)
            except (TypeError, ValueError):
                continue
    return out


def model_nodes(model: Any) -> list[dict[str, Any]]:
    """The graph nodes of ``model`` (see :func:`.tensorboard.graph_def`): one per layer,
    its inputs from the functional config's ``keras_history`` (a model without one,
    such as a Sequential, is chained in order)."""
    config = model.get_config() if hasattr(model, "get_config") else {}
    inbound = {
        entry.get("name") or entry.get("config", {}).get("name"): _history_names(
            entry.get("inbound_nodes") or []
        )
        for entry in (config or {}).get("layers") or []
        if isinstance(entry, dict)
    }
    nodes, previous = [], None
    for layer in model.layers:
        inputs = inbound.get(layer.name)
        if inputs is None:
            inputs = [previous] if previous else []
        nodes.append(
            {
                "name": layer.name,
                "op": type(layer).__name__,
                "inputs": inputs,
                "output_shapes": _output_shapes(layer),
                "params": layer.count_params() if layer.built else None,
            }
        )
        previous = layer.name
    return nodes


def _history_names(value: Any) -> list[str]:
    """The layer names in every ``keras_history`` inside an inbound-nodes structure."""
    names: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            history = item.get("keras_history")
            if isinstance(history, list | tuple) and history and isinstance(history[0], str):
                if history[0] not in names:
                    names.append(history[0])
                continue
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list | tuple):
            stack.extend(reversed(item))
    return names


def _output_shapes(layer: Any) -> list[list[int | None]]:
    try:
        out = layer.output
    except (AttributeError, ValueError, RuntimeError):
        return []
    tensors = out if isinstance(out, list | tuple) else [out]
    shapes = []
    for t in tensors:
        shape = getattr(t, "shape", None)
        if shape is not None:
            shapes.append([None if d is None else int(d) for d in shape])
    return shapes
