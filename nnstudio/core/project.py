"""The project file: one versioned JSON document holding the graph, data and training setup.

Reading is three steps, as orange-canvas-core's readwrite: *parse* (:func:`read_json_file`:
size cap, UTF-8, no NaN, bounded nesting), *migrate* (:func:`nnstudio.core.project_format.
migrate`: older formats step by step; a file that needs a newer reader is refused) and
*build* (:meth:`Project.from_json`: the graph, a :class:`DataConfig`, a
:class:`TrainingConfig` and the run records, each checked once, here).  Every problem is a
:class:`ProjectError` naming the file and the JSON path.

Format rules: ``format_version`` (what wrote it), ``min_reader_version`` (the oldest reader
that may open it) and ``app_version``.  Unknown keys survive a round trip everywhere (top
level, nodes, edges, outputs, data, training, runs).  A file newer than this app that it may
still read opens with a warning (:attr:`Project.warnings`) and is saved back with its own
version.  The first save of a migrated file over itself keeps the original as
``<name>.bak`` and says so (:attr:`Project.save_notes`).  Data paths beside or below the
project's folder (or in a sibling folder such as ``../samples``) are stored relative, with
``/``; in memory they are absolute.  Saves are atomic.  Nothing is ever pickled.

A project emits ``data_changed``, ``training_changed`` and ``runs_changed`` events (like the
graph's); edits that should be undoable go through :mod:`nnstudio.core.project_commands`.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnstudio import __version__
from nnstudio.core.atomic import atomic_path, atomic_write_text
from nnstudio.core.events import EventSource
from nnstudio.core.graph import EditRefused, FormatError, Graph, graph_from_json
from nnstudio.core.graph.validation import Issue
from nnstudio.core.project_format import (
    FORMAT_VERSION,
    MIGRATIONS,
    MIN_READER_VERSION,
    ProjectError,
    migrate,
)
from nnstudio.core.project_paths import absolute_paths, data_issues, graph_paths, relative_paths
from nnstudio.core.training.config import ConfigError, TrainingConfig
from nnstudio.core.training.records import RunRecord, RunRecordError

if TYPE_CHECKING:  # the data layer loads when a project has a data section (start-up time)
    from nnstudio.core.data.config import DataConfig

__all__ = [
    "DATA_CHANGED",
    "FORMAT_VERSION",
    "MAX_FILE_BYTES",
    "MIGRATIONS",
    "MIN_READER_VERSION",
    "RUNS_CHANGED",
    "SUFFIX",
    "TRAINING_CHANGED",
    "Project",
    "ProjectError",
    "migrate",
    "parse_json",
    "project_issues",
    "read_json_file",
]

SUFFIX = ".nnstudio"
MAX_FILE_BYTES = 64 * 1024 * 1024
DATA_CHANGED = "data_changed"  # DataConfig | None
TRAINING_CHANGED = "training_changed"  # TrainingConfig
RUNS_CHANGED = "runs_changed"  # tuple of RunRecord
_KNOWN = {
    "format_version",
    "min_reader_version",
    "app_version",
    "name",
    "description",
    "graph",
    "data",
    "training",
    "runs",
}

# What reading a data or training section may raise on hostile values (DataError is a
# ValueError-free Exception subclass: it is added where the data layer is loaded).
_SECTION_ERRORS = (
    ConfigError,
    TypeError,
    ValueError,
    ArithmeticError,
    KeyError,
    AttributeError,
)


class Project(EventSource):
    """A graph plus the data source, the training configuration and the recorded runs.

    ``data`` and ``training`` accept a config object or its JSON dict (converted and checked
    on assignment); ``warnings`` lists what the user should hear about when the file opens.
    """

    def __init__(
        self,
        graph: Graph | None = None,
        name: str = "Untitled",
        description: str = "",
        data: DataConfig | dict[str, Any] | None = None,
        training: TrainingConfig | dict[str, Any] | None = None,
        runs: Iterable[RunRecord | Mapping[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        path: Path | None = None,
    ) -> None:
        super().__init__()
        self.graph = graph if graph is not None else Graph()
        self.name = name
        self.description = description
        self._data = _as_data(data)
        self._training = _as_training(training)
        self._runs: tuple[RunRecord, ...] = _checked_runs(list(runs or []), "runs")
        self.extra: dict[str, Any] = dict(extra or {})
        self.path = path
        self.format_version = FORMAT_VERSION
        self.min_reader_version = MIN_READER_VERSION
        self.migrated_from: int | None = None  # the file's format before migration
        self.warnings: list[str] = []
        self.save_notes: list[str] = []
        self.backup_path: Path | None = None
        self._unparsed: dict[str, Any] = {}  # sections that did not parse, written back as read

    # -- typed state ------------------------------------------------------------------
    @property
    def data(self) -> DataConfig | None:
        """The data source (``None``: none chosen yet)."""
        return self._data

    @data.setter
    def data(self, value: DataConfig | dict[str, Any] | None) -> None:
        new = _as_data(value)
        self._unparsed.pop("data", None)
        if new != self._data:
            self._data = new
            self._emit(DATA_CHANGED, new)

    @property
    def training(self) -> TrainingConfig:
        """The training settings."""
        return self._training

    @training.setter
    def training(self, value: TrainingConfig | dict[str, Any] | None) -> None:
        new = _as_training(value)
        self._unparsed.pop("training", None)
        if new != self._training:
            self._training = new
            self._emit(TRAINING_CHANGED, new)

    @property
    def runs(self) -> tuple[RunRecord, ...]:
        """The run records, oldest first (see :mod:`nnstudio.core.training.runs`).

        A tuple: change it with :meth:`add_run`, :meth:`remove_run`, :meth:`replace_run`,
        by assigning a new list, or (undoably) with the commands of
        :mod:`nnstudio.core.project_commands`; each emits ``runs_changed``.
        """
        return self._runs

    @runs.setter
    def runs(self, value: Iterable[RunRecord | Mapping[str, Any]]) -> None:
        self._runs = _checked_runs(list(value), "runs")
        self._emit(RUNS_CHANGED, self._runs)

    def run_index(self, run_id: str) -> int | None:
        """The position of the run with this id (``None`` if there is none)."""
        return next((i for i, r in enumerate(self._runs) if r.id == run_id), None)

    def add_run(self, record: RunRecord | Mapping[str, Any], index: int | None = None) -> RunRecord:
        """Add a run record (at the end, or at ``index``); its id must be new
        (``EditRefused`` otherwise, or for a record that does not read)."""
        try:
            (run,) = _checked_runs([record], "run")
        except ProjectError as exc:
            raise EditRefused(str(exc)) from None
        if self.run_index(run.id) is not None:
            raise EditRefused(f"a run with id {run.id!r} already exists")
        runs = list(self._runs)
        runs.insert(len(runs) if index is None else index, run)
        self.runs = runs
        return run

    def remove_run(self, run_id: str) -> RunRecord:
        """Remove the run with this id from the list and return it (``EditRefused`` if
        there is none)."""
        index = self.run_index(run_id)
        if index is None:
            raise EditRefused(f"no run with id {run_id!r}")
        run = self._runs[index]
        self.runs = self._runs[:index] + self._runs[index + 1 :]
        return run

    def replace_run(self, record: RunRecord) -> None:
        """Put ``record`` in place of the run with the same id (``EditRefused`` if absent)."""
        index = self.run_index(record.id)
        if index is None:
            raise EditRefused(f"no run with id {record.id!r}")
        self.runs = (*self._runs[:index], record, *self._runs[index + 1 :])

    # -- JSON -------------------------------------------------------------------------
    def to_json(self, base: str | os.PathLike[str] | None = None) -> dict[str, Any]:
        """The whole project as JSON data (unknown keys from the file included).

        Data paths and layers' file parameters (a backbone's weights) are written relative
        to ``base`` (default: the project file's folder) where they lie beside, below or in
        a sibling of it.
        """
        if base is None and self.path is not None:
            base = self.path.parent
        if "data" in self._unparsed:
            data = self._unparsed["data"]
        elif self._data is None:
            data = None
        else:
            data = relative_paths(self._data.to_json(), base)
        training = self._unparsed.get("training", self._training.to_json())
        return {
            **self.extra,
            "format_version": max(self.format_version, FORMAT_VERSION),
            "min_reader_version": self.min_reader_version,
            "app_version": __version__,
            "name": self.name,
            "description": self.description,
            "graph": graph_paths(self.graph.to_json(), base, stored=True),
            "data": data,
            "training": training,
            "runs": [r.to_json() for r in self._runs],
        }

    def dumps(self, base: str | os.PathLike[str] | None = None) -> str:
        """The file's text: indented, key order stable, no NaN."""
        return json.dumps(self.to_json(base), indent=1, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_json(
        cls, data: Any, source: str = "project", base: str | os.PathLike[str] | None = None
    ) -> Project:
        """Build a project from parsed JSON (migrating older formats); relative data paths
        resolve against ``base`` (the project file's folder)."""
        if not isinstance(data, dict):
            raise ProjectError(f"{source}: not an NN Studio project (expected a JSON object)")
        original = data.get("format_version")
        data = migrate(data, source)
        try:
            graph = graph_from_json(graph_paths(data.get("graph", {}), base, stored=False))
        except FormatError as exc:
            raise ProjectError(f"{source}: {exc}", source, exc.where) from None
        project = cls(graph, extra={k: v for k, v in data.items() if k not in _KNOWN})
        project.name = _text(data, "name", "Untitled", source)
        project.description = _text(data, "description", "", source)
        project._build_sections(data, source, base)
        project._runs = _checked_runs(data.get("runs") or [], source)
        project._read_versions(data, original, source)
        return project

    def _build_sections(
        self, data: dict[str, Any], source: str, base: str | os.PathLike[str] | None
    ) -> None:
        raw_data = data.get("data")
        if raw_data is not None and not isinstance(raw_data, dict):
            raise ProjectError(f"{source}: data: expected an object or null", source, "data")
        raw_training = data.get("training") or {}
        if not isinstance(raw_training, dict):
            raise ProjectError(f"{source}: training: expected an object", source, "training")
        if raw_data is not None:
            from nnstudio.core.data.config import DataConfig
            from nnstudio.core.data.errors import DataError

            try:
                self._data = DataConfig.from_json(absolute_paths(raw_data, base))
            except (DataError, *_SECTION_ERRORS) as exc:
                self._keep_unparsed("data", raw_data, source, exc, "no data source is used")
        try:
            self._training = TrainingConfig.from_json(raw_training)
        except _SECTION_ERRORS as exc:
            self._keep_unparsed("training", raw_training, source, exc, "the defaults are used")

    def _keep_unparsed(
        self, key: str, raw: dict[str, Any], source: str, exc: Exception, instead: str
    ) -> None:
        where = str(exc) if str(exc).startswith(key) else f"{key}: {exc}"
        self._unparsed[key] = raw
        self.warnings.append(
            f"{source}: {where} — {instead}; the file's {key} section is kept as it is "
            "until you change it"
        )

    def _read_versions(self, data: dict[str, Any], original: Any, source: str) -> None:
        version = data["format_version"]
        if isinstance(original, int) and original < FORMAT_VERSION:
            self.migrated_from = original
            self.warnings.append(
                f"{source} uses file format {original}; saving it converts it to format "
                f"{FORMAT_VERSION} and keeps the original as {source}.bak"
            )
        if version > FORMAT_VERSION:
            self.format_version = version
            self.min_reader_version = data.get("min_reader_version", version)
            written_by = data.get("app_version", "a newer version")
            self.warnings.append(
                f"{source} was saved by NN Studio {written_by} in file format {version} "
                f"(this version writes {FORMAT_VERSION}): what this version does not know is "
                "kept as it is but not used; saving keeps the file's format"
            )

    # -- files ------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> Project:
        """Read a project file; :class:`ProjectError` with a clear message on any problem."""
        p = Path(path)
        try:
            project = cls.from_json(read_json_file(p), p.name, p.parent.absolute())
        except RecursionError:
            raise ProjectError(f"{p.name}: the JSON is nested too deeply", p.name) from None
        project.path = p
        return project

    def save(self, path: str | Path | None = None) -> Path:
        """Save atomically to ``path`` (default: where it was loaded from).

        ``save_notes`` tells what else happened (a backup of a migrated original).
        """
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ProjectError("the project has no file yet: choose where to save it")
        self.save_notes = []
        text = self.dumps(target.parent.absolute())
        try:
            if self.migrated_from is not None and self._is_own_file(target):
                self._back_up(target)
            atomic_write_text(target, text)
        except OSError as exc:
            raise ProjectError(f"could not save {target}: {exc.strerror or exc}") from None
        self.path = target
        self.migrated_from = None
        return target

    def _is_own_file(self, target: Path) -> bool:
        if self.path is None or not target.exists():
            return False
        try:
            return os.path.samefile(self.path, target)
        except OSError:
            return False

    def _back_up(self, target: Path) -> None:
        backup = target.with_name(target.name + ".bak")
        n = 1
        while backup.exists():
            backup = target.with_name(f"{target.name}.{n}.bak")
            n += 1
        with atomic_path(backup) as tmp:
            shutil.copyfile(target, tmp)
        self.backup_path = backup
        self.save_notes.append(
            f"Saved in file format {FORMAT_VERSION}; the original (format "
            f"{self.migrated_from}) was kept as {backup.name}"
        )


def project_issues(project: Project) -> list[Issue]:
    """Problems of the project outside its graph: a data file or folder that is missing.

    Each is an error with code ``data-missing`` and a hint to re-locate the data.  A GAN
    project adds its GAN issues (``gan-*``: roles, sample shape, discriminator units).
    """
    from nnstudio.core.gan.roles import gan_project_issues

    base = project.path.parent if project.path is not None else None
    return data_issues(project.data, base) + gan_project_issues(project)


def _as_data(value: DataConfig | dict[str, Any] | None) -> DataConfig | None:
    if value is None:
        return None
    from nnstudio.core.data.config import DataConfig

    if isinstance(value, DataConfig):
        return value
    return DataConfig.from_json(value)


def _as_training(value: TrainingConfig | dict[str, Any] | None) -> TrainingConfig:
    if isinstance(value, TrainingConfig):
        return value
    return TrainingConfig.from_json(value or {})


def _text(data: dict[str, Any], key: str, default: str, source: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ProjectError(f"{source}: {key}: expected text", source, key)
    return value


def _checked_runs(runs: Any, source: str) -> tuple[RunRecord, ...]:
    """Build the typed records (a ``ProjectError`` names the record and its key)."""
    if not isinstance(runs, list):
        raise ProjectError(f"{source}: runs: expected a list of objects", source, "runs")
    out: list[RunRecord] = []
    for i, run in enumerate(runs):
        if isinstance(run, RunRecord):
            out.append(run)
            continue
        try:
            out.append(RunRecord.from_json(dict(run) if isinstance(run, Mapping) else run))
        except RunRecordError as exc:
            where = f"runs[{i}]" + (f".{exc.key}" if exc.key else "")
            message = str(exc).split(": ", 1)[-1] if exc.key else str(exc)
            raise ProjectError(f"{source}: {where}: {message}", source, where) from None
    return tuple(out)


def read_json_file(path: Path, max_bytes: int | None = None) -> Any:
    """Parse a JSON file defensively: size cap (``max_bytes``, default
    :data:`MAX_FILE_BYTES` read at call time), UTF-8, no NaN/Infinity, bounded nesting."""
    limit = MAX_FILE_BYTES if max_bytes is None else max_bytes
    name = path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ProjectError(f"{path}: no such file", name) from None
    except OSError as exc:
        raise ProjectError(f"{path}: cannot read it ({exc.strerror or exc})", name) from None
    if path.is_dir():
        raise ProjectError(f"{path}: is a folder, not a project file", name)
    if size > limit:
        raise ProjectError(
            f"{name}: {_size(size)} is too large for a project file (limit {_size(limit)})", name
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProjectError(f"{path}: cannot read it ({exc.strerror or exc})", name) from None
    if not raw.strip():
        raise ProjectError(f"{name}: the file is empty", name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProjectError(
            f"{name}: not a text file (byte {exc.start} is not UTF-8)", name
        ) from None
    return parse_json(text, name)


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.0f} MiB"
    if n >= 2**10:
        return f"{n / 2**10:.0f} KiB"
    return f"{n} bytes"


def _refuse_constant(token: str) -> Any:
    raise ValueError(f"{token} is not allowed")


def parse_json(text: str, name: str = "project") -> Any:
    """``json.loads`` that refuses NaN/Infinity and reports position and nesting problems."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise ProjectError(
            f"{name}: line {exc.lineno}, column {exc.colno}: {exc.msg} "
            "(the file is damaged or not JSON)",
            name,
        ) from None
    except RecursionError:
        raise ProjectError(f"{name}: the JSON is nested too deeply to be a project", name) from None
    except ValueError as exc:
        raise ProjectError(f"{name}: {exc}", name) from None


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise ValueError(f"number {token} is out of range")
    return value
