"""``QUndoCommand`` wrappers around the core's edit commands.

The core command does the work; the wrapper gives it to ``QUndoStack`` (menus, the History
view, the clean state).  Consecutive commands merge when the core says they may
(``merge_id``/``merge``) and they follow each other within :data:`MERGE_WINDOW_S` seconds
(arrow-key nudges, quick successive edits of one field), so deliberate edits made a moment
apart stay separate undo steps.
"""

from __future__ import annotations

import time

from PySide6.QtGui import QUndoCommand

from nnstudio.core.graph.commands import Command, MoveNodes

MERGE_WINDOW_S = 1.0


class CoreCommand(QUndoCommand):
    """Wraps one core :class:`Command`.

    ``applied=True`` says the core command has already been run (the window runs it first so
    that a failure is reported and never reaches the stack); the stack's initial ``redo`` is
    then skipped.
    """

    def __init__(self, command: Command, applied: bool = False) -> None:
        super().__init__(command.text)
        self.command = command
        self._skip_redo = applied
        self._stamp = time.monotonic()

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self.command.redo()

    def undo(self) -> None:
        self.command.undo()

    def id(self) -> int:
        return self.command.merge_id

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, CoreCommand) or other._stamp - self._stamp > MERGE_WINDOW_S:
            return False
        if not self.command.merge(other.command):
            return False
        self._stamp = other._stamp
        self.setText(self.command.text)
        if isinstance(self.command, MoveNodes) and self.command.new == self.command.old:
            self.setObsolete(True)
        return True

    @property
    def changes_model(self) -> bool:
        """False for edits that only move nodes (allowed while the graph is locked)."""
        return not isinstance(self.command, MoveNodes)
