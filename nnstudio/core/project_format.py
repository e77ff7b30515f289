"""The project file's format versions: the error type, the version numbers and the migrations.

Each older ``format_version`` has one step (``MIGRATIONS[v]`` turns format ``v`` into
``v + 1``); :func:`migrate` applies them in order.  A file whose ``min_reader_version`` is
newer than :data:`FORMAT_VERSION` is refused with a message that says which version wrote it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nnstudio.core.graph import FormatError

FORMAT_VERSION = 2
MIN_READER_VERSION = 2


class ProjectError(ValueError):
    """A project file that cannot be read or written; the message names the file and place.

    ``file`` is the file's name and ``where`` the JSON path of the problem, when known.
    """

    def __init__(self, message: str, file: str | None = None, where: str | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.where = where


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
        raise ProjectError(
            f"{source}: not an NN Studio project (no valid format_version)",
            source,
            "format_version",
        )
    min_reader = data.get("min_reader_version", version)
    if not isinstance(min_reader, int) or isinstance(min_reader, bool):
        raise ProjectError(
            f"{source}: min_reader_version: expected a whole number", source, "min_reader_version"
        )
    if min_reader > FORMAT_VERSION:
        written_by = data.get("app_version", "a newer version")
        if not isinstance(written_by, str):
            written_by = "a newer version"
        raise ProjectError(
            f"{source}: this project was saved by NN Studio {written_by[:40]} and needs a newer "
            f"NN Studio to open it (file format {version}, this version reads up to "
            f"{FORMAT_VERSION}). Update NN Studio.",
            source,
        )
    while version < FORMAT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:  # pragma: no cover - every old version has a step
            raise ProjectError(f"{source}: format {version} can no longer be read", source)
        try:
            data = step(data)
        except FormatError as exc:
            raise ProjectError(f"{source}: {exc}", source, exc.where) from None
        version = data["format_version"]
    return data
