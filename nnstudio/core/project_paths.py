"""Data paths (and layers' file parameters) in the project file: stored relative to the project's
folder where they can be.

A path that lies in the project's folder, below it, or in a sibling folder (``../samples``,
as the shipped templates use) is written relative with ``/`` separators; any other path stays
absolute.  Reading resolves relative paths against the project file's folder, so in memory
every path is absolute (or as given, for a project that has no folder yet).
:func:`data_issues` reports a data file or folder that is missing.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

from nnstudio.core.graph.validation import Issue

PATH_KEYS = ("path", "targets_path", "validation_path", "validation_targets_path")
#: layer parameters that name a file (a backbone's weights): stored like the data paths
NODE_PATH_PARAMS = ("weights_file",)


def relative_paths(data: dict[str, Any], base: str | os.PathLike[str] | None) -> dict[str, Any]:
    """A copy of a data section with its paths made relative to ``base`` where allowed."""
    if base is None:
        return dict(data)
    out = dict(data)
    for key in PATH_KEYS:
        value = out.get(key)
        if isinstance(value, str) and value:
            out[key] = to_stored(value, base)
    return out


def absolute_paths(data: dict[str, Any], base: str | os.PathLike[str] | None) -> dict[str, Any]:
    """A copy of a data section with relative paths resolved against ``base``."""
    if base is None:
        return dict(data)
    out = dict(data)
    for key in PATH_KEYS:
        value = out.get(key)
        if isinstance(value, str) and value and "\x00" not in value:
            out[key] = to_memory(value, base)
    return out


def graph_paths(
    graph: dict[str, Any], base: str | os.PathLike[str] | None, *, stored: bool
) -> dict[str, Any]:
    """A copy of a graph's JSON whose layers' file parameters (:data:`NODE_PATH_PARAMS`),
    in the graph and in its block definitions, are made relative to ``base`` where allowed
    (``stored``), or resolved against it."""
    if base is None or not isinstance(graph, dict):
        return graph
    convert = to_stored if stored else to_memory

    def node(entry: Any) -> Any:
        params = entry.get("params") if isinstance(entry, dict) else None
        if not isinstance(params, dict) or not any(k in params for k in NODE_PATH_PARAMS):
            return entry
        params = dict(params)
        for key in NODE_PATH_PARAMS:
            value = params.get(key)
            if isinstance(value, str) and value.strip() and "\x00" not in value:
                params[key] = convert(value.strip(), base)
        return {**entry, "params": params}

    def walk(g: Any) -> Any:
        if not isinstance(g, dict) or not isinstance(g.get("nodes"), list):
            return g
        out = {**g, "nodes": [node(n) for n in g["nodes"]]}
        blocks = g.get("blocks")
        if isinstance(blocks, dict):
            out["blocks"] = {
                name: {**d, "graph": walk(d.get("graph"))} if isinstance(d, dict) else d
                for name, d in blocks.items()
            }
        return out

    return walk(graph)


def to_stored(path: str, base: str | os.PathLike[str]) -> str:
    """``path`` as the file stores it: relative (posix) beside, below or in a sibling of
    ``base``, else unchanged.  A path already relative is kept as it is."""
    if not os.path.isabs(path):
        return path
    try:
        rel = os.path.relpath(os.path.normpath(path), os.path.abspath(base))
    except ValueError:  # another drive (Windows)
        return path
    parts = PurePosixPath(Path(rel).as_posix()).parts
    ups = sum(1 for p in parts if p == "..")
    if ups > 1 or (ups == 1 and (parts[0] != ".." or len(parts) < 2)):
        return path
    return PurePosixPath(*parts).as_posix()


def to_memory(path: str, base: str | os.PathLike[str]) -> str:
    """A stored path resolved against ``base`` (absolute paths are kept)."""
    native = path.replace("/", os.sep)
    if os.path.isabs(native):
        return path
    return os.path.normpath(os.path.join(os.path.abspath(base), native))


def display_path(path: str, base: str | os.PathLike[str] | None) -> str:
    """How to name ``path`` to the user: as stored relative to ``base`` where it can be."""
    return to_stored(path, base) if base is not None else path


def data_issues(data: Any, base: str | os.PathLike[str] | None) -> list[Issue]:
    """Problems of a data source (a ``DataConfig`` or ``None``) outside the graph: a data
    file or folder that is missing (shown relative to ``base``, the project's folder).

    Each is an error with code ``data-missing`` and a hint to re-locate the data.
    """
    issues: list[Issue] = []
    if data is None:
        return issues
    fields = data.to_json()
    for key in PATH_KEYS:
        value = fields.get(key)
        if not value or os.path.exists(value):
            continue
        what = "folder" if key == "path" and data.kind == "images" else "file"
        issues.append(
            Issue(
                "error",
                None,
                f"data {what} '{display_path(value, base)}' not found",
                hint="Re-locate it: choose where the data is now in the Data panel.",
                code="data-missing",
            )
        )
    return issues
