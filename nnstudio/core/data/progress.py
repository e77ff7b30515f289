"""Progress reporting and cooperative cancellation for long data tasks."""

from __future__ import annotations

import time
from collections.abc import Callable

from nnstudio.core.data.errors import Cancelled

ProgressFn = Callable[[int, int], None]
CancelledFn = Callable[[], bool]


class TaskState:
    """Wraps the optional ``progress(done, total)`` and ``cancelled()`` callbacks.

    Progress calls are throttled to at most one every ``interval`` seconds
    (the first and the last always go through).
    """

    def __init__(
        self,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
        interval: float = 0.05,
    ):
        self._progress = progress
        self._cancelled = cancelled
        self._interval = interval
        self._last = 0.0

    def check(self) -> None:
        """Raise :class:`Cancelled` if the caller asked to stop."""
        if self._cancelled is not None and self._cancelled():
            raise Cancelled()

    def report(self, done: int, total: int, force: bool = False) -> None:
        """Report progress (throttled) and check for cancellation."""
        self.check()
        if self._progress is None:
            return
        now = time.monotonic()
        if force or done <= 0 or done >= total or now - self._last >= self._interval:
            self._last = now
            self._progress(int(done), int(total))


def as_state(progress: ProgressFn | None = None, cancelled: CancelledFn | None = None) -> TaskState:
    """Build a :class:`TaskState` from the public callback arguments."""
    return TaskState(progress, cancelled)
