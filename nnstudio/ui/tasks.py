"""One bridge between the GUI and background work: run a core function on a thread.

In the spirit of napari's ``create_worker`` and Orange's ``ConcurrentMixin``::

    task = Task(core_function, arg, parent=self)      # core_function(state, arg)
    task.progress.connect(...)   # (done, total, text), throttled by the TaskState
    task.events.connect(...)     # list of partial results / events, in order, ~30 Hz
    task.result.connect(...)     # the return value
    task.error.connect(...)      # the exception (its traceback text in ``task.traceback``)
    task.finished.connect(...)   # always last
    task.start()

Connect bound methods, not lambdas that capture ``self``: PySide6 can crash when a lambda
slot outlives a deleted sender (seen with ``deleteLater`` of a finished task).

The function receives a :class:`~nnstudio.core.tasks.TaskState` as its first argument (it
reports progress, emits events and asks for cancel and pause through it); every signal is
delivered on the GUI thread (queued), and the events are drained by a GUI timer so a fast
task cannot flood the event loop.  The cyclic garbage collector runs on the GUI thread only
(:mod:`nnstudio.ui.collector`); ``pause_gc=True`` holds its collections off while the task
runs, after one full collection before the thread starts: a collection on the GUI thread can
finalize TensorFlow objects whose destructors wait for a lock that TensorFlow's converters
hold on the task's thread.  :func:`live_tasks` lists the tasks whose thread has not
been joined yet (the tests fail when one is left running).
"""

from __future__ import annotations

import logging
import traceback
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from nnstudio.core.tasks import Cancelled, TaskState
from nnstudio.ui import collector

log = logging.getLogger(__name__)

DRAIN_INTERVAL_MS = 33
_LIVE: weakref.WeakSet[Task] = weakref.WeakSet()


def live_tasks() -> list[Task]:
    """The tasks started and not yet finished (their thread not joined)."""
    return [t for t in list(_LIVE) if t.is_running()]


class _Thread(QThread):
    done = Signal()  # the outcome stays on the thread object: nothing crosses in the signal

    def __init__(self, call: Callable[[], Any], name: str, parent: QObject) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._call = call
        self.outcome: tuple[bool, Any] | None = None

    def run(self) -> None:
        try:
            outcome: tuple[bool, Any] = (True, self._call())
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread as ``error``
            outcome = (False, exc)
        self.outcome = outcome
        self.done.emit()


class Task(QObject):
    """``fn(state, *args, **kwargs)`` on its own thread, its outcome as queued signals.

    Signals: ``started()``, ``progress(float, float, str)``, ``events(list)``,
    ``result(object)``, ``error(object)`` (the exception), ``finished()``.  Exceptions of
    the ``expected`` types (a cancel) are delivered as ``error`` but not logged.
    """

    started = Signal()
    progress = Signal(float, float, str)
    events = Signal(list)
    result = Signal(object)
    error = Signal(object)
    finished = Signal()

    def __init__(
        self,
        fn: Callable[..., Any],
        *args: Any,
        parent: QObject | None = None,
        state: TaskState | None = None,
        name: str = "nnstudio-task",
        interval_ms: int = DRAIN_INTERVAL_MS,
        expected: tuple[type[BaseException], ...] = (Cancelled,),
        pause_gc: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(parent)
        self._expected = expected
        self._pause_gc = pause_gc
        self.state = state if state is not None else TaskState()
        self.traceback: str | None = None
        self._call = lambda: fn(self.state, *args, **kwargs)
        self._name = name
        self._thread: _Thread | None = None
        self._done = False
        self._last_progress: tuple[float, float, str] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._drain)

    @property
    def name(self) -> str:
        """The thread's name (for logs and the tests' leak report)."""
        return self._name

    # -- control (GUI thread) -----------------------------------------------------------
    def start(self) -> Task:
        """Start the thread (once); returns the task."""
        if self._thread is not None:
            raise RuntimeError("a task starts only once")
        self._thread = _Thread(self._call, self._name, self)
        self._thread.done.connect(self._on_done)
        _LIVE.add(self)
        if self._pause_gc:
            collector.collect_now()  # nothing of the window left for a collection to find
            collector.pause()
        self._timer.start()
        self._thread.start()
        self.started.emit()
        return self

    def is_running(self) -> bool:
        """True from :meth:`start` until ``finished`` is emitted."""
        return self._thread is not None and not self._done

    def cancel(self, reason: str = "stopped by the user") -> None:
        """Ask the function to stop at its next check."""
        self.state.request_stop(reason)

    def pause(self) -> None:
        """Ask the function to wait at its next pause point."""
        self.state.request_pause()

    def resume(self) -> None:
        """Let a paused function go on."""
        self.state.resume()

    def wait(self, timeout_ms: int = 60_000) -> bool:
        """Block until the thread ends and deliver its outcome now; False on timeout."""
        thread = self._thread
        if thread is None or self._done:
            return True
        if not thread.wait(timeout_ms):
            log.error("the %s thread did not end within %d ms", self._name, timeout_ms)
            return False
        if thread.outcome is not None:
            self._finish(*thread.outcome)
        return True

    def join(self, timeout_ms: int = 60_000) -> bool:
        """Block until the thread ends, delivering nothing (the outcome stays queued)."""
        thread = self._thread
        return thread is None or self._done or thread.wait(timeout_ms)

    def shutdown(self, timeout_ms: int = 60_000) -> bool:
        """Cancel, then :meth:`wait`."""
        if self.is_running():
            self.cancel()
        return self.wait(timeout_ms)

    # -- delivery -----------------------------------------------------------------------
    def _drain(self) -> None:
        batch = self.state.drain()
        if batch:
            self.events.emit(batch)
        progress = self.state.progress
        if progress != self._last_progress and progress[1]:
            self._last_progress = progress
            self.progress.emit(*progress)

    def _on_done(self) -> None:
        thread = self._thread
        if thread is not None and thread.outcome is not None:
            self._finish(*thread.outcome)

    def _finish(self, ok: bool, value: Any) -> None:
        # ``done`` is queued: it may arrive after wait() already delivered the outcome.
        if self._done or self._thread is None:
            return
        self._thread.wait()
        self._thread.outcome = None
        self._done = True
        self._timer.stop()
        self._drain()
        _LIVE.discard(self)
        if self._pause_gc:
            collector.resume()
        if ok:
            self.result.emit(value)
        else:
            self.traceback = "".join(traceback.format_exception(value))
            if not isinstance(value, self._expected):  # a cancel is no failure to log
                log.error("%s failed:\n%s", self._name, self.traceback)
            # the frames hold the thread's wrapper: keep the text, let the frames go
            value = value.with_traceback(None)
            self.error.emit(value)
        self.finished.emit()


def run_task(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Task:
    """Create and start a :class:`Task` (see its arguments)."""
    return Task(fn, *args, **kwargs).start()
