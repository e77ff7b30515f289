"""CSV/TSV sources: read, check every cell, and interpret the chosen columns.

Everything pandas would do silently is checked here with the line it happened
on: short or long rows, a text cell in a numeric column, empty cells, ``inf``.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.csv_sniff import (
    Dialect,
    column_names,
    delimiter_name,
    detect_dialect,
    read_text_file,
)
from nnstudio.core.data.csv_structure import check_structure
from nnstudio.core.data.progress import TaskState
from nnstudio.core.data.report import ProblemLog
from nnstudio.core.data.targets import (
    RECONSTRUCTION,
    TargetReading,
    check_reading,
    map_to_classes,
    placeholder_targets,
    read_labels,
    reconstructs,
)

NAN_WORDS = frozenset({"nan", "-nan", "+nan"})
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")
_DECIMAL_NUMBER = re.compile(r"^[-+]?\d+(,\d+)?([eE][-+]?\d+)?$")
MAX_ONEHOT = 100


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
        else:
            self._kept = keep if self._kept is None else self._kept[keep]

    def release(self) -> None:
        """Drop the file's bytes kept for locating lines later."""
        self._line_finder = None

    def loc(self, row: int) -> str:
        text = f"line {int(self.lines[row])}" if self.lines is not None else f"data row {row + 1}"
        return f"{self.where}, {text}" if self.where else text


@dataclass
class Targets:
    """Interpreted targets: class indices (int32, shape (n,)) for
    classification, float32 (n, t) for regression."""

    task: str
    y: np.ndarray
    names: list[str]
    class_names: list[str] | None = None
    class_values: list[Any] | None = None

    @property
    def num_outputs(self) -> int:
        if self.task == RECONSTRUCTION:
            return 0  # the width of the encoded inputs: PreparedData.num_outputs
        return len(self.class_names) if self.class_names is not None else self.y.shape[1]


def _where(path: str, main: bool) -> str:
    return "" if main else os.path.basename(path)


def read_csv_table(
    path: str,
    config: DataConfig,
    log: ProblemLog,
    state: TaskState,
    like: CsvTable | None = None,
) -> CsvTable | None:
    """Read and check ``path``; ``like`` is the main table when reading a
    separate validation file (same columns, same column types)."""
    where = _where(path, like is None)
    steps = 5
    state.report(0, steps)
    encoding = config.encoding
    tf = read_text_file(path, encoding, log, where)
    if tf is None:
        return None
    state.report(1, steps)
    delimiter = config.delimiter if config.delimiter else (like.dialect.delimiter if like else None)
    header = config.header if config.header is not None else (like.dialect.header if like else None)
    dialect = detect_dialect(tf.sample(), delimiter, header, path, log, where)
    if dialect is None:
        return None
    names = column_names(dialect.header_fields, dialect.n_fields, dialect.header)
    if dialect.header:
        _check_header(dialect.header_fields, names, log, where)
    targets, features = _choose_columns(names, config, log, where, like)
    if targets is None or features is None:
        return None
    forced = dict(config.column_types)
    if like is not None:
        forced.update({c.name: c.kind for c in like.features + like.targets})
    state.report(2, steps)
    # the hash and a delimiter count run beside pandas (hashlib, numpy and the
    # pandas tokenizer release the GIL); every row's field count is checked
    # only when the cheap check cannot vouch for the file
    frame_log = ProblemLog()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="nnstudio-csv") as pool:
        job = pool.submit(_hash_and_count, tf, dialect)
        df = _read_frame(tf, dialect, names, forced, features + targets, config, frame_log, where)
        delimiters = job.result()
    expected = (len(names) - 1) * ((len(df) if df is not None else 0) + int(dialect.header))
    clean = (
        df is not None
        and delimiters is not None
        and delimiters == expected
        and not df.isna().to_numpy().any()
    )
    lines: np.ndarray | None = None
    finder: Callable[[], np.ndarray | None] | None = None
    if clean:
        finder = _line_finder(tf, dialect, where)
    else:
        structure = check_structure(tf, dialect, log, where)
        if structure is None:
            return None
        if structure.n_fields != len(names):
            log.error(
                where or "file",
                f"most rows have {structure.n_fields} values but the first lines have {len(names)}",
            )
            return None
        if structure.ragged is not None and len(structure.ragged):
            used = features + targets
            kept = _without_ragged(tf, dialect, names, forced, used, config, df, structure)
            if kept is None:
                return None
            df, lines = kept
        elif df is None:
            _merge(frame_log, log)
            return None
        else:
            lines = structure.lines
            if len(df) != len(lines):  # pandas and the line count disagree: use row numbers
                lines = None
    assert df is not None
    if len(df) == 0:
        log.error(
            where or "file",
            "the file has a header line but no data rows" if dialect.header else "no rows",
        )
        return None
    state.report(3, steps)
    table = CsvTable(
        path=path,
        where=where,
        sha256=tf.sha256,
        encoding=tf.encoding,
        dialect=dialect,
        column_names=names,
        rows_read=len(df),
        features=[],
        targets=[],
        _lines=lines,
        _line_finder=finder,
    )
    cols: dict[str, Column] = {}
    for name in features + targets:
        col = _parse_column(df[name], name, forced.get(name), table, log)
        if col is None:
            continue
        cols[name] = col
    del df
    table.features = [cols[n] for n in features]
    table.targets = [cols[n] for n in targets]
    table.summaries = _summaries(names, cols, features, targets)
    state.report(4, steps)
    _apply_missing_policy(table, config, log)
    if log.has_errors:
        table.blocked = True
        return table
    if table.n_rows == 0:
        log.error(where or "file", "no rows are left to train on")
        return None
    state.report(5, steps)
    return table


