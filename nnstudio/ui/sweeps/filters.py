"""The results table's filter language: clauses such as ``units>=32``, ``status=completed``,
``optimizer!=sgd`` or ``val_loss<0.5``, separated by spaces or commas; a bare word keeps
the rows that contain it in any column.

Numbers compare as numbers, text case-insensitively (``~`` means "contains").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

OPERATORS = (">=", "<=", "!=", "==", "=", ">", "<", "~")
_CLAUSE = re.compile(r"^([A-Za-z_][\w.]*)\s*(>=|<=|!=|==|=|>|<|~)\s*(.+)$")


class FilterError(ValueError):
    """A filter that cannot be read (the message says which clause and why)."""


@dataclass(frozen=True)
class Clause:
    """One condition: ``column op value`` (``column`` None: ``value`` anywhere)."""

    column: str | None
    op: str
    value: str

    def test(self, row: Mapping[str, Any]) -> bool:
        """True when ``row`` (column name -> raw value) passes."""
        if self.column is None:
            needle = self.value.lower()
            return any(needle in _text(v) for v in row.values())
        return _compare(row[self.column], self.op, self.value)


def _text(value: Any) -> str:
    return "" if value is None else str(value).lower()


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "=": lambda a, b: abs(a - b) <= 1e-12 * max(1.0, abs(b)),
    "!=": lambda a, b: abs(a - b) > 1e-12 * max(1.0, abs(b)),
}


def _compare(actual: Any, op: str, wanted: str) -> bool:
    op = "=" if op == "==" else op
    if op == "~":
        return wanted.lower() in _text(actual)
    a, b = _number(actual), _number(wanted)
    if a is not None and b is not None:
        return _NUMERIC[op](a, b)
    if op in ("=", "!="):
        return (_text(actual) == wanted.lower()) == (op == "=")
    if actual is None:
        return False
    x, y = _text(actual), wanted.lower()
    return {">=": x >= y, "<=": x <= y, ">": x > y, "<": x < y}[op]


def _pieces(text: str) -> list[str]:
    """Split on commas and on spaces that are not around an operator."""
    text = re.sub(r"\s*(>=|<=|!=|==|=|>|<|~)\s*", r"\1", text.strip())
    return [p for p in re.split(r"[\s,]+", text) if p]


def parse_filter(text: str, columns: Sequence[str]) -> list[Clause]:
    """The clauses of ``text``; :class:`FilterError` names an unknown column or a clause
    without a value."""
    clauses: list[Clause] = []
    known = {c.lower(): c for c in columns}
    short: dict[str, list[str]] = {}
    for c in columns:  # "units" names "hidden.units" while no other column ends so
        short.setdefault(c.rpartition(".")[2].lower(), []).append(c)
    known.update({k: v[0] for k, v in short.items() if len(v) == 1 and k not in known})
    for piece in _pieces(text):
        m = _CLAUSE.match(piece)
        if m is None:
            if any(op in piece for op in OPERATORS):
                raise FilterError(f"'{piece}': write it as name>=value (e.g. units>=32)")
            clauses.append(Clause(None, "~", piece))
            continue
        name, op, value = m.groups()
        column = known.get(name.lower())
        if column is None:
            raise FilterError(f"'{name}' is no column here (columns: {', '.join(columns)})")
        clauses.append(Clause(column, op, value))
    return clauses


def accepts(row: Mapping[str, Any], clauses: Sequence[Clause]) -> bool:
    """True when ``row`` passes every clause."""
    return all(c.test(row) for c in clauses)
