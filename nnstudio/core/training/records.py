"""The typed run record: one recorded training run as the project file keeps it.

A :class:`RunRecord` is built once from the file's JSON (:meth:`RunRecord.from_json`, which
checks every known key's type and raises :class:`RunRecordError` naming it) and written back
by :meth:`RunRecord.to_json` identically: the keys in the file's order, unknown keys
included, known keys that were absent left out while they keep their default.

Records are frozen; a changed record is a new one (:meth:`RunRecord.replace`) that the project
swaps in (``Project.replace_run``), so every change of the run list emits ``runs_changed``.
For readers written against the old dict records, ``record["key"]``, ``record.get(key)`` and
``key in record`` read the JSON keys (read-only).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["STATUSES", "RunRecord", "RunRecordError", "RunStatus", "as_run_record"]


class RunStatus(StrEnum):
    """How a run ended (a ``str``: records and ``metrics.json`` hold the plain value)."""

    COMPLETED = "completed"
    STOPPED = "stopped"
    FAILED = "failed"
    DIVERGED = "diverged"


STATUSES = tuple(s.value for s in RunStatus)


class RunRecordError(ValueError):
    """A run record that cannot be read; ``key`` names the offending JSON key."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def _is_text(v: Any) -> bool:
    return isinstance(v, str)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_object(v: Any) -> bool:
    return isinstance(v, dict)


def _is_list(v: Any) -> bool:
    return isinstance(v, list)


def _or_none(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: v is None or check(v)


def _is_text_list(v: Any) -> bool:
    return isinstance(v, list | tuple) and all(isinstance(t, str) for t in v)


# JSON key -> (field name, check, what the check wants)
_KEYS: dict[str, tuple[str, Callable[[Any], bool], str]] = {
    "id": ("id", _is_text, "text"),
    "name": ("name", _is_text, "text"),
    "created": ("created", _is_text, "text"),
    "status": ("status", _or_none(_is_text), "a run status"),
    "message": ("message", _or_none(_is_text), "text"),
    "config": ("config", _is_object, "an object"),
    "data_hash": ("data_hash", _or_none(_is_text), "text or null"),
    "epochs_completed": ("epochs_completed", _or_none(_is_int), "a whole number or null"),
    "history": ("history", _is_object, "an object"),
    "final": ("final", _is_object, "an object"),
    "best": ("best", _is_object, "an object"),
    "best_epoch": ("best_epoch", _or_none(_is_int), "a whole number or null"),
    "kept_weights": ("kept_weights", _or_none(_is_text), "text or null"),
    "dir": ("folder", _is_text, "text"),
    "outputs": ("outputs", _is_list, "a list"),
    "preprocessing": ("preprocessing", _is_object, "an object"),
    "class_names": ("class_names", _is_list, "a list"),
    "backend": ("backend", _or_none(_is_text), "text or null"),
    "device": ("device", _or_none(_is_text), "text or null"),
    "elapsed_s": ("elapsed_s", _or_none(_is_number), "a number or null"),
    "evaluation": ("evaluation", _or_none(_is_object), "an object or null"),
    "data": ("data", _or_none(_is_object), "an object or null"),
    "sweep": ("sweep", _or_none(_is_text), "text or null"),
    "trial_params": ("trial_params", _or_none(_is_object), "an object or null"),
    "tags": ("tags", _is_text_list, "a list of text"),
}


@dataclass(frozen=True)
class RunRecord:
    """One recorded run (see :mod:`nnstudio.core.training.runs` for what the keys mean).

    ``folder`` is the file's ``dir`` key (relative to the project file's folder, or
    absolute); ``extra`` holds keys this version does not know. ``sweep`` names the sweep a
    trial run belongs to, ``trial_params`` holds that trial's parameter values and ``tags``
    the user's labels (a tuple here, a JSON list in the file).
    """

    id: str
    name: str = ""
    created: str = ""
    status: RunStatus | None = None
    message: str | None = ""
    config: dict[str, Any] = field(default_factory=dict)
    data_hash: str | None = None
    epochs_completed: int | None = None  # None: not recorded
    history: dict[str, Any] = field(default_factory=dict)
    final: dict[str, Any] = field(default_factory=dict)
    best: dict[str, Any] = field(default_factory=dict)
    best_epoch: int | None = None
    kept_weights: str | None = None
    folder: str = ""
    outputs: list[Any] = field(default_factory=list)
    preprocessing: dict[str, Any] = field(default_factory=dict)
    class_names: list[Any] = field(default_factory=list)
    backend: str | None = None
    device: str | None = None
    elapsed_s: float | None = None
    evaluation: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    sweep: str | None = None
    trial_params: dict[str, Any] | None = None
    tags: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    key_order: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.tags, tuple):  # a list given in code or read from the file
            object.__setattr__(self, "tags", tuple(self.tags))

    # -- JSON -----------------------------------------------------------------------------
    @classmethod
    def from_json(cls, data: Any) -> RunRecord:
        """Build a record from its JSON object (``RunRecordError`` naming a bad key)."""
        if not isinstance(data, dict):
            raise RunRecordError("expected an object")
        if not isinstance(data.get("id"), str) or not data["id"]:
            raise RunRecordError("id: a run record needs an id (text)", "id")
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            if key not in _KEYS:
                extra[key] = value
                continue
            name, check, wanted = _KEYS[key]
            if not check(value):
                raise RunRecordError(f"{key}: expected {wanted}", key)
            values[name] = value
        if values.get("status") is not None:
            values["status"] = _status(values["status"])
        return cls(**values, extra=extra, key_order=tuple(data))

    def to_json(self) -> dict[str, Any]:
        """The record as JSON data: the file's key order, unknown keys kept."""
        known = self._known_json()
        defaults = _DEFAULTS
        out: dict[str, Any] = {}
        for key in self.key_order:
            if key in known:
                out[key] = known[key]
            elif key in self.extra:
                out[key] = self.extra[key]
        for key, value in known.items():
            if key not in out and value != defaults[key]:
                out[key] = value
        for key, value in self.extra.items():
            out.setdefault(key, value)
        return out

    def _known_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, (name, _, _) in _KEYS.items():
            value = getattr(self, name)
            if isinstance(value, RunStatus):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out

    def replace(self, **changes: Any) -> RunRecord:
        """A copy with ``changes`` (field names) applied."""
        return dataclasses.replace(self, **changes)

    # -- read-only mapping view of the JSON keys ------------------------------------------
    def __getitem__(self, key: str) -> Any:
        if key in _KEYS:
            return getattr(self, _KEYS[key][0])
        return self.extra[key]

    def get(self, key: str, default: Any = None) -> Any:
        """The value of JSON key ``key`` (``default`` when absent)."""
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return key in _KEYS or key in self.extra

    def keys(self) -> Iterator[str]:
        """The JSON keys this record writes."""
        return iter(self.to_json())


def _status(value: str) -> RunStatus:
    try:
        return RunStatus(value)
    except ValueError:
        known = ", ".join(STATUSES)
        raise RunRecordError(f"status: {value!r} is not a run status ({known})", "status") from None


_DEFAULTS: dict[str, Any] = RunRecord(id="")._known_json()  # an id is never "": always written


def as_run_record(run: RunRecord | Mapping[str, Any]) -> RunRecord:
    """``run`` as a :class:`RunRecord` (a JSON mapping is read with :meth:`from_json`)."""
    if isinstance(run, RunRecord):
        return run
    return RunRecord.from_json(dict(run))