def _hash_and_count(tf: Any, dialect: Dialect) -> int | None:
    """Hash the bytes; count the delimiters when no quote can hide one."""
    tf.sha256 = hashlib.sha256(tf.data).hexdigest()
    if not tf.ascii_compatible or b'"' in tf.data or b"\n" not in tf.data:
        return None
    buf = np.frombuffer(tf.data, np.uint8)
    return int(np.count_nonzero(buf == ord(dialect.delimiter)))


def _line_finder(tf: Any, dialect: Dialect, where: str) -> Callable[[], np.ndarray | None]:
    def find() -> np.ndarray | None:
        structure = check_structure(tf, dialect, ProblemLog(), where)
        return None if structure is None else structure.lines

    return find


def _without_ragged(
    tf: Any,
    dialect: Dialect,
    names: list[str],
    forced: dict[str, str],
    used: list[str],
    config: DataConfig,
    df: Any,
    structure: Any,
) -> tuple[Any, np.ndarray] | None:
    """The rows of the right length (the ragged ones are reported already), so
    that the problems of their cells are reported too; with their lines."""
    counts, n = structure.counts, structure.n_fields
    long, short = counts > n, counts < n
    if df is None or long.any():
        df = _read_frame(tf, dialect, names, forced, used, config, ProblemLog(), "", skip=True)
    if df is None or len(df) != int((~long).sum()):
        return None
    drop = np.flatnonzero(short[~long])
    df = df.drop(index=df.index[drop]).reset_index(drop=True)
    return df, structure.lines[~(long | short)]


def _merge(source: ProblemLog, log: ProblemLog) -> None:
    for p in source.problems():
        log.add(p.severity, p.location, p.message)


def _check_header(raw: list[str], names: list[str], log: ProblemLog, where: str) -> None:
    loc = f"{where}, line 1" if where else "line 1"
    for i, (r, n) in enumerate(zip(raw, names, strict=False)):
        if not r:
            log.info(loc, f"column {i + 1} has no name; it is called {n!r}")
        elif r != n:
            log.warning(loc, f'the column name "{r}" appears more than once; this one is "{n}"')


