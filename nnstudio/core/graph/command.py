"""The command protocol of every edit: :class:`Command`, :class:`Macro` (several commands as
one undo step) and :class:`History` (a plain undo stack for the CLI and tests).

The graph's edits are in :mod:`.commands`; the project's in :mod:`nnstudio.core.project_commands`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from nnstudio.core.graph.model import Graph


class Command(ABC):
    """Base class: ``text`` names the edit for menus and the history view."""

    text = "Edit"
    merge_id: int = -1  # commands with the same non-negative id may merge (e.g. drags)

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    @abstractmethod
    def redo(self) -> None:
        """Apply the edit."""

    @abstractmethod
    def undo(self) -> None:
        """Revert the edit."""

    def merge(self, other: Command) -> bool:
        """Absorb ``other`` (already applied) into this command; ``True`` if merged."""
        return False


class Macro(Command):
    """Several commands applied as one undo step.

    ``steps`` are callables ``graph -> Command`` evaluated in order on the first ``redo``, so
    each step sees the graph as the previous one left it; later redos replay the same commands.
    """

    def __init__(self, graph: Graph, text: str, steps: Sequence[Any]) -> None:
        super().__init__(graph)
        self.text = text
        self._steps = list(steps)
        self._done: list[Command] | None = None

    def redo(self) -> None:
        if self._done is None:
            done: list[Command] = []
            try:
                for step in self._steps:
                    cmd = step if isinstance(step, Command) else step(self.graph)
                    cmd.redo()
                    done.append(cmd)
            except Exception:
                for cmd in reversed(done):
                    cmd.undo()
                raise
            self._done = done
        else:
            for cmd in self._done:
                cmd.redo()

    def undo(self) -> None:
        for cmd in reversed(self._done or []):
            cmd.undo()

    @property
    def commands(self) -> list[Command]:
        """The commands applied (after the first ``redo``)."""
        return list(self._done or [])


class History:
    """A plain undo stack (the UI uses ``QUndoStack`` instead)."""

    def __init__(self) -> None:
        self._done: list[Command] = []
        self._undone: list[Command] = []

    def push(self, cmd: Command) -> Command:
        """Apply ``cmd`` and record it (merging with the previous command when it can)."""
        cmd.redo()
        self._undone.clear()
        prev = self._done[-1] if self._done else None
        if (
            prev is not None
            and prev.merge_id >= 0
            and prev.merge_id == cmd.merge_id
            and prev.merge(cmd)
        ):
            return prev
        self._done.append(cmd)
        return cmd

    def undo(self) -> bool:
        """Undo the last command; ``False`` if there is none."""
        if not self._done:
            return False
        cmd = self._done.pop()
        cmd.undo()
        self._undone.append(cmd)
        return True

    def redo(self) -> bool:
        """Redo the last undone command; ``False`` if there is none."""
        if not self._undone:
            return False
        cmd = self._undone.pop()
        cmd.redo()
        self._done.append(cmd)
        return True

    def __len__(self) -> int:
        return len(self._done)
