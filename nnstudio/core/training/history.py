"""Per-epoch history of a run: the completed epochs only, as ``{metric: [values]}``.

Metric names are Keras' own (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ...);
``learning_rate`` is logged alongside but is not a metric (no "best" value).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nnstudio.core.atomic import atomic_write_text
from nnstudio.core.training.config import metric_mode

NOT_METRICS = ("learning_rate", "lr", "epoch", "seconds")


class History:
    """Values of every logged metric for each completed epoch (``None`` where missing)."""

    def __init__(self, data: Mapping[str, list[float | None]] | None = None) -> None:
        self.data: dict[str, list[float | None]] = {k: list(v) for k, v in (data or {}).items()}

    @property
    def epochs(self) -> int:
        """Number of completed epochs recorded."""
        return max((len(v) for v in self.data.values()), default=0)

    def append(self, logs: Mapping[str, Any]) -> None:
        """Record one completed epoch; metrics new to this epoch are padded with ``None``."""
        n = self.epochs
        for key, value in logs.items():
            if key not in self.data:
                self.data[key] = [None] * n
            self.data[key].append(_number(value))
        for values in self.data.values():
            if len(values) < n + 1:
                values.append(None)

    def truncate(self, epochs: int) -> None:
        """Keep the first ``epochs`` epochs only."""
        for key in self.data:
            del self.data[key][epochs:]

    def metrics(self) -> list[str]:
        """Names of the logged metrics (not the learning rate or timings)."""
        return [k for k in self.data if k not in NOT_METRICS]

    def final(self) -> dict[str, float]:
        """The last recorded value of each column."""
        out: dict[str, float] = {}
        for key, values in self.data.items():
            last = next((v for v in reversed(values) if v is not None), None)
            if last is not None:
                out[key] = last
        return out

    def best(self) -> dict[str, float]:
        """The best value of every metric (lowest loss/error, highest accuracy)."""
        out: dict[str, float] = {}
        for key in self.metrics():
            index = self.best_epoch(key)
            if index is not None:
                value = self.data[key][index]
                assert value is not None
                out[key] = value
        return out

    def best_epoch(self, metric: str) -> int | None:
        """Index of the epoch with the best value of ``metric`` (``None`` if never logged)."""
        values = self.data.get(metric, [])
        pairs = [(v, i) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
        if not pairs:
            return None
        if metric_mode(metric) == "max":
            return max(pairs, key=lambda p: (p[0], -p[1]))[1]
        return min(pairs, key=lambda p: (p[0], p[1]))[1]

    # -- files ------------------------------------------------------------------------
    def to_json(self) -> dict[str, list[float | None]]:
        """``{metric: [values]}`` (copies)."""
        return {k: list(v) for k, v in self.data.items()}

    def to_csv_text(self) -> str:
        """One row per epoch: ``epoch`` (1-based) then every column; empty cells for gaps."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        keys = list(self.data)
        writer.writerow(["epoch", *keys])
        for i in range(self.epochs):
            row: list[Any] = [i + 1]
            for key in keys:
                v = self.data[key][i]
                row.append("" if v is None else repr(v))
            writer.writerow(row)
        return buf.getvalue()

    def save_csv(self, path: str | Path) -> None:
        """Write :meth:`to_csv_text` atomically."""
        atomic_write_text(path, self.to_csv_text())

    @classmethod
    def load_csv(cls, path: str | Path) -> History:
        """Read a file written by :meth:`save_csv`."""
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        if not rows:
            return cls()
        header = rows[0][1:]
        data: dict[str, list[float | None]] = {k: [] for k in header}
        for row in rows[1:]:
            for key, cell in zip(header, row[1:], strict=False):
                data[key].append(float(cell) if cell else None)
        return cls(data)


def _number(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None
