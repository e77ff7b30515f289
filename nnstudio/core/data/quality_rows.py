"""Row hashes for the data-quality scan: one unsigned 64-bit hash per sample of a CSV
table (pandas' ``hash_pandas_object``) or of a NumPy array (a seeded multiply-and-add
over the row's bytes, in chunks), and the CSV lines the rows came from."""

from __future__ import annotations

import math
import time

import numpy as np

from nnstudio.core.data.csv_columns import Column, CsvTable
from nnstudio.core.data.progress import TaskState
from nnstudio.core.data.report import ProblemLog

_CHUNK_BYTES = 32 << 20
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, elementwise on uint64 (wrapping arithmetic)."""
    h = np.asarray(h, np.uint64)
    h = (h ^ (h >> np.uint64(30))) * _M1
    h = (h ^ (h >> np.uint64(27))) * _M2
    return h ^ (h >> np.uint64(31))


def combine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One hash of two (order matters)."""
    return mix(np.asarray(a, np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ mix(b))


def columns_hash(columns: list[Column]) -> np.ndarray:
    """A hash per row of the columns' values (missing cells hash alike)."""
    import pandas as pd

    frame = pd.DataFrame({i: c.values for i, c in enumerate(columns)})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy(np.uint64)


class OutOfTime(Exception):
    """The scan's time budget ran out."""


def array_hash(
    x: np.ndarray, rows: np.ndarray | None, state: TaskState, deadline: float = math.inf
) -> np.ndarray:
    """A hash per sample of ``x`` (``rows``: only these samples, in this order) from its
    bytes, read in chunks (a memory-mapped array is streamed) with cancel checks; raises
    :class:`OutOfTime` past ``deadline`` (``time.monotonic``)."""
    index = np.arange(int(x.shape[0])) if rows is None else np.asarray(rows, np.int64)
    n = len(index)
    row_bytes = max(1, int(np.prod(x.shape[1:], dtype=np.int64)) * x.dtype.itemsize)
    words = -(-row_bytes // 8)
    rng = np.random.default_rng(0x5EED)
    weights = rng.integers(1, 2**63, size=(2, words), dtype=np.uint64) | np.uint64(1)
    out = np.zeros(n, np.uint64)
    step = max(1, _CHUNK_BYTES // row_bytes)
    for start in range(0, n, step):
        state.report(start, n, "checking duplicates")
        if time.monotonic() > deadline:
            raise OutOfTime()
        chunk = np.ascontiguousarray(x[index[start : start + step]])
        raw = chunk.reshape(len(chunk), -1).view(np.uint8).reshape(len(chunk), -1)
        if raw.shape[1] != words * 8:
            raw = np.pad(raw, ((0, 0), (0, words * 8 - raw.shape[1])))
        w = raw.view(np.uint64)
        first = (w * weights[0]).sum(axis=1, dtype=np.uint64)
        second = (w * weights[1]).sum(axis=1, dtype=np.uint64)
        out[start : start + len(chunk)] = combine(first, second)
    return out


def labels_hash(y: np.ndarray) -> np.ndarray:
    """A hash per sample of its target(s)."""
    y = np.asarray(y)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    flat = np.ascontiguousarray(y.reshape(len(y), -1).astype(np.float64))
    return array_hash(flat, None, TaskState())


def table_lines(table: CsvTable) -> np.ndarray | None:
    """The file line of each kept row of ``table`` (read again when the inspection
    released them); ``None`` when they cannot be told (then rows are numbered)."""
    lines = table.lines
    if lines is not None:
        return lines
    from nnstudio.core.data.csv_sniff import read_text_file
    from nnstudio.core.data.csv_structure import check_structure

    log = ProblemLog()
    tf = read_text_file(table.path, table.encoding, log, table.where)
    if tf is None:
        return None
    structure = check_structure(tf, table.dialect, log, table.where)
    if structure is None or len(structure.lines) != table.rows_read:
        return None
    kept = table._kept  # rows dropped by the missing-value policy
    return structure.lines if kept is None else structure.lines[kept]


def cell_text(column: Column, row: int) -> str:
    """One cell as the user would recognise it ("" when missing)."""
    value = column.values[row]
    if column.kind != "numeric":
        return "" if value is None else str(value)
    v = float(value)
    if np.isnan(v):
        return ""
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.6g}"
