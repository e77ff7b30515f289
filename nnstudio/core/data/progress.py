"""Progress and cancellation for data tasks: :mod:`nnstudio.core.tasks`, raising the data
package's :class:`~nnstudio.core.data.errors.Cancelled`."""

from __future__ import annotations

from typing import Any

from nnstudio.core import tasks
from nnstudio.core.data.errors import Cancelled
from nnstudio.core.tasks import CancelledFn, ProgressFn

__all__ = ["CancelledFn", "ProgressFn", "TaskState", "as_state"]


class TaskState(tasks.TaskState):
    """A :class:`nnstudio.core.tasks.TaskState` whose :meth:`check` raises data's
    ``Cancelled`` and which queues no events by default."""

    cancelled_error = Cancelled

    def __init__(self, listener: Any = None, *, keep_events: bool = False, **kw: Any) -> None:
        super().__init__(listener, keep_events=keep_events, **kw)


def as_state(progress: ProgressFn | None = None, cancelled: CancelledFn | None = None) -> TaskState:
    """Build a :class:`TaskState` from the public callback arguments."""
    return TaskState(progress=progress, cancelled=cancelled)
