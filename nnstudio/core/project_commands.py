"""Undoable edits of the project outside its graph: the data source, the training settings
and the run list.

They are :class:`~nnstudio.core.graph.commands.Command` objects like the graph's edits, so the
plain :class:`~nnstudio.core.graph.commands.History` and the UI's ``QUndoCommand`` wrapper take
them as they are.  Each constructor checks the edit (raising an ``EditRefused``) and changes
nothing; ``redo``/``undo`` assign the project's typed state, which emits the project's events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.errors import DataError
from nnstudio.core.graph.commands import Command
from nnstudio.core.graph.model import EditRefused
from nnstudio.core.training.config import ConfigError, TrainingConfig
from nnstudio.core.training.records import RunRecord, RunRecordError, as_run_record

if TYPE_CHECKING:
    from nnstudio.core.project import Project

__all__ = [
    "AddRun",
    "ProjectCommand",
    "RemoveRun",
    "RenameRun",
    "SetDataSource",
    "SetRunTags",
    "SetTraining",
]


class ProjectCommand(Command):
    """A command on a :class:`Project` (its ``graph`` is the project's graph)."""

    def __init__(self, project: Project) -> None:
        super().__init__(project.graph)
        self.project = project


class SetDataSource(ProjectCommand):
    """Choose, change or clear (``None``) the data source."""

    def __init__(self, project: Project, config: DataConfig | dict[str, Any] | None) -> None:
        super().__init__(project)
        try:
            new = DataConfig.from_json(config) if isinstance(config, dict) else config
        except DataError as exc:
            raise EditRefused(str(exc)) from None
        self.old, self.new = project.data, new
        self.text = "Clear data source" if new is None else "Set data source"

    def redo(self) -> None:
        self.project.data = self.new

    def undo(self) -> None:
        self.project.data = self.old


class SetTraining(ProjectCommand):
    """Change training settings: a whole config, or ``changes`` to the current one.

    Successive edits of the same single setting merge into one undo step.
    """

    merge_id = 11

    def __init__(
        self, project: Project, config: TrainingConfig | None = None, **changes: Any
    ) -> None:
        super().__init__(project)
        try:
            new = (config or project.training).replace(**changes)
        except (ConfigError, TypeError) as exc:
            raise EditRefused(str(exc)) from None
        self.old, self.new = project.training, new
        self._field = next(iter(changes)) if config is None and len(changes) == 1 else None
        self.text = f"Set {self._field}" if self._field else "Change training settings"

    def redo(self) -> None:
        self.project.training = self.new

    def undo(self) -> None:
        self.project.training = self.old

    def merge(self, other: Command) -> bool:
        if (
            isinstance(other, SetTraining)
            and other.project is self.project
            and self._field is not None
            and other._field == self._field
        ):
            self.new = other.new
            return True
        return False


class AddRun(ProjectCommand):
    """Append a run record (its id must be new)."""

    def __init__(self, project: Project, record: RunRecord | Mapping[str, Any]) -> None:
        super().__init__(project)
        try:
            self.record = as_run_record(record)
        except RunRecordError as exc:
            raise EditRefused(f"a run record: {exc}") from None
        if project.run_index(self.record.id) is not None:
            raise EditRefused(f"a run with id {self.record.id!r} already exists")
        self.text = f"Add run {self.record.name or self.record.id}"

    def redo(self) -> None:
        self.project.add_run(self.record)

    def undo(self) -> None:
        self.project.remove_run(self.record.id)


class RemoveRun(ProjectCommand):
    """Remove a run record from the list (its folder on disk is left alone)."""

    def __init__(self, project: Project, run_id: str) -> None:
        super().__init__(project)
        index = project.run_index(run_id)
        if index is None:
            raise EditRefused(f"no run with id {run_id!r}")
        self.index, self.record = index, project.runs[index]
        self.text = f"Remove run {self.record.name or run_id}"

    def redo(self) -> None:
        self.project.remove_run(self.record.id)

    def undo(self) -> None:
        self.project.add_run(self.record, self.index)


class RenameRun(ProjectCommand):
    """Give a run a new display name."""

    def __init__(self, project: Project, run_id: str, name: str) -> None:
        super().__init__(project)
        index = project.run_index(run_id)
        if index is None:
            raise EditRefused(f"no run with id {run_id!r}")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise EditRefused("a run name is 1 to 200 characters")
        self.run_id, self.old, self.new = run_id, project.runs[index].name, name.strip()
        self.text = f"Rename run to {self.new}"

    def _set(self, name: str) -> None:
        index = self.project.run_index(self.run_id)
        if index is not None:
            self.project.replace_run(self.project.runs[index].replace(name=name))

    def redo(self) -> None:
        self._set(self.new)

    def undo(self) -> None:
        self._set(self.old)


class SetRunTags(ProjectCommand):
    """Set a run's tags: stripped, empty ones dropped, duplicates once, in the given order."""

    def __init__(self, project: Project, run_id: str, tags: Sequence[str]) -> None:
        super().__init__(project)
        index = project.run_index(run_id)
        if index is None:
            raise EditRefused(f"no run with id {run_id!r}")
        if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
            raise EditRefused("run tags are a list of text")
        new = tuple(dict.fromkeys(t.strip() for t in tags if t.strip()))
        if any(len(t) > 100 for t in new) or len(new) > 50:
            raise EditRefused("a run has at most 50 tags of at most 100 characters")
        self.run_id, self.old, self.new = run_id, project.runs[index].tags, new
        self.text = f"Tag run {project.runs[index].name or run_id}"

    def _set(self, tags: tuple[str, ...]) -> None:
        index = self.project.run_index(self.run_id)
        if index is not None:
            self.project.replace_run(self.project.runs[index].replace(tags=tags))

    def redo(self) -> None:
        self._set(self.new)

    def undo(self) -> None:
        self._set(self.old)
