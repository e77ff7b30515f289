"""Grouping runs (by sweep, by tag) and exporting every run's history to one file.

A run belongs to at most one group: with ``by="sweep"`` its record's ``sweep``, with
``by="tag"`` its first tag, with ``by="none"`` none.  Runs without a group stand by
themselves.  :func:`export_histories` writes the per-epoch histories of many runs in long
format, one row per (run, epoch, metric)::

    run,group,epoch,metric,value
    run-1,lr-search,1,loss,0.52

as CSV (``.csv``) or as JSON (``.json``: ``{"columns": [...], "rows": [[...], ...]}``),
atomically.  Missing values (``None`` in a history) are left out; epochs count from 1.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from nnstudio.core.atomic import atomic_write_text
from nnstudio.core.training.records import RunRecord, as_run_record

__all__ = [
    "COLUMNS",
    "FORMATS",
    "GROUP_BY",
    "HistoryExportError",
    "export_histories",
    "group_of",
    "history_rows",
    "run_groups",
]

GROUP_BY = ("sweep", "tag", "none")
FORMATS = ("csv", "json")
COLUMNS = ("run", "group", "epoch", "metric", "value")


class HistoryExportError(ValueError):
    """A history export that cannot be written (the message says which file and why)."""


def group_of(run: RunRecord, by: str) -> str | None:
    """The group ``run`` belongs to when grouping ``by`` (``None``: by itself)."""
    if by == "sweep":
        return run.sweep or None
    if by == "tag":
        return run.tags[0] if run.tags else None
    if by == "none":
        return None
    raise ValueError(f"group by {by!r}: expected one of {', '.join(GROUP_BY)}")


def run_groups(runs: Iterable[RunRecord | Mapping[str, Any]], by: str) -> dict[str, str | None]:
    """Each run's id -> its group (``None``: ungrouped), in the order of ``runs``."""
    return {r.id: group_of(r, by) for r in (as_run_record(x) for x in runs)}


def history_rows(
    runs: Iterable[RunRecord | Mapping[str, Any]], groups: Mapping[str, str | None] | None = None
) -> Iterator[tuple[str, str, int, str, float]]:
    """The long-format rows of every run's history: (run, group, epoch, metric, value).

    ``groups`` maps run ids to group names (absent or ``None``: an empty group); values that
    are not finite numbers are left out.
    """
    groups = groups or {}
    for raw in runs:
        run = as_run_record(raw)
        group = groups.get(run.id) or ""
        for metric, values in run.history.items():
            if not isinstance(values, list):
                continue
            for epoch, value in enumerate(values, start=1):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    continue
                if math.isfinite(value):
                    yield run.id, group, epoch, str(metric), float(value)


def export_histories(
    runs: Sequence[RunRecord | Mapping[str, Any]],
    path: str | Path,
    by: str = "sweep",
    fmt: str | None = None,
) -> int:
    """Write every run's history to ``path`` (format from ``fmt`` or the file's suffix),
    grouped ``by`` sweep, tag or none; return the number of rows written.

    The write is atomic: a failure leaves an earlier file as it was and raises
    :class:`HistoryExportError`.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise HistoryExportError(f"{path.name}: choose a .csv or .json file to export histories")
    groups = run_groups(runs, by)
    rows = list(history_rows(runs, groups))
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows((r, g, e, m, repr(v)) for r, g, e, m, v in rows)
        text = buffer.getvalue()
    else:
        text = json.dumps({"columns": list(COLUMNS), "rows": rows}, allow_nan=False) + "\n"
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise HistoryExportError(f"{path}: cannot write it ({exc.strerror or exc})") from None
    return len(rows)