def _choose_columns(
    names: list[str],
    config: DataConfig,
    log: ProblemLog,
    where: str,
    like: CsvTable | None,
) -> tuple[list[str] | None, list[str] | None]:
    loc = where or "columns"
    known = ", ".join(f'"{n}"' for n in names[:30]) + (" ..." if len(names) > 30 else "")
    if like is not None:
        want = [c.name for c in like.features + like.targets]
        missing = [n for n in want if n not in names]
        if missing:
            log.error(
                loc,
                "the validation file lacks the column(s) "
                + ", ".join(f'"{n}"' for n in missing)
                + f" of the training file; its columns are {known}",
            )
            return None, None
        return [c.name for c in like.targets], [c.name for c in like.features]
    targets = list(config.target_columns)
    if reconstructs(config):
        targets = []  # every chosen column is an input and its own target
    elif not targets:
        targets = [names[-1]]
        log.info(loc, f'no target column chosen: using the last column, "{names[-1]}"')
    bad = [t for t in targets if t not in names]
    if bad:
        log.error(loc, f'there is no column "{bad[0]}"; the columns are {known}')
        return None, None
    if config.feature_columns is not None:
        features = list(config.feature_columns)
        bad = [f for f in features if f not in names]
        if bad:
            log.error(loc, f'there is no column "{bad[0]}"; the columns are {known}')
            return None, None
        both = [f for f in features if f in targets]
        if both:
            log.error(loc, f'column "{both[0]}" is chosen both as a feature and as a target')
            return None, None
    else:
        features = [n for n in names if n not in targets]
    if len(set(features)) != len(features) or len(set(targets)) != len(targets):
        log.error(loc, "a column is chosen twice")
        return None, None
    if not features:
        log.error(loc, "no feature columns: choose at least one column to learn from")
        return None, None
    return targets, features


