"""A sweep's results: one :class:`TrialResult` per trial, kept in the sweep's folder as
``trials.json`` (what :func:`read_trials` reads back) and ``trials.csv`` (one row per trial:
number, status, its parameters, the objective, final and best metrics, epochs, run folder),
both written atomically after every trial."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnstudio.core.atomic import atomic_write_text
from nnstudio.core.sweeps.spec import SweepError
from nnstudio.core.training.records import RunRecord, RunRecordError

TRIALS_JSON = "trials.json"
TRIALS_CSV = "trials.csv"
TRIAL_STATUSES = ("completed", "pruned", "failed", "stopped", "running")
RESULTS_FORMAT = 1


@dataclass
class TrialResult:
    """One trial: its ``number`` (1, 2, ...), the values it tried (``params``), how it ended,
    the last (``final``) and best (``best``) value of every logged metric, the epochs it
    completed, its run folder, ``value`` (the sweep's metric, what the search optimises),
    ``message`` and, for a trial recorded in the project, its ``record``."""

    number: int
    params: dict[str, Any]
    status: str = "running"
    final: dict[str, float] = field(default_factory=dict)
    best: dict[str, float] = field(default_factory=dict)
    epochs: int = 0
    folder: str | None = None
    record: RunRecord | None = None
    value: float | None = None
    message: str = ""
    elapsed_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain data (``from_json`` reads it back)."""
        return {
            "number": self.number,
            "params": dict(self.params),
            "status": self.status,
            "final": dict(self.final),
            "best": dict(self.best),
            "epochs": self.epochs,
            "folder": self.folder,
            "record": self.record.to_json() if self.record is not None else None,
            "value": self.value,
            "message": self.message,
            "elapsed_s": self.elapsed_s,
        }

    @classmethod
    def from_json(cls, data: Any) -> TrialResult:
        """Read :meth:`to_json` output (:class:`SweepError` naming the bad key)."""
        if not isinstance(data, dict):
            raise SweepError("a trial must be an object")
        number = data.get("number")
        if isinstance(number, bool) or not isinstance(number, int):
            raise SweepError("trial number: expected a whole number")
        where = f"trial {number}"
        checks: dict[str, tuple[type | tuple[type, ...], Any]] = {
            "params": (dict, {}),
            "status": (str, "running"),
            "final": (dict, {}),
            "best": (dict, {}),
            "epochs": (int, 0),
            "folder": ((str, type(None)), None),
            "value": ((int, float, type(None)), None),
            "message": (str, ""),
            "elapsed_s": ((int, float, type(None)), None),
        }
        values: dict[str, Any] = {}
        for key, (kind, default) in checks.items():
            value = data.get(key, default)
            if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
                raise SweepError(f"{where}: {key}: unexpected {type(value).__name__}")
            values[key] = value
        if values["status"] not in TRIAL_STATUSES:
            raise SweepError(f"{where}: status {values['status']!r} is not a trial status")
        record = data.get("record")
        try:
            values["record"] = RunRecord.from_json(record) if record is not None else None
        except RunRecordError as exc:
            raise SweepError(f"{where}: record: {exc}") from None
        return cls(number=number, **values)


def write_results(folder: Path, trials: list[TrialResult], param_names: list[str]) -> None:
    """Write ``trials.json`` and ``trials.csv`` into ``folder`` (atomically)."""
    ordered = sorted(trials, key=lambda t: t.number)
    data = {"results_format": RESULTS_FORMAT, "trials": [_stored(t) for t in ordered]}
    atomic_write_text(folder / TRIALS_JSON, json.dumps(_finite(data), indent=1) + "\n")
    atomic_write_text(folder / TRIALS_CSV, trials_csv(ordered, param_names))


def _stored(trial: TrialResult) -> dict[str, Any]:
    """A trial as ``trials.json`` keeps it: the record's id, not the record (it lives in the
    project file)."""
    out = trial.to_json()
    record = out.pop("record")
    out["run_id"] = record["id"] if record else None
    return out


def trials_csv(trials: list[TrialResult], param_names: list[str]) -> str:
    """The CSV text: ``number, status, <params>, value, final_<m>..., best_<m>..., epochs,
    folder`` (metrics in the order first logged)."""
    metrics: list[str] = []
    for t in trials:
        for key in [*t.final, *t.best]:
            if key == "learning_rate":
                continue
            if key not in metrics:
                metrics.append(key)
    header = [
        "number",
        "status",
        *param_names,
        "value",
        *(f"final_{m}" for m in metrics),
        *(f"best_{m}" for m in metrics),
        "epochs",
        "folder",
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for t in trials:
        writer.writerow(
            [
                t.number,
                t.status,
                *(_cell(t.params.get(n)) for n in param_names),
                _cell(t.value),
                *(_cell(t.final.get(m)) for m in metrics),
                *(_cell(t.best.get(m)) for m in metrics),
                t.epochs,
                t.folder or "",
            ]
        )
    return out.getvalue()


def read_trials(folder: str | Path) -> list[TrialResult]:
    """The trials of the sweep in ``folder`` (``[]`` when it has none yet); a damaged file
    raises :class:`SweepError` naming it."""
    path = Path(folder) / TRIALS_JSON
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SweepError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("trials"), list):
        raise SweepError(f"{path}: not a sweep's trials file")
    version = data.get("results_format", RESULTS_FORMAT)
    if not isinstance(version, int) or version > RESULTS_FORMAT:
        raise SweepError(f"{path}: results_format {version!r} is newer than this app reads")
    try:
        return [TrialResult.from_json(t) for t in data["trials"]]
    except SweepError as exc:
        raise SweepError(f"{path}: {exc}") from None


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return value


def _finite(value: Any) -> Any:
    """JSON has no NaN/Inf: those become ``None``."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
