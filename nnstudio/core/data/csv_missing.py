"""CSV tables: the missing-value policy (stop, drop the rows, or fill the cells)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.csv_columns import CsvTable
from nnstudio.core.data.report import ProblemLog


def apply_missing_policy(table: CsvTable, config: DataConfig, log: ProblemLog) -> None:
    cols = table.features + table.targets
    table.nan_count = int(sum(c.missing.sum() for c in cols))
    table.inf_count = int(sum(c.inf.sum() for c in cols))
    bad_rows = np.zeros(table.rows_read, bool)
    for c in cols:
        bad_rows |= c.missing | c.inf
    if not bad_rows.any():
        return
    policy = config.missing
    if policy == "stop":
        for c in cols:
            for i in np.flatnonzero(c.missing):
                log.error(
                    table.loc(int(i)),
                    f'column "{c.name}" has no value (empty or NaN); choose a missing-value '
                    "policy to drop these rows or fill them",
                    group=f"missing:{c.name}",
                )
            for i in np.flatnonzero(c.inf):
                log.error(
                    table.loc(int(i)),
                    f'column "{c.name}" holds an infinite value ({c.values[i]:+})',
                    group=f"inf:{c.name}",
                )
        return
    drop = np.zeros(table.rows_read, bool)
    if policy == "drop":
        drop = bad_rows
    else:  # fill features, drop rows whose target is missing
        for c in table.targets:
            drop |= c.missing | c.inf
        for c in table.features:
            holes = (c.missing | c.inf) & ~drop
            if not holes.any():
                continue
            good = ~c.missing & ~c.inf
            if not good.any():
                log.error(f'column "{c.name}"', "has no values at all: nothing to fill with")
                continue
            if c.kind == "numeric":
                fill_value: Any = float(c.values[good].mean())
                shown = f"its mean, {fill_value:.6g}"
            else:
                uniq, counts = np.unique(c.values[good].astype(str), return_counts=True)
                fill_value = str(uniq[int(np.argmax(counts))])
                shown = f'its most common value, "{fill_value}"'
            if not c.values.flags.writeable:
                c.values = c.values.copy()
            c.values[holes] = fill_value
            c.missing[holes] = False
            c.inf[holes] = False
            log.warning(
                _rows_location(table, np.flatnonzero(holes)),
                f'filled {int(holes.sum())} missing or infinite cell(s) of column "{c.name}" '
                f"with {shown}",
            )
    rows = np.flatnonzero(drop)
    if len(rows):
        log.warning(
            _rows_location(table, rows),
            f"dropped {len(rows)} row(s) with a missing or infinite value"
            + (" in a target column" if policy == "fill" else ""),
        )
        table.keep_rows(np.flatnonzero(~drop))


def _rows_location(table: CsvTable, rows: np.ndarray) -> str:
    if table.lines is not None:
        shown = ", ".join(str(int(table.lines[r])) for r in rows[:8])
        more = f" and {len(rows) - 8} more" if len(rows) > 8 else ""
        text = f"line{'s' if len(rows) > 1 else ''} {shown}{more}"
    else:
        shown = ", ".join(str(int(r) + 1) for r in rows[:8])
        more = f" and {len(rows) - 8} more" if len(rows) > 8 else ""
        text = f"data row{'s' if len(rows) > 1 else ''} {shown}{more}"
    return f"{table.where}, {text}" if table.where else text