def _read_frame(
    tf: Any,
    dialect: Dialect,
    names: list[str],
    forced: dict[str, str],
    used: list[str],
    config: DataConfig,
    log: ProblemLog,
    where: str,
    skip: bool = False,
) -> Any:
    """The file as a DataFrame (``skip``: leave out rows with too many values)."""
    import pandas as pd

    dtype = {n: str for n, kind in forced.items() if kind == "categorical" and n in used}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            return pd.read_csv(
                tf.path,
                sep=dialect.delimiter,
                header=0 if dialect.header else None,
                names=names,
                encoding=tf.encoding,
                keep_default_na=False,
                na_values=[""] + list(config.na_values),
                skip_blank_lines=True,
                dtype=dtype or None,
                engine="c",
                on_bad_lines="skip" if skip else "error",
            )
    except (ValueError, UnicodeError, MemoryError, OSError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        log.error(
            where or "file",
            f"cannot read the file as {delimiter_name(dialect.delimiter)}-separated text: {msg}",
        )
        return None


def _parse_column(
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


def _distinct(values: np.ndarray) -> np.ndarray:
    """Distinct values (hash-based, fast; order unspecified)."""
    import pandas as pd

    return pd.unique(values)


def _summaries(
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
                entry["distinct"] = len(_distinct(col.values[ok]))
        out.append(entry)
    return out


def _apply_missing_policy(table: CsvTable, config: DataConfig, log: ProblemLog) -> None:
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


# -- targets ----------------------------------------------------------------


def interpret_targets(
    table: CsvTable, config: DataConfig, log: ProblemLog, like: Targets | None = None
) -> Targets | None:
    """Class indices (with class names) or regression values for the kept rows."""
    if reconstructs(config):
        return Targets(RECONSTRUCTION, placeholder_targets(table.n_rows), [])
    cols = table.targets
    names = [c.name for c in cols]
    if like is not None:
        return _targets_like(table, like, log)
    task = config.task
    if len(cols) > 1:
        text = [c.name for c in cols if c.kind != "numeric"]
        if task == "classification" or text:
            log.error(
                "targets",
                "classification needs exactly one target column"
                + (f' ("{text[0]}" holds text)' if text else ""),
            )
            return None
        y = np.stack([c.values for c in cols], axis=1).astype(np.float32)
        return Targets("regression", y, names)
    col = cols[0]
    reading = read_labels(col.values, task, log, f'column "{col.name}"')
    if reading is None:
        return None
    return Targets(reading.task, reading.y, names, reading.class_names, reading.class_values)


def _targets_like(table: CsvTable, like: Targets, log: ProblemLog) -> Targets | None:
    cols = table.targets
    if like.task == "regression":
        y = np.stack([c.values for c in cols], axis=1).astype(np.float32)
        return Targets("regression", y, like.names)
    assert like.class_values is not None and like.class_names is not None
    y = map_to_classes(cols[0].values, like.class_values, log, table.loc)
    if y is None or log.has_errors:
        return None
    return Targets("classification", y, like.names, like.class_names, like.class_values)


def check_targets(targets: Targets, log: ProblemLog, where: str = "targets") -> None:
    """Too few, tiny or imbalanced classes."""
    check_reading(TargetReading(targets.task, targets.y, targets.class_names), log, where)


# -- features ---------------------------------------------------------------


@dataclass
class FeatureSpec:
    """How one column becomes model inputs (recorded for inference)."""

    name: str
    kind: str
    mean: float = 0.0
    std: float = 1.0
    vocabulary: list[str] | None = None
    encoding: str | None = None

    @property
    def width(self) -> int:
        if self.kind == "categorical" and self.encoding == "onehot":
            return len(self.vocabulary or [])
        return 1

    def to_json(self) -> dict[str, Any]:
        if self.kind == "numeric":
            return {"name": self.name, "type": "numeric", "mean": self.mean, "std": self.std}
        return {
            "name": self.name,
            "type": "categorical",
            "encoding": self.encoding,
            "vocabulary": list(self.vocabulary or []),
        }


def check_features(table: CsvTable, config: DataConfig, log: ProblemLog) -> list[str]:
    """Constant and identifier-like columns (warnings); returns the constant ones."""
    constant = []
    n = table.n_rows
    for c in table.features:
        if c.kind == "numeric":
            if n and float(np.min(c.values)) == float(np.max(c.values)):
                constant.append(c.name)
                log.warning(
                    f'column "{c.name}"',
                    f"has the same value ({c.values[0]:.6g}) in every row: it tells the model "
                    "nothing",
                )
        else:
            distinct = len(_distinct(c.values))
            if distinct == 1:
                constant.append(c.name)
                log.warning(
                    f'column "{c.name}"',
                    f'has the same value ("{c.values[0]}") in every row: it tells the model '
                    "nothing",
                )
            elif distinct == n and n > 20:
                log.warning(
                    f'column "{c.name}"',
                    "has a different text in every row (an identifier?): consider leaving it "
                    "out of the features",
                )
            elif config.categorical_encoding == "onehot" and distinct > MAX_ONEHOT:
                log.warning(
                    f'column "{c.name}"',
                    f"has {distinct} different values: one-hot encoding makes {distinct} "
                    "inputs of it",
                )
    return constant


def fit_features(
    tables: list[CsvTable], fit: CsvTable, fit_rows: np.ndarray, encoding: str
) -> list[FeatureSpec]:
    """Normalization statistics from ``fit_rows`` of ``fit`` (the training rows);
    vocabularies from every table so no category is unseen."""
    specs = []
    for j, c in enumerate(fit.features):
        if c.kind == "numeric":
            vals = c.values[fit_rows] if len(fit_rows) else c.values
            mean = float(vals.mean()) if len(vals) else 0.0
            std = float(vals.std()) if len(vals) else 1.0
            if not np.isfinite(std) or std < 1e-12:
                std = 1.0
            specs.append(FeatureSpec(c.name, "numeric", mean=mean, std=std))
        else:
            vocab: set[str] = set()
            for t in tables:
                vocab.update(_distinct(t.features[j].values).tolist())
            specs.append(
                FeatureSpec(c.name, "categorical", vocabulary=sorted(vocab), encoding=encoding)
            )
    return specs


def encode_features(table: CsvTable, specs: list[FeatureSpec]) -> np.ndarray:
    """The model inputs: standardized numbers, one-hot or integer codes (float32)."""
    n = table.n_rows
    width = sum(s.width for s in specs)
    x = np.empty((n, width), np.float32)
    k = 0
    for spec, c in zip(specs, table.features, strict=True):
        if spec.kind == "numeric":
            x[:, k] = (c.values - spec.mean) / spec.std
            k += 1
            continue
        import pandas as pd

        codes = pd.Categorical(c.values, categories=spec.vocabulary).codes.astype(np.int64)
        if spec.encoding == "onehot":
            block = x[:, k : k + spec.width]
            block[:] = 0.0
            block[np.arange(n), codes] = 1.0
            k += spec.width
        else:
            x[:, k] = codes
            k += 1
    return x


def feature_width(table: CsvTable, config: DataConfig) -> int:
    width = 0
    for c in table.features:
        if c.kind == "categorical" and config.categorical_encoding == "onehot":
            width += len(_distinct(c.values))
        else:
            width += 1
    return width
