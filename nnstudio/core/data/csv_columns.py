"""CSV columns: a checked table's typed columns and how each column's cells are parsed.

Numeric columns are float64 with NaN for missing cells; categorical columns are
text with ``None`` for missing cells. A text cell in a numeric column, a decimal
comma or a ``nan`` word is found here, with its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnstudio.core.data.csv_sniff import Dialect
from nnstudio.core.data.report import ProblemLog

NAN_WORDS = frozenset({"nan", "-nan", "+nan"})


_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")


_DECIMAL_NUMBER = re.compile(r"^[-+]?\d+(,\d+)?([eE][-+]?\d+)?$")


@dataclass
class Column:
    """One column's values for the rows kept. Numeric: float64 with NaN for
    missing; categorical: object array of ``str`` with ``None`` for missing."""

    name: str
    kind: str
    values: np.ndarray
    missing: np.ndarray
    inf: np.ndarray

    def take(self, rows: np.ndarray) -> Column:
        return Column(self.name, self.kind, self.values[rows], self.missing[rows], self.inf[rows])


@dataclass
class CsvTable:
    """A checked CSV file: the feature and target columns of the rows kept."""

    path: str
    where: str
    sha256: str
    encoding: str
    dialect: Dialect
    column_names: list[str]
    rows_read: int
    features: list[Column]
    targets: list[Column]
    nan_count: int = 0
    inf_count: int = 0
    summaries: list[dict[str, Any]] = field(default_factory=list)
    blocked: bool = False  # the missing-value policy found blocking cells
    _lines: np.ndarray | None = None
    _line_finder: Callable[[], np.ndarray | None] | None = None
    _kept: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        cols = self.targets or self.features
        return len(cols[0].values) if cols else 0

    @property
    def lines(self) -> np.ndarray | None:
        """The file line of each kept row (counted on first use: clean files never pay)."""
        if self._lines is None and self._line_finder is not None:
            finder, self._line_finder = self._line_finder, None
            found = finder()
            if found is not None and len(found) == self.rows_read:
                self._lines = found if self._kept is None else found[self._kept]
        return self._lines

    def keep_rows(self, keep: np.ndarray) -> None:
        """Keep only rows ``keep`` (indices into the current rows)."""
        self.features = [c.take(keep) for c in self.features]
        self.targets = [c.take(keep) for c in self.targets]
        if self._lines is not None:
            self._lines = self._lines[keep]
        self._kept = keep if self._kept is None else self._kept[keep]

    @property
    def kept_rows(self) -> np.ndarray:
        """The position of each kept row among the rows read (for columns read later)."""
        return np.arange(self.rows_read) if self._kept is None else self._kept

    def release(self) -> None:
        """Drop the file's bytes kept for locating lines later."""
        self._line_finder = None

    def loc(self, row: int) -> str:
        text = f"line {int(self.lines[row])}" if self.lines is not None else f"data row {row + 1}"
        return f"{self.where}, {text}" if self.where else text


