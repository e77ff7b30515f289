"""NaN/Inf watch: the data before training, the loss every batch, the weights on a budget.

``TerminateOnNaN`` only looks at the loss; a NaN in the inputs of a ReLU net can turn the
weights NaN while the loss stays finite (FACTS.md), so weights are checked too: at every
epoch end, and between epochs as often as a small time budget allows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from nnstudio.core.backend import sync_weights, variable_array
from nnstudio.core.training.frozen import changing_weights


class Diverged(Exception):
    """Training produced NaN or Inf; the message says where (loss or layer, epoch, batch)."""


def first_non_finite(array: Any, name: str = "x") -> str | None:
    """Where the first NaN/Inf of a numeric array is, as ``"x[17, 3] is NaN"``, or ``None``."""
    a = np.asarray(array)
    if a.dtype.kind not in "fc":
        return None
    bad = ~np.isfinite(a)
    if not bad.any():
        return None
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), a.shape))
    value = a[index]
    what = "NaN" if np.isnan(value) else "Inf"
    where = ", ".join(str(i) for i in index)
    return f"{name}[{where}] is {what}"


def check_arrays(arrays: Mapping[str, Any]) -> str | None:
    """The first NaN/Inf among named arrays (``{"inputs": x, "targets": y}``), or ``None``.

    Nested lists/dicts of arrays (multi-input models) are walked with their index or key.
    """
    for name, value in arrays.items():
        for sub_name, sub in _leaves(name, value):
            found = first_non_finite(sub, sub_name)
            if found:
                return found
    return None


def _leaves(name: str, value: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _leaves(f"{name}[{k!r}]", v)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from _leaves(f"{name}[{i}]", v)
    elif value is not None:
        yield name, value


def non_finite_layer(model: Any, watched: list[tuple[str, list[Any]]] | None = None) -> str | None:
    """The name of the first layer holding a NaN/Inf weight (``None`` if all are finite).

    Frozen weights (e.g. a pretrained backbone's) are skipped: training never writes
    them, and a non-finite one shows in the loss at once.  ``watched``: the
    :func:`watched_weights` of the model, when already known."""
    sync_weights(model)
    for name, variables in watched if watched is not None else watched_weights(model):
        for v in variables:
            a = variable_array(v)
            if a.dtype.kind == "f" and not np.isfinite(a).all():
                return name
    return None


def watched_weights(model: Any) -> list[tuple[str, list[Any]]]:
    """``(layer name, weights a fit can change)`` for each layer of ``model`` that has any."""
    pairs = [(layer.name, changing_weights(layer)) for layer in model.layers]
    return [(name, variables) for name, variables in pairs if variables]


#: copies of weights by their index in ``model.weights``
Snapshot = dict[int, np.ndarray]


class WeightKeeper:
    """Copies of the weights a run can change, to put back the ones of an epoch.

    A weight no fit of the run has changed so far is not copied: it still holds its value
    (a frozen backbone's stay uncopied for the whole run).  :meth:`begin` at each fit's
    start notes what this fit can change: a weight that starts to move only now (a
    two-phase run's second fit unfreezes stages) is copied first, so that the snapshots
    taken before it are restored with its value of that time.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self._changing: list[int] = []
        self._held: Snapshot = {}  # changed by an earlier fit, not by this one
        self._before: Snapshot = {}  # each weight's value before its first fit changed it

    def begin(self) -> Snapshot:
        """A fit starts: note what it can change; the snapshot of the weights now."""
        sync_weights(self.model)
        weights = self.model.weights
        ids = {id(v) for v in changing_weights(self.model)}
        now = [i for i, v in enumerate(weights) if id(v) in ids]
        moved = set(self._changing) | set(self._held)
        for i in now:
            if i not in moved:
                self._before[i] = _copy(weights[i])
        self._held = {i: _copy(weights[i]) for i in moved - set(now)}
        self._changing = now
        return self.take()

    def take(self) -> Snapshot:
        """The weights now (those the run has changed or can change)."""
        sync_weights(self.model)
        weights = self.model.weights
        return {**self._held, **{i: _copy(weights[i]) for i in self._changing}}

    def restore(self, snapshot: Snapshot) -> None:
        """Put the weights of ``snapshot`` back into the model."""
        weights = self.model.weights
        for i, value in {**self._before, **snapshot}.items():
            weights[i].assign(value)


def _copy(variable: Any) -> np.ndarray:
    return np.array(variable_array(variable), copy=True)


def non_finite_logs(logs: Mapping[str, Any]) -> str | None:
    """The first logged value that is NaN or Inf (``"loss"``), or ``None``."""
    for key, value in logs.items():
        if isinstance(value, float | int) and not math.isfinite(value):
            return key
    return None


class Cadence:
    """Spreads an occasional task so that it takes at most ``budget`` of the wall time.

    After a task that took ``cost`` seconds, the next one is due ``cost / budget`` seconds
    later (never sooner than ``min_interval``).  ``postpone(seconds)`` pushes the next one
    back, e.g. by the time spent paused.
    """

    def __init__(self, budget: float, min_interval: float = 0.0) -> None:
        self.budget = budget
        self.min_interval = min_interval
        self._due = 0.0
        self.total_cost = 0.0
        self.count = 0

    @property
    def enabled(self) -> bool:
        """False when the budget is zero."""
        return self.budget > 0

    def due(self, now: float | None = None) -> bool:
        """True when the task may run now."""
        return self.enabled and (time.perf_counter() if now is None else now) >= self._due

    def done(self, started: float, now: float | None = None) -> None:
        """Record a task that began at ``started`` (``time.perf_counter()``) and just ended."""
        end = time.perf_counter() if now is None else now
        cost = max(0.0, end - started)
        self.total_cost += cost
        self.count += 1
        self._due = end + max(self.min_interval, cost / self.budget if self.budget else 0.0)

    def postpone(self, seconds: float) -> None:
        """Move the next due time back by ``seconds``."""
        self._due += seconds


class NanWatch:
    """Checks the loss of every batch and the weights on a budget; keeps the last finite
    weights (taken at the end of each checked-clean epoch by the caller)."""

    def __init__(self, model: Any, budget: float = 0.01) -> None:
        self.model = model
        self.cadence = Cadence(budget, min_interval=0.05)
        self._watched = watched_weights(model)  # what can change stays so for a fit

    def check_batch(self, logs: Mapping[str, Any], epoch: int, batch: int) -> None:
        """Raise :class:`Diverged` if a logged value or (when due) a weight is NaN/Inf."""
        bad = non_finite_logs(logs)
        if bad is not None:
            raise Diverged(
                f"{bad} became {_what(logs[bad])} at epoch {epoch + 1}, batch "
                f"{batch + 1}: the training diverged (try a smaller learning "
                "rate, and check the data for extreme values)"
            )
        if self.cadence.due():
            started = time.perf_counter()
            layer = non_finite_layer(self.model, self._watched)
            self.cadence.done(started)
            if layer is not None:
                raise Diverged(self._weights_message(layer, epoch, batch))

    def check_weights(self, epoch: int, batch: int | None = None) -> None:
        """Check every weight now (at an epoch end)."""
        layer = non_finite_layer(self.model, self._watched)
        if layer is not None:
            raise Diverged(self._weights_message(layer, epoch, batch))

    @staticmethod
    def _weights_message(layer: str, epoch: int, batch: int | None) -> str:
        at = f"epoch {epoch + 1}" + (f", batch {batch + 1}" if batch is not None else "")
        return (
            f"the weights of layer '{layer}' became NaN or Inf at {at}: the training "
            "diverged (check the data for NaN/Inf values, or lower the learning rate)"
        )


def _what(value: Any) -> str:
    return "NaN" if isinstance(value, float) and math.isnan(value) else "Inf"
