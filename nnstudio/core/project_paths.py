"""Data paths in the project file: stored relative to the project's folder where they can be.

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
