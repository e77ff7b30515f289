"""Counting the fields of every record, so ragged rows and unterminated quotes
are found and every data row knows its line in the file.

pandas pads short rows with NaN and, when the first rows are long, silently
shifts the columns; so the field counts are checked here, before pandas reads.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

import numpy as np

from nnstudio.core.data.csv_sniff import Dialect, TextFile, delimiter_name
from nnstudio.core.data.report import ProblemLog


@dataclass
class Structure:
    """``lines[i]`` is the 1-based file line where data row ``i`` starts;
    ``counts[i]`` its number of values. ``ragged`` holds the indices of the
    rows whose count differs from ``n_fields`` (already reported)."""

    lines: np.ndarray
    n_fields: int
    counts: np.ndarray | None = None
    ragged: np.ndarray | None = None


def _loc(where: str, line: int) -> str:
    return f"{where}, line {line}" if where else f"line {line}"


def _counts_fast(data: bytes, delimiter: str) -> tuple[np.ndarray, np.ndarray]:
    """(field count, 1-based line number) of every non-blank line; no quotes in ``data``."""
    buf = np.frombuffer(data, np.uint8)
    nl = np.flatnonzero(buf == 10)
    if data.endswith(b"\n"):
        starts = np.concatenate(([0], nl[:-1] + 1))
        ends = nl
    else:
        starts = np.concatenate(([0], nl + 1))
        ends = np.concatenate((nl, [len(data)]))
    is_delim = (buf == ord(delimiter)).view(np.uint8)
    counts = np.add.reduceat(is_delim, starts, dtype=np.int64) + 1
    lengths = ends - starts
    # reduceat gives a[start] for empty segments; an empty line holds no delimiter
    counts[lengths == 0] = 1
    blank = (lengths == 0) | ((lengths == 1) & (buf[np.minimum(starts, len(buf) - 1)] == 13))
    # whitespace-only lines (pandas skips them): check the few single-field lines
    for i in np.flatnonzero((counts == 1) & ~blank):
        if not data[starts[i] : ends[i]].strip():
            blank[i] = True
    keep = ~blank
    return counts[keep], (np.flatnonzero(keep) + 1)


def _counts_csv(
    text: str, delimiter: str, log: ProblemLog, where: str
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Like :func:`_counts_fast` but with the csv module, which understands
    quotes; the flag says a line could not be split (reported; the rows before
    it are still counted, so their problems are reported too)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    counts: list[int] = []
    lines: list[int] = []
    prev = 0
    broken = False
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            start = prev + 1
            msg = str(exc)
            if "unexpected end of data" in msg or "field larger" in msg:
                log.error(
                    _loc(where, start),
                    "a quoted field starts on this line and its closing quote is never found "
                    '(unterminated quote: check the " characters on this line)',
                )
            elif "expected after" in msg:
                log.error(
                    _loc(where, reader.line_num),
                    f"text follows a closing quote before the next {delimiter_name(delimiter)}; "
                    'a quote inside a quoted field must be doubled ("")',
                )
            else:
                log.error(_loc(where, reader.line_num), f"cannot split this line: {msg}")
            broken = True
            break
        start = prev + 1
        prev = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        counts.append(len(row))
        lines.append(start)
    return np.asarray(counts, dtype=np.int64), np.asarray(lines, dtype=np.int64), broken


def check_structure(
    tf: TextFile, dialect: Dialect, log: ProblemLog, where: str = ""
) -> Structure | None:
    """Find ragged rows and unterminated quotes; map data rows to file lines.

    Every ragged row is reported (a cap per kind); ``None`` when the rows
    cannot be told apart (an unterminated quote, no rows, a wrong header)."""
    data = tf.data
    quoted = b'"' in data if tf.ascii_compatible else '"' in tf.text()
    broken = False
    if tf.ascii_compatible and not quoted and b"\n" in data:
        counts, lines = _counts_fast(data, dialect.delimiter)
    else:
        counts, lines, broken = _counts_csv(tf.text(), dialect.delimiter, log, where)
    if len(counts) == 0:
        if broken:
            return None
        log.error(where or "file", "the file has no rows")
        return None
    if dialect.header:
        expected = int(counts[0])
        header_line = int(lines[0])
        counts, lines = counts[1:], lines[1:]
        what = f"the header (line {header_line}) names {expected} columns"
    else:
        expected = Counter(counts.tolist()).most_common(1)[0][0]
        what = f"most rows have {expected} values"
    if len(counts) == 0:
        if not broken:
            log.error(where or "file", "the file has a header line but no data rows")
        return None
    bad = np.flatnonzero(counts != expected)
    if len(bad):
        if dialect.header and len(bad) == len(counts) and len(set(counts.tolist())) == 1:
            n = int(counts[0])
            hint = (
                " (a delimiter at the end of each row?)"
                if n == expected + 1
                else " (is a column name missing?)"
                if n > expected
                else ""
            )
            log.error(
                _loc(where, header_line),
                f"the header names {expected} columns but every row has {n} values{hint}",
            )
            return None
        for i in bad:
            n = int(counts[i])
            kind = "too many" if n > expected else "too few"
            log.error(
                _loc(where, int(lines[i])),
                f"this row has {n} values, {kind}: {what}",
                group="ragged",
            )
    if broken:
        return None
    return Structure(lines=lines, n_fields=expected, counts=counts, ragged=bad)
