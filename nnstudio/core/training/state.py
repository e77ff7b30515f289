"""The training run's task state: :class:`nnstudio.core.tasks.TaskState` under its old name.

The run calls :meth:`~nnstudio.core.tasks.TaskState.emit` with small event dicts and asks
``stop_requested`` and ``wait_while_paused`` between batches; any other thread may call
``request_stop``, ``request_pause``, ``resume`` and ``drain``.

Events are plain dicts with a ``"type"``: ``start``, ``batch``, ``epoch``, ``probe``,
``weights``, ``paused``, ``resumed``, ``log``, ``end`` (see :mod:`.callbacks`).
"""

from __future__ import annotations

from nnstudio.core.tasks import Event, TaskState, eta_seconds, format_duration

RunState = TaskState

__all__ = ["Event", "RunState", "eta_seconds", "format_duration"]
