"""One task-state protocol for every long piece of work in the core.

A task (a data scan, an export, a training run) receives a :class:`TaskState` and talks to
whoever watches it through it, from any thread:

* **progress** — :meth:`TaskState.report` ``(done, total, text)``, throttled to at most
  one report every ``interval`` seconds (the first and the last always go through); it also
  checks for cancellation;
* **partial results / events** — :meth:`TaskState.emit` with small plain dicts (a
  ``"type"`` key), queued for :meth:`TaskState.drain` and/or passed to a listener;
* **cancel** — :meth:`TaskState.request_stop` on the watcher's side, :attr:`stop_requested`
  or :meth:`check` (raises :class:`Cancelled`) on the task's side;
* **pause** — :meth:`request_pause` / :meth:`resume`, and :meth:`wait_while_paused` in the
  task between steps.

Events and progress are plain data (JSON-able dicts, numbers, strings), so a task can later
run in another process and its state be relayed over a pipe unchanged.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]
ProgressFn = Callable[[int, int], None]
CancelledFn = Callable[[], bool]
TextProgressFn = Callable[[float, str], None]


class Cancelled(Exception):
    """The watcher asked the task to stop."""

    def __init__(self, message: str = "cancelled"):
        super().__init__(message)


class TaskState:
    """Progress, events, a cancel flag and a pause gate, safe to share between threads.

    ``listener`` (optional) is called with each event on the reporting thread; events are
    also queued for :meth:`drain` unless ``keep_events`` is false.  ``progress`` and
    ``cancelled`` are the older callback pair ``progress(done, total)`` and ``cancelled()``:
    the first receives the throttled progress, the second is asked by :attr:`stop_requested`.
    """

    #: what :meth:`check` raises (a module may name its own subclass of ``Exception``)
    cancelled_error: type[Exception] = Cancelled

    def __init__(
        self,
        listener: Callable[[Event], None] | None = None,
        *,
        keep_events: bool = True,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
        interval: float = 0.05,
    ) -> None:
        self._listener = listener
        self._keep = keep_events
        self._events: collections.deque[Event] = collections.deque()
        self._cond = threading.Condition()
        self._stop = False
        self._pause = False
        self._progress_fn = progress
        self._cancelled_fn = cancelled
        self._interval = interval
        self._last = 0.0
        self.stop_reason: str | None = None
        self.progress: tuple[float, float, str] = (0.0, 0.0, "")

    # -- the task's side ----------------------------------------------------------------
    def emit(self, event: Event) -> None:
        """Publish one event or partial result (``deque.append`` is atomic: no lock)."""
        if self._keep:
            self._events.append(event)
        if self._listener is not None:
            self._listener(event)

    def report(self, done: float, total: float, text: str = "", force: bool = False) -> bool:
        """Check for cancellation (raises), then :meth:`set_progress`."""
        self.check()
        return self.set_progress(done, total, text, force=force)

    def set_progress(self, done: float, total: float, text: str = "", force: bool = False) -> bool:
        """Record progress and pass it on (throttled); True when it was passed on.

        The latest value is always readable as :attr:`progress`; the ``progress`` callback
        and a ``{"type": "progress"}`` event go out at most once per ``interval`` (the first
        and the last always do).
        """
        self.progress = (done, total, text)
        now = time.monotonic()
        if not (force or done <= 0 or done >= total or now - self._last >= self._interval):
            return False
        self._last = now
        if self._progress_fn is not None:
            self._progress_fn(int(done), int(total))
        if self._keep or self._listener is not None:
            self.emit({"type": "progress", "done": done, "total": total, "text": text})
        return True

    def check(self) -> None:
        """Raise :attr:`cancelled_error` if the watcher asked to stop."""
        if self.stop_requested:
            raise self.cancelled_error()

    def wait_while_paused(self, timeout: float | None = None) -> float:
        """Block while paused (returns at once when not); wakes on resume, stop or after
        ``timeout`` seconds.

        Returns the seconds spent waiting, so the task can leave them out of its timings.
        """
        if not self._pause:
            return 0.0
        start = time.monotonic()
        with self._cond:
            while self._pause and not self.stop_requested:
                left = 0.5 if timeout is None else min(0.5, start + timeout - time.monotonic())
                if left <= 0:
                    break
                self._cond.wait(timeout=left)
        return time.monotonic() - start

    # -- the watcher's side (any thread) ------------------------------------------------
    def drain(self, limit: int | None = None) -> list[Event]:
        """Take the queued events, oldest first (at most ``limit``)."""
        out: list[Event] = []
        pop = self._events.popleft
        while self._events and (limit is None or len(out) < limit):
            try:
                out.append(pop())
            except IndexError:  # pragma: no cover - raced with another drain
                break
        return out

    def request_stop(self, reason: str = "stopped by the user") -> None:
        """Ask the task to stop at its next check (also wakes a paused task)."""
        with self._cond:
            if not self._stop:
                self.stop_reason = reason
            self._stop = True
            self._cond.notify_all()

    cancel = request_stop

    def request_pause(self) -> None:
        """Ask the task to wait at its next pause point until :meth:`resume`."""
        with self._cond:
            self._pause = True

    def resume(self) -> None:
        """Let a paused task go on."""
        with self._cond:
            self._pause = False
            self._cond.notify_all()

    @property
    def stop_requested(self) -> bool:
        """True once someone asked the task to stop."""
        if not self._stop and self._cancelled_fn is not None and self._cancelled_fn():
            self._stop = True
            self.stop_reason = self.stop_reason or "cancelled"
        return self._stop

    @property
    def pause_requested(self) -> bool:
        """True while a pause is requested and not yet resumed."""
        return self._pause


def text_progress(state: TaskState | None) -> TextProgressFn:
    """A ``progress(fraction, text)`` callback that reports into ``state`` (or nowhere)."""
    if state is None:
        return lambda fraction, text: None

    def report(fraction: float, text: str) -> None:
        state.set_progress(fraction, 1.0, text, force=True)

    return report


def eta_seconds(done: float, total: float | None, elapsed: float) -> float | None:
    """Seconds left for ``total`` units of work at the pace so far (``None`` if unknown)."""
    if not total or done <= 0 or elapsed <= 0:
        return None
    return max(0.0, elapsed * (total - done) / done)


def format_duration(seconds: float | None) -> str:
    """``"1:02:03"``, ``"2:03"`` or ``"--:--"`` when unknown."""
    if seconds is None:
        return "--:--"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
