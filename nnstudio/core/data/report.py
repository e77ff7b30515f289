"""The inspection report: a summary of a data source and every problem found."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Problem:
    """One thing wrong (``error``: blocks training), doubtful (``warning``) or
    worth knowing (``info``), with where it is in plain words."""

    severity: str
    location: str
    message: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    def to_json(self) -> dict[str, Any]:
        return {"severity": self.severity, "location": self.location, "message": self.message}

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class ProblemLog:
    """Collects problems; repeats of one kind (same ``group``) are listed up to
    ``per_group`` times, the rest summed up in one closing line."""

    def __init__(self, per_group: int = 10):
        self.per_group = per_group
        self._problems: list[Problem] = []
        self._overflow: OrderedDict[str, tuple[Problem, list[str]]] = OrderedDict()
        self._counts: dict[str, int] = {}

    def add(self, severity: str, location: str, message: str, group: str | None = None) -> None:
        problem = Problem(severity, location, message)
        if group is not None:
            count = self._counts.get(group, 0) + 1
            self._counts[group] = count
            if count > self.per_group:
                first, locations = self._overflow.setdefault(group, (problem, []))
                locations.append(location)
                return
        self._problems.append(problem)

    def error(self, location: str, message: str, group: str | None = None) -> None:
        self.add("error", location, message, group)

    def warning(self, location: str, message: str, group: str | None = None) -> None:
        self.add("warning", location, message, group)

    def info(self, location: str, message: str, group: str | None = None) -> None:
        self.add("info", location, message, group)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self._problems) or any(
            p.severity == "error" for p, _ in self._overflow.values()
        )

    def problems(self) -> list[Problem]:
        """All problems, with one summary line per group that overflowed."""
        out = list(self._problems)
        for first, locations in self._overflow.values():
            shown = ", ".join(locations[:5])
            more = f" and {len(locations) - 5} more" if len(locations) > 5 else ""
            out.append(
                Problem(
                    first.severity,
                    shown + more,
                    f"{len(locations)} more like this: {first.message}",
                )
            )
        return out


@dataclass
class Report:
    """What an inspection found.

    ``classes`` is a list of ``(name, count)`` for classification;
    ``target_range`` is ``(min, max)`` of the targets for regression;
    ``num_outputs`` is the number of classes or of regression targets;
    ``details`` holds the options the inspection resolved (delimiter, encoding,
    image size, array names ...); ``columns`` describes each CSV column.
    """

    kind: str
    path: str
    samples: int = 0
    feature_shape: tuple[int, ...] = ()
    task: str | None = None
    classes: list[tuple[str, int]] = field(default_factory=list)
    target_range: tuple[float, float] | None = None
    num_outputs: int = 0
    nan_count: int = 0
    inf_count: int = 0
    constant_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    content_hash: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    columns: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing blocks training (no ``error`` problems)."""
        return not self.errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def class_names(self) -> list[str] | None:
        return [name for name, _ in self.classes] if self.task == "classification" else None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "ok": self.ok,
            "samples": int(self.samples),
            "feature_shape": [int(d) for d in self.feature_shape],
            "task": self.task,
            "classes": [{"name": n, "count": int(c)} for n, c in self.classes],
            "target_range": None
            if self.target_range is None
            else [float(self.target_range[0]), float(self.target_range[1])],
            "num_outputs": int(self.num_outputs),
            "nan_count": int(self.nan_count),
            "inf_count": int(self.inf_count),
            "constant_columns": list(self.constant_columns),
            "content_hash": self.content_hash,
            "details": self.details,
            "columns": self.columns,
            "problems": [p.to_json() for p in self.problems],
        }

    def summary_lines(self) -> list[str]:
        """The summary in plain words, one fact per line."""
        unit = {"images": "images", "csv": "rows"}.get(self.kind, "samples")
        lines = [f"{self.kind}: {self.path}", f"samples: {self.samples} {unit}"]
        if self.feature_shape:
            lines.append(f"feature shape: {tuple(self.feature_shape)}")
        if self.task == "classification":
            lines.append(f"task: classification, {len(self.classes)} classes")
            lines.append(
                "classes: " + ", ".join(f"{name} ({count})" for name, count in self.classes)
            )
        elif self.task == "regression":
            lines.append(f"task: regression, {self.num_outputs} target(s)")
            if self.target_range is not None:
                lo, hi = self.target_range
                lines.append(f"target range: {lo:.6g} to {hi:.6g}")
        elif self.task == "reconstruction":
            lines.append("task: reconstruction (the targets are the inputs)")
            if self.target_range is not None:
                lo, hi = self.target_range
                lines.append(f"input range: {lo:.6g} to {hi:.6g}")
        if self.kind != "images":
            lines.append(f"NaN values: {self.nan_count}, infinite values: {self.inf_count}")
        if self.constant_columns:
            lines.append("constant columns: " + ", ".join(self.constant_columns))
        return lines

    def format_text(self) -> str:
        """The summary and every problem, for a terminal."""
        lines = self.summary_lines()
        n_err, n_warn = len(self.errors), len(self.warnings)
        if self.problems:
            lines.append(f"problems: {n_err} error(s), {n_warn} warning(s)")
            for p in self.problems:
                where = f"{p.location}: " if p.location else ""
                lines.append(f"  {p.severity:<7} {where}{p.message}")
        else:
            lines.append("problems: none")
        lines.append("ready to train" if self.ok else "NOT ready to train: fix the errors above")
        return "\n".join(lines)
