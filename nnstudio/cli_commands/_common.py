"""Helpers shared by the subcommands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


class CliError(Exception):
    """A user error: printed as one line, exit code ``code`` (2 by default); ``details``
    (e.g. a traceback) are printed under it with ``--verbose`` only."""

    def __init__(self, message: str, code: int = 2, details: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


def load_project(path: str) -> Any:
    """Load a project file or raise :class:`CliError` with a one-line reason."""
    from nnstudio.core.project import Project, ProjectError

    try:
        project = Project.load(Path(path))
    except ProjectError as exc:
        raise CliError(str(exc).splitlines()[0]) from None
    for warning in project.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return project


def print_json(data: Any) -> None:
    """Print JSON to stdout (stable key order, UTF-8)."""
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
