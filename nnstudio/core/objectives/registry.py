"""The registry base shared by losses, metrics, optimizers, schedules and monitors.

An :class:`Entry` names one thing a user can pick by name: its label, its help, its typed
parameters (the layer catalog's :class:`~nnstudio.core.catalog.spec.Param`) and the tasks
it suits.  A :class:`Registry` keeps the entries of one kind in order, answers lookups by
name or alias, and lists the entries that suit a task.  Nothing here imports Keras.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from nnstudio.core.catalog.spec import Param

TASKS = ("classification", "binary", "regression", "reconstruction")
"""The tasks an entry may suit: several classes, one yes/no output, values, the inputs."""


@dataclass(frozen=True)
class Entry:
    """One named choice: ``name`` is what files and Keras use, ``label`` what a form shows.

    ``params`` are the settings the choice takes (their names are ``TrainingConfig`` fields
    for optimizers and schedules), ``tasks`` the tasks it suits, ``aliases`` other names
    that mean the same (``mean_squared_error`` for ``mse``), ``short`` a compact label for
    tight places (the canvas) and ``build`` makes the Keras object from keyword values.
    """

    name: str
    label: str
    help: str
    tasks: frozenset[str]
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    short: str = ""
    build: Callable[..., Any] | None = field(default=None, compare=False, repr=False)

    def suits(self, task: str) -> bool:
        """Whether the entry fits ``task`` (one of :data:`TASKS`)."""
        return task in self.tasks

    @property
    def short_label(self) -> str:
        """The compact label (the name where there is none)."""
        return self.short or self.name

    def param_names(self) -> tuple[str, ...]:
        """The names of the parameters the entry takes."""
        return tuple(p.name for p in self.params)

    def make(self, *args: Any, checked: bool = True, **values: Any) -> Any:
        """The Keras object: ``args`` go to the builder as given, the parameters are taken
        from ``values`` (defaults for the ones not given; keys that are not parameters of
        this entry are ignored) and validated against their :class:`Param` unless
        ``checked`` is false (a ``TrainingConfig`` has validated them already)."""
        if self.build is None:  # pragma: no cover - every shipped entry has one
            raise LookupError(f"{self.name} cannot be built")
        kwargs = {p.name: values.get(p.name, p.default) for p in self.params}
        if checked:
            kwargs = {p.name: p.validate(kwargs[p.name]) for p in self.params}
        return self.build(*args, **kwargs)


E = TypeVar("E", bound=Entry)


class Registry(Generic[E]):
    """The entries of one kind, in display order, looked up by name or alias."""

    def __init__(self, kind: str, entries: tuple[E, ...]) -> None:
        self.kind = kind
        self._entries = {e.name: e for e in entries}
        if len(self._entries) != len(entries):
            raise ValueError(f"{kind}: duplicate names")
        self._aliases = {a: e.name for e in entries for a in e.aliases}
        for e in entries:
            bad = e.tasks - set(TASKS)
            if bad or not e.tasks:
                raise ValueError(f"{kind} {e.name}: tasks must be some of {TASKS}, got {bad}")

    def __iter__(self) -> Iterator[E]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.resolve(name) is not None

    def names(self) -> tuple[str, ...]:
        """Every entry's name, in order."""
        return tuple(self._entries)

    def resolve(self, name: str) -> str | None:
        """The entry name that ``name`` (or its alias) stands for, or ``None``."""
        if name in self._entries:
            return name
        return self._aliases.get(name)

    def get(self, name: str) -> E:
        """The entry called ``name`` (or an alias of it); ``KeyError`` names the choices."""
        key = self.resolve(name)
        if key is None:
            raise KeyError(f"unknown {self.kind} {name!r}; one of {', '.join(self._entries)}")
        return self._entries[key]

    def find(self, name: str) -> E | None:
        """The entry called ``name`` (or an alias), or ``None``."""
        key = self.resolve(name)
        return None if key is None else self._entries[key]

    def suiting(self, task: str) -> tuple[E, ...]:
        """The entries that suit ``task``, in order."""
        return tuple(e for e in self if e.suits(task))

    def labels(self) -> dict[str, str]:
        """``{name: label}`` in order (what a combo box offers)."""
        return {e.name: e.label for e in self}
