"""EventSource: the one way core objects (the graph, the project) announce their changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Listener = Callable[[str, Any], None]


class EventSource:
    """``subscribe(listener)``; every change calls ``listener(event, payload)``."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(event, payload)`` after every change."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Stop calling ``listener``."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: str, payload: Any) -> None:
        for listener in list(self._listeners):
            listener(event, payload)
