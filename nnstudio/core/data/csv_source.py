"""CSV/TSV sources: read, check every cell, and interpret the chosen columns.

Everything pandas would do silently is checked here with the line it happened
on: short or long rows, a text cell in a numeric column, empty cells, ``inf``.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.csv_columns import Column, CsvTable, parse_column, summaries
from nnstudio.core.data.csv_features import (
    FeatureSpec,
    check_features,
    encode_features,
    feature_width,
    fit_features,
)
from nnstudio.core.data.csv_missing import apply_missing_policy
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

__all__ = [
    "Column",
    "CsvTable",
    "FeatureSpec",
    "Targets",
    "check_features",
    "check_targets",
    "encode_features",
    "feature_width",
    "fit_features",
    "interpret_targets",
    "read_csv_table",
]


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


@dataclass
class _Layout:
    """What the file's first lines say: its text, dialect, columns and their roles."""

    tf: Any
    dialect: Dialect
    names: list[str]
    targets: list[str]
    features: list[str]
    forced: dict[str, str]

    @property
    def used(self) -> list[str]:
        return self.features + self.targets


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
    layout = _read_layout(path, config, log, state, where, like)
    if layout is None:
        return None
    state.report(2, steps)
    framed = _read_rows(layout, config, log, where)
    if framed is None:
        return None
    df, lines, finder = framed
    state.report(3, steps)
    tf, dialect = layout.tf, layout.dialect
    table = CsvTable(
        path=path,
        where=where,
        sha256=tf.sha256,
        encoding=tf.encoding,
        dialect=dialect,
        column_names=layout.names,
        rows_read=len(df),
        features=[],
        targets=[],
        _lines=lines,
        _line_finder=finder,
    )
    cols: dict[str, Column] = {}
    for name in layout.used:
        col = parse_column(df[name], name, layout.forced.get(name), table, log)
        if col is not None:
            cols[name] = col
    del df
    table.features = [cols[n] for n in layout.features]
    table.targets = [cols[n] for n in layout.targets]
    table.summaries = summaries(layout.names, cols, layout.features, layout.targets)
    state.report(4, steps)
    apply_missing_policy(table, config, log)
    if log.has_errors:
        table.blocked = True
        return table
    if table.n_rows == 0:
        log.error(where or "file", "no rows are left to train on")
        return None
    state.report(5, steps)
    return table


def _read_layout(
    path: str,
    config: DataConfig,
    log: ProblemLog,
    state: TaskState,
    where: str,
    like: CsvTable | None,
) -> _Layout | None:
    """The text, its dialect, the column names and which columns are used how."""
    tf = read_text_file(path, config.encoding, log, where)
    if tf is None:
        return None
    state.report(1, 5)
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
    return _Layout(tf, dialect, names, targets, features, forced)


_Rows = tuple[Any, "np.ndarray | None", "Callable[[], np.ndarray | None] | None"]


def _read_rows(layout: _Layout, config: DataConfig, log: ProblemLog, where: str) -> _Rows | None:
    """The rows as a DataFrame with each row's file line (or a finder for the
    lines, for a clean file); every structural problem is reported."""
    tf, dialect, names, forced = layout.tf, layout.dialect, layout.names, layout.forced
    # the hash and a delimiter count run beside pandas (hashlib, numpy and the
    # pandas tokenizer release the GIL); every row's field count is checked
    # only when the cheap check cannot vouch for the file
    frame_log = ProblemLog()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="nnstudio-csv") as pool:
        job = pool.submit(_hash_and_count, tf, dialect)
        df = _read_frame(tf, dialect, names, forced, layout.used, config, frame_log, where)
        delimiters = job.result()
    expected = (len(names) - 1) * ((len(df) if df is not None else 0) + int(dialect.header))
    clean = (
        df is not None
        and delimiters is not None
        and delimiters == expected
        and not df.isna().to_numpy().any()
    )
    lines: np.ndarray | None = None
    finder = _line_finder(tf, dialect, where) if clean else None
    if not clean:
        checked = _checked_rows(layout, config, log, where, df, frame_log)
        if checked is None:
            return None
        df, lines = checked
    assert df is not None
    if len(df) == 0:
        log.error(
            where or "file",
            "the file has a header line but no data rows" if dialect.header else "no rows",
        )
        return None
    return df, lines, finder


def _checked_rows(
    layout: _Layout, config: DataConfig, log: ProblemLog, where: str, df: Any, frame_log: ProblemLog
) -> tuple[Any, np.ndarray | None] | None:
    """Every row's field count checked (the file is not clean): the rows kept
    and their lines, or ``None`` when the structure blocks reading."""
    tf, dialect, names = layout.tf, layout.dialect, layout.names
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
        used, forced = layout.used, layout.forced
        return _without_ragged(tf, dialect, names, forced, used, config, df, structure)
    if df is None:
        _merge(frame_log, log)
        return None
    lines = structure.lines
    if len(df) != len(lines):  # pandas and the line count disagree: use row numbers
        return df, None
    return df, lines


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
    indices = map_to_classes(cols[0].values, like.class_values, log, table.loc)
    if indices is None or log.has_errors:
        return None
    return Targets("classification", indices, like.names, like.class_names, like.class_values)


def check_targets(targets: Targets, log: ProblemLog, where: str = "targets") -> None:
    """Too few, tiny or imbalanced classes."""
    check_reading(TargetReading(targets.task, targets.y, targets.class_names), log, where)
