"""The project file: one versioned JSON document holding the graph, data and training setup.

Format rules: ``format_version`` (what wrote it), ``min_reader_version`` (the oldest reader
that may open it) and ``app_version``.  Older files migrate step by step; files that need a
newer reader are refused with a clear message; unknown keys survive a round trip (top level
and per node).  Saves are atomic.  Nothing is ever pickled.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnstudio import __version__
from nnstudio.core.atomic import atomic_write_text
from nnstudio.core.graph import FormatError, Graph, graph_from_json

FORMAT_VERSION = 2
MIN_READER_VERSION = 2
SUFFIX = ".nnstudio"
MAX_FILE_BYTES = 64 * 1024 * 1024
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


class ProjectError(ValueError):
    """A project file that cannot be read or written; the message names the file and place."""


@dataclass
class Project:
    """A graph plus the data source, the training configuration and the recorded runs."""

    graph: Graph = field(default_factory=Graph)
    name: str = "Untitled"
    description: str = ""
    data: dict[str, Any] | None = None
    training: dict[str, Any] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    # -- JSON -------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The whole project as JSON data (unknown keys from the file included)."""
        return {
            **self.extra,
            "format_version": FORMAT_VERSION,
            "min_reader_version": MIN_READER_VERSION,
            "app_version": __version__,
            "name": self.name,
            "description": self.description,
            "graph": self.graph.to_json(),
            "data": self.data,
            "training": self.training,
            "runs": self.runs,
        }

    def dumps(self) -> str:
        """The file's text: indented, key order stable, no NaN."""
        return json.dumps(self.to_json(), indent=1, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, data: Any, source: str = "project") -> Project:
        """Build a project from parsed JSON (migrating older formats)."""
        if not isinstance(data, dict):
            raise ProjectError(f"{source}: not an NN Studio project (expected a JSON object)")
        data = migrate(data, source)
        try:
            graph = graph_from_json(data.get("graph", {}))
        except FormatError as exc:
            raise ProjectError(f"{source}: {exc}") from None
        name = data.get("name", "Untitled")
        if not isinstance(name, str):
            raise ProjectError(f"{source}: name: expected text")
        description = data.get("description", "")
        if not isinstance(description, str):
            raise ProjectError(f"{source}: description: expected text")
        data_cfg = data.get("data")
        if data_cfg is not None and not isinstance(data_cfg, dict):
            raise ProjectError(f"{source}: data: expected an object or null")
        training = data.get("training") or {}
        if not isinstance(training, dict):
            raise ProjectError(f"{source}: training: expected an object")
        runs = data.get("runs") or []
        if not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
            raise ProjectError(f"{source}: runs: expected a list of objects")
        extra = {k: v for k, v in data.items() if k not in _KNOWN}
        return cls(graph, name, description, data_cfg, training, runs, extra)

    # -- files ------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> Project:
        """Read a project file; :class:`ProjectError` with a clear message on any problem."""
        p = Path(path)
        project = cls.from_json(read_json_file(p), p.name)
        project.path = p
        project.data = resolve_data_paths(project.data, p.parent)
        return project

    def save(self, path: str | Path | None = None) -> Path:
        """Save atomically to ``path`` (default: where it was loaded from)."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ProjectError("the project has no file yet: choose where to save it")
        text = self.dumps()
        try:
            atomic_write_text(target, text)
        except OSError as exc:
            raise ProjectError(f"could not save {target}: {exc.strerror or exc}") from None
        self.path = target
        return target


DATA_PATH_KEYS = ("path", "targets_path", "validation_path", "validation_targets_path")


def resolve_data_paths(data: dict[str, Any] | None, folder: Path) -> dict[str, Any] | None:
    """``data`` with its relative file paths made absolute against ``folder`` (the project
    file's folder), so that a project and its data can move together."""
    if data is None:
        return None
    out = dict(data)
    for key in DATA_PATH_KEYS:
        value = out.get(key)
        if isinstance(value, str) and value and not Path(value).is_absolute():
            out[key] = str((folder / value).resolve())
    return out


def read_json_file(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Parse a JSON file defensively: size cap, UTF-8, no NaN/Infinity, bounded nesting."""
    name = path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ProjectError(f"{path}: no such file") from None
    except OSError as exc:
        raise ProjectError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if path.is_dir():
        raise ProjectError(f"{path}: is a folder, not a project file")
    if size > max_bytes:
        raise ProjectError(
            f"{name}: {size / 2**20:.0f} MiB is too large for a project file "
            f"(limit {max_bytes // 2**20} MiB)"
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProjectError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if not raw.strip():
        raise ProjectError(f"{name}: the file is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{name}: not a text file (byte {exc.start} is not UTF-8)") from None
    return parse_json(text, name)


def _refuse_constant(token: str) -> Any:
    raise ValueError(f"{token} is not allowed")


def parse_json(text: str, name: str = "project") -> Any:
    """``json.loads`` that refuses NaN/Infinity and reports position and nesting problems."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise ProjectError(
            f"{name}: line {exc.lineno}, column {exc.colno}: {exc.msg} "
            "(the file is damaged or not JSON)"
        ) from None
    except RecursionError:
        raise ProjectError(f"{name}: the JSON is nested too deeply to be a project") from None
    except ValueError as exc:
        raise ProjectError(f"{name}: {exc}") from None


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise ValueError(f"number {token} is out of range")
    return value


# -- migrations -----------------------------------------------------------------------


def _v1_to_v2(d: dict[str, Any]) -> dict[str, Any]:
    """Format 1 (pre-release): flat ``layers``/``connections``; positions as ``x``/``y``."""
    out = {k: v for k, v in d.items() if k not in ("layers", "connections", "outputs")}
    layers = d.get("layers", [])
    if not isinstance(layers, list):
        raise FormatError("layers", "expected a list")
    nodes = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise FormatError(f"layers[{i}]", "expected an object")
        node = {k: v for k, v in layer.items() if k not in ("class", "config", "x", "y")}
        node["type"] = layer.get("class")
        node["params"] = layer.get("config", {})
        node["pos"] = [layer.get("x", 0), layer.get("y", 0)]
        nodes.append(node)
    conns = d.get("connections", [])
    if not isinstance(conns, list):
        raise FormatError("connections", "expected a list")
    outputs = d.get("outputs", [])
    if not isinstance(outputs, list):
        raise FormatError("outputs", "expected a list")
    out["graph"] = {
        "nodes": nodes,
        "edges": conns,
        "outputs": [{**o, "node": o.get("layer")} if isinstance(o, dict) else o for o in outputs],
    }
    for o in out["graph"]["outputs"]:
        if isinstance(o, dict):
            o.pop("layer", None)
    out["format_version"] = 2
    out["min_reader_version"] = 2
    return out


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def migrate(data: dict[str, Any], source: str = "project") -> dict[str, Any]:
    """Bring ``data`` to :data:`FORMAT_VERSION` one step at a time, or refuse it clearly."""
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProjectError(f"{source}: not an NN Studio project (no valid format_version)")
    min_reader = data.get("min_reader_version", version)
    if not isinstance(min_reader, int) or isinstance(min_reader, bool):
        raise ProjectError(f"{source}: min_reader_version: expected a whole number")
    if min_reader > FORMAT_VERSION:
        written_by = data.get("app_version", "a newer version")
        raise ProjectError(
            f"{source}: this project was saved by NN Studio {written_by} and needs a newer "
            f"NN Studio to open it (file format {version}, this version reads up to "
            f"{FORMAT_VERSION}). Update NN Studio."
        )
    while version < FORMAT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:  # pragma: no cover - every old version has a step
            raise ProjectError(f"{source}: format {version} can no longer be read")
        try:
            data = step(data)
        except FormatError as exc:
            raise ProjectError(f"{source}: {exc}") from None
        version = data["format_version"]
    return data
