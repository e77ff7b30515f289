"""The bridge between the GUI and a training run on a ``QThread``.

The thread runs :func:`execute_job` — prepare the data, build and compile the model, call the
core's ``run_training``, evaluate, write the run folder — and hands back a
:class:`RunOutcome` through a queued signal.  The run reports into a thread-safe
:class:`~nnstudio.core.training.state.RunState`; a GUI timer (~30 Hz) drains it and emits the
events in batches, so a fast model cannot flood the event loop.  Qt objects are touched on
the GUI thread only.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from nnstudio.core.graph.model import Graph
from nnstudio.core.training.config import TrainingConfig
from nnstudio.core.training.state import RunState

log = logging.getLogger(__name__)

DRAIN_INTERVAL_MS = 33


@dataclass
class TrainingJob:
    """What a run needs: a private copy of the graph, the settings, and the data — ready
    (``data``, a ``TrainingData``) or as the project's data source (``data_config`` JSON),
    prepared on the worker thread.  ``project`` gives the run folder's place."""

    graph: Graph
    config: TrainingConfig
    project: Any
    data: Any = None
    data_config: dict[str, Any] | None = None
    record: bool = True


@dataclass
class RunOutcome:
    """How a job ended: the run's result (``None`` if it never started), its evaluation, the
    run record to append to the project, or the reason it could not start."""

    result: Any = None
    evaluation: Any = None
    record: dict[str, Any] | None = None
    error: str | None = None
    traceback: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """The run's status, or ``failed`` when it could not start."""
        return self.result.status if self.result is not None else "failed"

    @property
    def message(self) -> str:
        """One line for the user."""
        if self.error:
            return self.error
        return self.result.message if self.result is not None else ""


def execute_job(job: TrainingJob, state: RunState) -> RunOutcome:
    """Run ``job`` to the end on the calling thread; never raises."""
    try:
        return _execute(job, state)
    except Exception as exc:  # noqa: BLE001 - the thread must always hand back an outcome
        tb = "".join(traceback.format_exception(exc))
        log.error("training job failed:\n%s", tb)
        return RunOutcome(
            error=f"Training could not run: {type(exc).__name__}: {exc}", traceback=tb
        )


def _execute(job: TrainingJob, state: RunState) -> RunOutcome:
    from nnstudio.core.compiler import CompileError
    from nnstudio.core.training.evaluation import evaluate
    from nnstudio.core.training.run import prepare_model, run_training
    from nnstudio.core.training.runs import record_run

    config = job.config
    data = job.data
    if data is None:
        data, error = _prepare_data(job, state)
        if error is not None:
            return RunOutcome(error=error)
    try:
        model = prepare_model(job.graph, config, data)
    except CompileError as exc:
        return RunOutcome(error=f"The model cannot be built: {exc}")
    except ValueError as exc:  # e.g. a device that is not there
        return RunOutcome(error=str(exc))
    result = run_training(model, data, config, state)
    outcome = RunOutcome(result=result)
    if result.epochs_completed:
        try:
            state.report({"type": "log", "level": "info", "text": "Evaluating…"})
            outcome.evaluation = evaluate(model, data, batch_size=config.batch_size)
        except Exception as exc:  # noqa: BLE001 - a failed evaluation keeps the run
            log.exception("evaluation failed")
            outcome.notes.append(f"The evaluation failed: {type(exc).__name__}: {exc}")
    if job.record:
        try:
            outcome.record = record_run(
                job.project,
                result,
                config,
                data=data,
                graph_outputs=job.graph.outputs,
                evaluation=outcome.evaluation,
                append=False,
            )
        except OSError as exc:
            outcome.notes.append(f"The run could not be written to disk: {exc}")
    return outcome


def _prepare_data(job: TrainingJob, state: RunState) -> tuple[Any, str | None]:
    from nnstudio.core.data import Cancelled, DataConfig, DataError, prepare
    from nnstudio.core.training.data import TrainingData

    if job.data_config is None:
        return None, "No data to train on: choose a data source in the Data panel."
    state.report({"type": "log", "level": "info", "text": "Preparing the data…"})
    try:
        prepared = prepare(
            DataConfig.from_json(job.data_config),
            batch_size=job.config.batch_size,
            seed=job.config.seed,
            cancelled=lambda: state.stop_requested,
        )
    except Cancelled:
        return None, "Stopped while the data was being prepared."
    except DataError as exc:
        return None, f"The data cannot be used: {exc}"
    return TrainingData.from_prepared(prepared), None


class _JobThread(QThread):
    done = Signal(object)

    def __init__(self, job: TrainingJob, state: RunState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nnstudio-training")
        self.job = job
        self.state = state
        self.outcome: RunOutcome | None = None

    def run(self) -> None:
        self.outcome = execute_job(self.job, self.state)
        self.done.emit(self.outcome)


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
        self.state: RunState | None = None
        self._thread: _JobThread | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._drain)

    def is_running(self) -> bool:
        """True from :meth:`start` until ``finished`` is emitted."""
        return self._thread is not None

    def is_paused(self) -> bool:
        """True while a pause is requested."""
        return self.state is not None and self.state.pause_requested

    def start(self, job: TrainingJob) -> None:
        """Run ``job`` in the background (``RuntimeError`` if a run is active)."""
        if self._thread is not None:
            raise RuntimeError("a training run is already active")
        self.state = RunState()
        self._thread = _JobThread(job, self.state, self)
        self._thread.done.connect(self._on_thread_done)
        self._timer.start()
        self._thread.start()
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
        thread = self._thread
        if thread is None:
            return True
        self.stop()
        if not thread.wait(timeout_ms):
            log.error("the training thread did not stop within %d ms", timeout_ms)
            return False
        if thread.outcome is not None:
            self._finish(thread, thread.outcome)
        return True

    def _drain(self) -> None:
        if self.state is not None:
            batch = self.state.drain()
            if batch:
                self.events.emit(batch)

    def _on_thread_done(self, outcome: RunOutcome) -> None:
        self._finish(self.sender(), outcome)

    def _finish(self, thread: Any, outcome: RunOutcome) -> None:
        # A queued ``done`` can arrive after shutdown() delivered it, or late from an old
        # thread while a new run is active: only the current thread's outcome counts.
        if thread is None or thread is not self._thread:
            return
        thread.wait()
        self._timer.stop()
        self._drain()
        self._thread = None  # the finished QThread stays parented to the worker
        self.finished.emit(outcome)
