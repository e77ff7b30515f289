"""The training window's side of a run: a :class:`~nnstudio.ui.tasks.Task` running
:func:`nnstudio.core.training.job.execute`.

The job (:class:`~nnstudio.core.training.job.TrainingJob`) and its outcome
(:class:`~nnstudio.core.training.job.RunOutcome`) live in the core, shared with
``nnstudio train``; this module only relays the run's events (batched by the task's GUI
timer, ~30 Hz) and its outcome as signals.  Qt objects are touched on the GUI thread only.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal

from nnstudio.core.tasks import TaskState
from nnstudio.core.training.job import RunOutcome, TrainingJob, execute
from nnstudio.ui.tasks import DRAIN_INTERVAL_MS, Task

log = logging.getLogger(__name__)

__all__ = ["DRAIN_INTERVAL_MS", "RunOutcome", "TrainingJob", "TrainingWorker", "execute_job"]


def execute_job(job: TrainingJob, state: TaskState) -> RunOutcome:
    """Run ``job`` to the end on the calling thread; never raises (the core's ``execute``)."""
    return execute(job, state)


def _run(state: TaskState, job: TrainingJob) -> RunOutcome:
    return execute(job, state)


class TrainingWorker(QObject):
    """Starts a :class:`TrainingJob` on a thread and relays its events and outcome.

    Signals: ``started()``, ``events(list[dict])`` (in order, at most ~30 times a second),
    ``finished(RunOutcome)`` (after the last events).
    """

    started = Signal()
    events = Signal(list)
    finished = Signal(object)

    def __init__(self, parent: QObject | None = None, interval_ms: int = DRAIN_INTERVAL_MS) -> None:
        super().__init__(parent)
        self.state: TaskState | None = None
        self._interval = interval_ms
        self._task: Task | None = None

    def is_running(self) -> bool:
        """True from :meth:`start` until ``finished`` is emitted."""
        return self._task is not None

    def is_paused(self) -> bool:
        """True while a pause is requested."""
        return self.state is not None and self.state.pause_requested

    def start(self, job: TrainingJob) -> None:
        """Run ``job`` in the background (``RuntimeError`` if a run is active)."""
        if self._task is not None:
            raise RuntimeError("a training run is already active")
        self.state = TaskState()
        task = Task(
            _run,
            job,
            parent=self,
            state=self.state,
            name="nnstudio-training",
            interval_ms=self._interval,
        )
        task.events.connect(self.events)
        # bound methods, not lambdas: a lambda slot on a deleted sender crashes PySide6
        task.result.connect(self._on_result)
        task.error.connect(self._on_error)
        self._task = task
        task.start()
        self.started.emit()

    def pause(self) -> None:
        """Pause after the current batch."""
        if self.state is not None:
            self.state.request_pause()

    def resume(self) -> None:
        """Continue a paused run."""
        if self.state is not None:
            self.state.resume()

    def stop(self) -> None:
        """Stop after the current batch (the run keeps its completed epochs)."""
        if self.state is not None:
            self.state.request_stop()

    def shutdown(self, timeout_ms: int = 60_000) -> bool:
        """Stop the run and wait for its thread; the outcome is delivered before returning.

        Returns False if the thread did not end in time.
        """
        task = self._task
        if task is None:
            return True
        return task.shutdown(timeout_ms)

    def _on_result(self, outcome: RunOutcome) -> None:
        self._finish(self.sender(), outcome)

    def _on_error(self, exc: BaseException) -> None:
        task = self.sender()
        self._finish(task, _crashed(exc, task))

    def _finish(self, task: Any, outcome: RunOutcome) -> None:
        # Only the current task's outcome counts (a late one from an old task is dropped).
        if task is not self._task:
            return
        self._task = None
        task.deleteLater()
        self.finished.emit(outcome)


def _crashed(exc: BaseException, task: Any) -> RunOutcome:
    """``execute`` never raises; this covers what it cannot catch (e.g. SystemExit)."""
    return RunOutcome(
        error=f"Training could not run: {type(exc).__name__}: {exc}",
        stage="job",
        traceback=getattr(task, "traceback", None),
    )