def parse_column(
    series: Any, name: str, forced: str | None, table: CsvTable, log: ProblemLog
) -> Column | None:
    import pandas as pd

    n = len(series)
    if forced == "categorical":
        return _categorical(series, name)
    if pd.api.types.is_bool_dtype(series.dtype):
        values = np.array(series.to_numpy(dtype=np.float64))
        return Column(name, "numeric", values, np.zeros(n, bool), np.zeros(n, bool))
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return Column(name, "numeric", values, np.isnan(values), np.isinf(values))
    # text: a numeric column with a few bad cells, or a categorical column
    missing = series.isna().to_numpy()
    if forced != "numeric" and not _may_be_numeric(series, missing):
        return _categorical(series, name)
    numbers = np.array(pd.to_numeric(series, errors="coerce"), dtype=np.float64)
    parsed = ~np.isnan(numbers)
    text = series.to_numpy(dtype=object, na_value=None)
    if forced != "categorical" and not (parsed | missing).all():
        comma = _decimal_comma_numbers(text, missing)
        if comma is not None:
            log.info(
                f'column "{name}"',
                f'uses decimal commas ("{text[np.flatnonzero(~missing)[0]]}"): read as numbers',
            )
            return Column(name, "numeric", comma, np.isnan(comma), np.isinf(comma))
    nan_word = np.zeros(n, bool)
    for i in np.flatnonzero(~parsed & ~missing):
        nan_word[i] = str(text[i]).strip().lower() in NAN_WORDS
    filled = int((~missing).sum())
    numeric = forced == "numeric" or (
        filled > 0 and (parsed | nan_word).sum() > 0.5 * filled and parsed.any()
    )
    if not numeric:
        return _categorical(series, name)
    bad = np.flatnonzero(~missing & ~parsed & ~nan_word)
    examples: list[str] = []
    for i in bad:
        cell = str(text[i])
        hint = (
            ' (a decimal comma? write "." for the decimal point)'
            if _DECIMAL_COMMA.match(cell)
            else ""
        )
        log.error(
            table.loc(int(i)),
            f'column "{name}" has "{cell}" in a numeric column{hint}',
            group=f"text-in-numeric:{name}",
        )
        if cell not in examples and len(examples) < 3:
            examples.append(cell)
    if len(bad):
        shown = ", ".join(f'"{e}"' for e in examples)
        log.info(
            f'column "{name}"',
            f"{len(bad)} cell(s) are not numbers ({shown}). If they mark missing values, add "
            "them to the missing-value markers; if the column is not numeric, set its type to "
            "categorical",
        )
        numbers[bad] = 0.0  # reported (and blocking); the other cells are still checked
    values = numbers
    values[nan_word] = np.nan
    return Column(name, "numeric", values, np.isnan(values), np.isinf(values))


def _may_be_numeric(series: Any, missing: np.ndarray, sample: int = 200) -> bool:
    """False when none of the first filled cells reads as a number (or a decimal
    comma number): then the column is text and the full numeric parse is skipped."""
    import pandas as pd

    head = series[~missing][:sample]
    if len(head) == 0:
        return True
    if pd.to_numeric(head, errors="coerce").notna().any():
        return True
    return any(_DECIMAL_NUMBER.match(str(v).strip()) for v in head.tolist())


def _decimal_comma_numbers(text: np.ndarray, missing: np.ndarray) -> np.ndarray | None:
    """Numbers written with a decimal comma (``1,5``), when every cell is one."""
    out = np.full(len(text), np.nan)
    seen_comma = False
    for i in np.flatnonzero(~missing):
        cell = str(text[i]).strip()
        if not _DECIMAL_NUMBER.match(cell):
            return None
        seen_comma = seen_comma or "," in cell
        out[i] = float(cell.replace(",", "."))
    return out if seen_comma else None


def _categorical(series: Any, name: str) -> Column:
    text = series.astype(object).where(series.notna(), None)
    filled = text.notna()
    text[filled] = text[filled].astype(str).str.strip()
    values = text.to_numpy(dtype=object)
    missing = ~filled.to_numpy()
    n = len(values)
    return Column(name, "categorical", values, missing, np.zeros(n, bool))


def distinct_values(values: np.ndarray) -> np.ndarray:
    """Distinct values (hash-based, fast; order unspecified)."""
    import pandas as pd

    return pd.unique(values)


def summaries(
    names: list[str], cols: dict[str, Column], features: list[str], targets: list[str]
) -> list[dict[str, Any]]:
    out = []
    for name in names:
        role = "target" if name in targets else "feature" if name in features else "unused"
        entry: dict[str, Any] = {"name": name, "role": role}
        col = cols.get(name)
        if col is not None:
            entry["type"] = col.kind
            entry["missing"] = int(col.missing.sum())
            entry["infinite"] = int(col.inf.sum())
            ok = ~col.missing & ~col.inf
            if col.kind == "numeric":
                vals = col.values[ok]
                if len(vals):
                    entry.update(
                        min=float(vals.min()), max=float(vals.max()), mean=float(vals.mean())
                    )
            else:
                entry["distinct"] = len(distinct_values(col.values[ok]))
        out.append(entry)
    return out
