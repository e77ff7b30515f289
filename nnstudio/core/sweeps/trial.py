"""One trial of a sweep: a run of the one training job (:func:`~nnstudio.core.training.job.
execute`) with the trial's values, its epochs reported to the Optuna trial, stopped after the
current epoch when the pruner says so, and summed up as a :class:`~.results.TrialResult`."""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path
from typing import Any

from nnstudio.core.sweeps.results import TrialResult
from nnstudio.core.tasks import TaskState

#: a trial's job failing in one of these steps fails every trial: the sweep ends
FATAL_STAGES = ("job", "data", "device")


class TrialState(TaskState):
    """A trial's task state: every event goes on to the sweep's state, the trial stops when
    the sweep is stopped (with its reason) or when :meth:`prune` is called, and pauses
    while the sweep is paused."""

    def __init__(self, parent: TaskState, on_epoch: Any = None) -> None:
        super().__init__(self._relay, keep_events=False)
        self.parent = parent
        self.on_epoch = on_epoch
        self.pruned = False

    def _relay(self, event: dict[str, Any]) -> None:
        self.parent.emit(event)
        if event.get("type") == "epoch" and self.on_epoch is not None:
            self.on_epoch(event)

    def prune(self, reason: str) -> None:
        """End the trial after the current epoch (recorded as pruned)."""
        self.pruned = True
        self.request_stop(reason)

    @property
    def stop_requested(self) -> bool:
        """True once the trial is pruned or the sweep is stopped."""
        if not self._stop and self.parent.stop_requested:
            self.request_stop(self.parent.stop_reason or "stopped")
        return self._stop

    @property
    def pause_requested(self) -> bool:
        """True while the sweep is paused."""
        return self.parent.pause_requested

    def wait_while_paused(self, timeout: float | None = None) -> float:
        """Wait while the sweep is paused (see :meth:`TaskState.wait_while_paused`)."""
        return self.parent.wait_while_paused(timeout)


class DataCache:
    """The sweep's prepared data, reused by the trials that share a batch size and seed
    (a few kept); ``None`` for the job to prepare when there is nothing to prepare."""

    KEEP = 4

    def __init__(self, data_json: dict[str, Any] | None) -> None:
        self.data_json = data_json
        self._cache: dict[tuple[int, int | None], Any] = {}

    def get(self, config_json: dict[str, Any], state: TaskState) -> Any:
        """The data of a trial with these training settings; :class:`DataProblem` if the
        data cannot be prepared."""
        from nnstudio.core.data import Cancelled, DataConfig, DataError, prepare
        from nnstudio.core.training.config import TrainingConfig
        from nnstudio.core.training.data import TrainingData

        if self.data_json is None:
            return None
        config = TrainingConfig.from_json(config_json)
        key = (config.batch_size, config.seed)
        if key not in self._cache:
            state.emit({"type": "log", "level": "info", "text": "Preparing the data…"})
            try:
                prepared = prepare(
                    DataConfig.from_json(self.data_json),
                    batch_size=config.batch_size,
                    seed=config.seed,
                    cancelled=lambda: state.stop_requested,
                )
            except Cancelled:
                raise DataProblem("Stopped while the data was being prepared.", True) from None
            except DataError as exc:
                raise DataProblem(f"The data cannot be used: {exc}") from None
            while len(self._cache) >= self.KEEP:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = TrainingData.from_prepared(prepared)
        return self._cache[key]


class DataProblem(Exception):
    """The sweep's data cannot be prepared (``stopped``: the user stopped it meanwhile)."""

    def __init__(self, message: str, stopped: bool = False) -> None:
        super().__init__(message)
        self.stopped = stopped


class Pruning:
    """Reports each epoch's metric to the Optuna trial and prunes the trial when told."""

    def __init__(self, trial: Any, metric: str, pruner: str, direction: str) -> None:
        self.trial, self.metric, self.pruner, self.direction = trial, metric, pruner, direction
        self.state: TrialState | None = None
        self.last: float | None = None

    def __call__(self, event: dict[str, Any]) -> None:
        logs = event.get("logs") or {}
        value = metric_value(logs, self.metric)
        if value is None or not math.isfinite(value):
            return
        epoch = int(event["epoch"])
        self.last = value
        self.trial.report(value, step=epoch + 1)
        if self.pruner != "none" and self.trial.should_prune() and self.state is not None:
            self.state.prune(f"pruned by the {self.pruner} pruner")


def metric_value(logs: dict[str, Any], metric: str) -> float | None:
    """The metric in ``logs``, or its training counterpart when there is no validation."""
    if metric in logs:
        return float(logs[metric])
    if metric.startswith("val_") and metric[4:] in logs:
        return float(logs[metric[4:]])
    return None


def run_trial(
    job: Any, state: TaskState, pruning: Pruning, number: int, params: dict[str, Any]
) -> tuple[TrialResult, Any]:
    """Run ``job`` as trial ``number``; returns its result and the job's outcome."""
    from nnstudio.core.training.job import execute

    if job.run_dir is not None and Path(job.run_dir).is_dir():
        shutil.rmtree(job.run_dir, ignore_errors=True)  # a re-run replaces a stopped one
    trial_state = TrialState(state, pruning)
    pruning.state = trial_state
    started = time.monotonic()
    outcome = execute(job, trial_state)
    result = summarise(outcome, number, params, pruning, trial_state)
    result.elapsed_s = round(time.monotonic() - started, 3)
    return result, outcome


def summarise(
    outcome: Any, number: int, params: dict[str, Any], pruning: Pruning, state: TrialState
) -> TrialResult:
    """The :class:`TrialResult` of a job's outcome."""
    result = TrialResult(number=number, params=dict(params), message=outcome.message)
    run = outcome.result
    if run is None:
        result.status = "failed"
        return result
    result.final, result.best = run.final(), run.best()
    result.epochs = run.epochs_completed
    result.value = metric_value(result.best, pruning.metric)
    result.record = outcome.record
    result.folder = outcome.where
    status = str(run.status)
    if state.pruned and not state.parent.stop_requested:
        result.status = "pruned"
        shown = f" ({pruning.metric} {pruning.last:.4g})" if pruning.last is not None else ""
        result.message = f"pruned by the {pruning.pruner} pruner after epoch {result.epochs}{shown}"
    elif status == "stopped":
        result.status = "stopped"
    elif status == "completed" and result.value is not None:
        result.status = "completed"
    else:
        result.status = "failed"
    return result
