"""The data-quality scan: exact duplicates (rows, files), near-duplicate images, samples
shared across the train / validation / test splits (leakage), the same features with
different labels (label conflicts) and class imbalance with the class weights it suggests.

:func:`scan_quality` works on a :class:`~nnstudio.core.data.inspection.LoadedSource` (what
the inspection read), so nothing is parsed twice; :func:`inspect_with_quality` does both and
adds the problems found to the report (each a :class:`QualityProblem`: a ``kind``, a count,
the samples' locations as the other problems give them, and capped sample lists). The scan
reports progress, can be cancelled, stops at a time budget (saying so) and counts files it
cannot read instead of failing on them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnstudio.core.data.classes import IMBALANCE_RATIO, balanced_class_weight
from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.datasets import labels_for_split
from nnstudio.core.data.inspection import LoadedSource, load_source
from nnstudio.core.data.progress import CancelledFn, ProgressFn, TaskState, as_state
from nnstudio.core.data.quality_groups import SPLIT_NAMES, Grouping, split_codes
from nnstudio.core.data.quality_images import NEAR_BITS
from nnstudio.core.data.report import Problem, Report
from nnstudio.core.data.splits import split_indices

KINDS = (
    "duplicate_rows",
    "duplicate_files",
    "near_duplicates",
    "split_leakage",
    "label_conflicts",
    "class_imbalance",
)
GROUPS_SHOWN = 20  # groups listed per problem
MEMBERS_SHOWN = 12  # samples listed per group
INDICES_SHOWN = 200  # sample indices / files listed per problem
DEFAULT_BUDGET = 60.0  # seconds


@dataclass(frozen=True)
class SampleGroup:
    """Samples that belong together (copies, a cluster, a conflict): ``size`` in all, the
    first :data:`MEMBERS_SHOWN` listed by location, with their labels and splits."""

    size: int
    locations: tuple[str, ...]
    indices: tuple[int, ...]
    labels: tuple[str, ...] = ()
    splits: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()  # image files (absolute)
    files: tuple[str, ...] = ()  # image files as the report names them
    values: tuple[tuple[str, str], ...] = ()  # (column, cell) of the first row

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"size": self.size, "samples": list(self.locations)}
        if self.labels:
            out["labels"] = list(self.labels)
        if self.splits:
            out["splits"] = list(self.splits)
        if self.files:
            out["files"] = list(self.files)
        if self.values:
            out["values"] = dict(self.values)
        return out


@dataclass(frozen=True)
class QualityProblem(Problem):
    """A :class:`Problem` found by the quality scan, with what it concerns.

    ``count``: the samples concerned (for ``class_imbalance``: of the smallest class);
    ``indices``: the main source's samples concerned (0-based, capped), ``files`` the same
    for images; ``validation_indices``: samples of a separate validation source."""

    kind: str = ""
    count: int = 0
    n_groups: int = 0
    groups: tuple[SampleGroup, ...] = ()
    indices: tuple[int, ...] = ()
    validation_indices: tuple[int, ...] = ()
    files: tuple[str, ...] = ()
    class_weights: tuple[tuple[str, float], ...] = ()
    class_counts: tuple[tuple[str, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = super().to_json()
        out |= {"kind": self.kind, "count": self.count, "groups": self.n_groups}
        if self.files:
            out["files"] = list(self.files)
        elif self.kind != "class_imbalance":
            out["indices"] = list(self.indices)
            if self.validation_indices:
                out["validation_indices"] = list(self.validation_indices)
        if self.class_weights:
            out["class_weights"] = {name: round(w, 6) for name, w in self.class_weights}
        if self.class_counts:
            out["class_counts"] = dict(self.class_counts)
        out["sample_groups"] = [g.to_json() for g in self.groups]
        return out


@dataclass
class QualityReport:
    """What the scan found; ``complete`` is False when it stopped at its time budget."""

    problems: list[QualityProblem] = field(default_factory=list)
    samples: int = 0
    seconds: float = 0.0
    complete: bool = True
    notes: list[str] = field(default_factory=list)
    class_weights: dict[str, float] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "seconds": round(self.seconds, 3),
            "complete": self.complete,
            "notes": list(self.notes),
            "class_weights": None
            if self.class_weights is None
            else {k: round(v, 6) for k, v in self.class_weights.items()},
            "problems": [p.kind for p in self.problems],
        }

    def format_lines(self, problems: bool = True) -> list[str]:
        """The scan in plain words, for a terminal (``problems``: each one too; they are
        also in the inspection report's own list)."""
        head = f"data quality: {len(self.problems)} problem(s) in {self.samples} samples"
        head += f" ({self.seconds:.1f} s)" if self.seconds >= 0.1 else ""
        lines = [head + ("" if self.complete else ", scan incomplete")]
        for p in self.problems if problems else ():
            lines.append(f"  {p.kind}: {p.message}")
            if p.location:
                lines.append(f"    at {p.location}")
        lines += [f"  note: {n}" for n in self.notes]
        if self.class_weights:
            shown = ", ".join(f"{k} {v:.3g}" for k, v in self.class_weights.items())
            lines.append(f"  balanced class weights: {shown}")
        return lines


@dataclass
class Samples:
    """Every sample the scan looks at (the main source, then a separate validation source):
    its split, label code, and how to name it to the user."""

    n_main: int
    splits: np.ndarray
    labels: np.ndarray | None = None  # class codes (classification)
    class_names: list[str] | None = None
    locations: Any = None  # callable: index -> location text
    label_texts: Any = None  # callable: index -> label text (or None)
    values: Any = None  # callable: index -> ((column, text), ...)
    paths: list[str] | None = None  # image files (absolute)
    files: list[str] | None = None  # image files as the report names them
    unit: str = "samples"

    @property
    def n(self) -> int:
        return len(self.splits)


def inspect_with_quality(
    config: DataConfig,
    progress: ProgressFn | None = None,
    cancelled: CancelledFn | None = None,
    budget_s: float = DEFAULT_BUDGET,
    state: TaskState | None = None,
) -> tuple[Report, QualityReport]:
    """:func:`inspect_source` followed by :func:`scan_quality`; the quality problems are
    added to the report's problems. Raises ``Cancelled`` when asked to stop."""
    state = state or as_state(progress, cancelled)
    loaded = load_source(config, state)
    quality = scan_quality(loaded, state, budget_s)
    add_to_report(loaded.report, quality)
    return loaded.report, quality


def scan_quality(
    loaded: LoadedSource,
    state: TaskState | None = None,
    budget_s: float = DEFAULT_BUDGET,
    near_bits: int = NEAR_BITS,
) -> QualityReport:
    """Scan a loaded source; never raises for bad data (``Cancelled`` when asked to stop)."""
    from nnstudio.core.data import quality_scan

    state = state or TaskState()
    start = time.monotonic()
    out = QualityReport()
    report = loaded.report
    if not report.ok:
        out.notes.append("not scanned: the data has blocking problems")
        return out
    deadline = start + budget_s
    if loaded.table is not None and loaded.targets is not None:
        quality_scan.scan_table(loaded, out)
    elif loaded.scan is not None:
        quality_scan.scan_images(loaded, out, state, deadline, near_bits)
    elif loaded.arrays is not None and loaded.arrays.y is not None:
        quality_scan.scan_arrays(loaded, out, state, deadline)
    else:
        out.notes.append("not scanned: this kind of source is not checked for duplicates")
    out.seconds = time.monotonic() - start
    return out


def split_assignment(
    config: DataConfig, task: str | None, y: np.ndarray, n_val: int | None
) -> np.ndarray:
    """Each sample's split code (train 0, val 1, test 2) exactly as the pipeline splits
    (:meth:`Source._split`); ``n_val`` samples of a separate validation source (``None``:
    none) come after the main ones."""
    n = len(y)
    val_fraction = 0.0 if n_val is not None else config.val_fraction
    train, val, test = split_indices(
        n, val_fraction, config.test_fraction, config.seed, labels_for_split(config, task or "", y)
    )
    codes = split_codes(n, train, val, test)
    if n_val is not None:
        codes = np.concatenate([codes, np.ones(n_val, np.int8)])
    return codes


def make_problem(
    kind: str, severity: str, message: str, grouping: Grouping, samples: Samples
) -> QualityProblem:
    """A problem over ``grouping``'s samples: located, with capped groups and lists."""
    members = grouping.members
    shown = [samples.locations(int(i)) for i in members[:3]]
    more = grouping.n_samples - len(shown)
    location = ", ".join(shown) + (f" and {more} more" if more > 0 else "")
    groups = tuple(
        _group(grouping.group(g), samples) for g in range(min(GROUPS_SHOWN, grouping.n_groups))
    )
    everyone = grouping.all_members()
    main = everyone[everyone < samples.n_main]
    val = everyone[everyone >= samples.n_main] - samples.n_main
    files = (
        ()
        if samples.files is None
        else tuple(samples.files[int(i)] for i in everyone[:INDICES_SHOWN])
    )
    return QualityProblem(
        severity,
        location,
        message,
        kind=kind,
        count=grouping.n_samples,
        n_groups=grouping.n_groups,
        groups=groups,
        indices=tuple(int(i) for i in main[:INDICES_SHOWN]),
        validation_indices=tuple(int(i) for i in val[:INDICES_SHOWN]),
        files=files,
    )


def _group(members: np.ndarray, samples: Samples) -> SampleGroup:
    shown = [int(i) for i in members[:MEMBERS_SHOWN]]
    labels = tuple(samples.label_texts(i) for i in shown) if samples.label_texts else ()
    return SampleGroup(
        size=len(members),
        locations=tuple(samples.locations(i) for i in shown),
        indices=tuple(shown),
        labels=labels,
        splits=tuple(SPLIT_NAMES[int(samples.splits[i])] for i in shown),
        paths=tuple(samples.paths[i] for i in shown) if samples.paths else (),
        files=tuple(samples.files[i] for i in shown) if samples.files else (),
        values=samples.values(shown[0]) if samples.values else (),
    )


def imbalance(samples: Samples, out: QualityReport) -> None:
    """The class weights the training split suggests; a problem when the classes are
    :data:`IMBALANCE_RATIO` times apart or more."""
    if samples.labels is None or not samples.class_names:
        return
    names = samples.class_names
    k = len(names)
    main = samples.labels[: samples.n_main]
    counts = np.bincount(main, minlength=k)[:k].tolist()
    train = samples.labels[samples.splits == 0]
    weights = balanced_class_weight(np.bincount(train, minlength=k)[:k].tolist())
    out.class_weights = {names[i]: w for i, w in weights.items()}
    present = [(names[i], c) for i, c in enumerate(counts) if c > 0]
    if len(present) < 2:
        return
    big = max(present, key=lambda nc: nc[1])
    small = min(present, key=lambda nc: nc[1])
    ratio = big[1] / small[1]
    if ratio < IMBALANCE_RATIO:
        return
    shown = ", ".join(f"{name} {w:.3g}" for name, w in out.class_weights.items())
    out.problems.append(
        QualityProblem(
            "warning",
            "classes",
            f'the classes are imbalanced: "{big[0]}" has {big[1]} samples, "{small[0]}" only '
            f"{small[1]} ({ratio:.1f}x); balanced class weights: {shown}",
            kind="class_imbalance",
            count=int(small[1]),
            class_weights=tuple(out.class_weights.items()),
            class_counts=tuple((name, int(c)) for name, c in zip(names, counts, strict=True)),
        )
    )


_IMBALANCE_PREFIX = "the classes are imbalanced"


def add_to_report(report: Report, quality: QualityReport) -> None:
    """Add the quality problems to ``report.problems``; the imbalance found replaces the
    inspection's own imbalance warning (the same fact, now with its class weights)."""
    problems = list(report.problems)
    if any(p.kind == "class_imbalance" for p in quality.problems):
        problems = [
            p
            for p in problems
            if isinstance(p, QualityProblem) or not p.message.startswith(_IMBALANCE_PREFIX)
        ]
    report.problems = problems + list(quality.problems)


def display_name(path: str) -> str:
    return os.path.basename(os.path.normpath(path))
