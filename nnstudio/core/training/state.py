"""RunState: the thread-safe link between a running training and whoever watches it.

The run calls :meth:`RunState.report` with small event dicts and asks :meth:`stop_requested`
and :meth:`wait_while_paused` between batches; any other thread may call
:meth:`request_stop`, :meth:`request_pause`, :meth:`resume` and :meth:`drain`.

Events are plain dicts with a ``"type"``: ``start``, ``batch``, ``epoch``, ``probe``,
``weights``, ``paused``, ``resumed``, ``log``, ``end`` (see :mod:`.callbacks`).
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]


class RunState:
    """Progress reports, a cancel flag and a pause gate, safe to share between threads.

    ``listener`` (optional) is called with each event on the reporting thread; events are
    also queued for :meth:`drain` unless ``keep_events`` is false.
    """

    def __init__(
        self, listener: Callable[[Event], None] | None = None, *, keep_events: bool = True
    ) -> None:
        self._listener = listener
        self._keep = keep_events
        self._events: collections.deque[Event] = collections.deque()
        self._cond = threading.Condition()
        self._stop = False
        self._pause = False
        self.stop_reason: str | None = None

    # -- reporting (the run's side) -----------------------------------------------------
    def report(self, event: Event) -> None:
        """Publish one event (``deque.append`` is atomic: no lock on the hot path)."""
        if self._keep:
            self._events.append(event)
        if self._listener is not None:
            self._listener(event)

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

    # -- control (any thread) -----------------------------------------------------------
    def request_stop(self, reason: str = "stopped by the user") -> None:
        """Ask the run to stop after the current batch (also wakes a paused run)."""
        with self._cond:
            if not self._stop:
                self.stop_reason = reason
            self._stop = True
            self._cond.notify_all()

    def request_pause(self) -> None:
        """Ask the run to wait after the current batch until :meth:`resume`."""
        with self._cond:
            self._pause = True

    def resume(self) -> None:
        """Let a paused run go on."""
        with self._cond:
            self._pause = False
            self._cond.notify_all()

    @property
    def stop_requested(self) -> bool:
        """True once someone asked the run to stop."""
        return self._stop

    @property
    def pause_requested(self) -> bool:
        """True while a pause is requested and not yet resumed."""
        return self._pause

    def wait_while_paused(self) -> float:
        """Block while paused (returns at once when not); wakes on resume or stop.

        Returns the seconds spent waiting, so the run can leave them out of its timings.
        """
        if not self._pause:
            return 0.0
        start = time.monotonic()
        with self._cond:
            while self._pause and not self._stop:
                self._cond.wait(timeout=0.5)
        return time.monotonic() - start


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
