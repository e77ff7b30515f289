"""The data-quality scan of each kind of source: what its samples are, how they are
hashed and named; the problems themselves are built by :mod:`nnstudio.core.data.quality`."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from nnstudio.core.data.inspection import LoadedSource
from nnstudio.core.data.progress import TaskState
from nnstudio.core.data.quality import (
    QualityReport,
    Samples,
    display_name,
    imbalance,
    make_problem,
    split_assignment,
)
from nnstudio.core.data.quality_groups import codes_of, components, lift, mixed, repeated
from nnstudio.core.data.quality_images import NEAR_LIMIT, confirmed, hash_files, near_pairs
from nnstudio.core.data.quality_rows import (
    OutOfTime,
    array_hash,
    cell_text,
    columns_hash,
    combine,
    labels_hash,
    table_lines,
)
from nnstudio.core.data.targets import RECONSTRUCTION

_VALUES_SHOWN = 12


def _copies(n: int) -> str:
    return "1 image is a byte-for-byte copy" if n == 1 else f"{n} images are byte-for-byte copies"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _label_text(y: Any, class_names: Any, i: int) -> str:
    """Sample ``i``'s label as the user reads it: its class name, or its target values."""
    if class_names is not None:
        return str(class_names[int(y[i])])
    return ", ".join(f"{v:.6g}" for v in np.asarray(y[i]).reshape(-1))


def row_problems(
    samples: Samples, features: np.ndarray, full: np.ndarray, out: QualityReport
) -> None:
    """Leakage, label conflicts and exact duplicates among hashed rows."""
    unit = samples.unit
    leak = mixed(features, samples.splits)
    if leak.n_groups:
        out.problems.append(
            make_problem(
                "split_leakage",
                "warning",
                f"{leak.n_samples} {unit} in {_plural(leak.n_groups, 'set')} of identical {unit} "
                "are split between training and evaluation: the scores will be too good",
                leak,
                samples,
            )
        )
    if samples.labels is not None:
        conflicts = mixed(features, samples.labels)
        if conflicts.n_groups:
            out.problems.append(
                make_problem(
                    "label_conflicts",
                    "warning",
                    f"{conflicts.n_samples} {unit} in {_plural(conflicts.n_groups, 'set')} "
                    "have the same features but different labels",
                    conflicts,
                    samples,
                )
            )
    dup = repeated(full)
    if dup.n_groups:
        extra = dup.n_samples - dup.n_groups
        out.problems.append(
            make_problem(
                "duplicate_rows",
                "warning",
                f"{extra} {unit[:-1] + ' repeats' if extra == 1 else unit + ' repeat'} another "
                "exactly (features and target), in "
                f"{_plural(dup.n_groups, 'group')} of {dup.n_samples} {unit}",
                dup,
                samples,
            )
        )


# -- CSV ----------------------------------------------------------------------


def scan_table(loaded: LoadedSource, out: QualityReport) -> None:
    table, targets = loaded.table, loaded.targets
    assert table is not None and targets is not None
    val_table, val_targets = loaded.val_table, loaded.val_targets
    has_val = val_table is not None and val_targets is not None
    tables = [table] + ([val_table] if has_val and val_table is not None else [])
    n_main = table.n_rows
    task = targets.task
    features = np.concatenate([columns_hash(t.features) for t in tables])
    ys = [targets.y] + ([val_targets.y] if has_val and val_targets is not None else [])
    y = np.concatenate(ys) if task != RECONSTRUCTION else None
    full = features if y is None else combine(features, labels_hash(y))
    n_val = len(val_targets.y) if has_val and val_targets is not None else None
    splits = split_assignment(loaded.config, task, targets.y, n_val)
    lines: dict[int, Any] = {}

    def where(i: int) -> tuple[Any, int]:
        return (table, i) if i < n_main else (val_table, i - n_main)

    def locate(i: int) -> str:
        t, r = where(i)
        if id(t) not in lines:
            lines[id(t)] = table_lines(t)
        found = lines[id(t)]
        text = f"line {int(found[r])}" if found is not None else f"data row {r + 1}"
        return f"{t.where}, {text}" if t.where else text

    def label_text(i: int) -> str:
        assert y is not None
        return _label_text(y, targets.class_names, i)

    def values(i: int) -> tuple[tuple[str, str], ...]:
        t, r = where(i)
        cols = t.features[:_VALUES_SHOWN]
        return tuple((c.name, cell_text(c, r)) for c in cols)

    classification = task == "classification"
    samples = Samples(
        n_main=n_main,
        splits=splits,
        labels=np.asarray(y, np.int64) if classification and y is not None else None,
        class_names=targets.class_names if classification else None,
        locations=locate,
        label_texts=label_text if y is not None else None,
        values=values,
        unit="rows",
    )
    row_problems(samples, features, full, out)
    imbalance(samples, out)
    out.samples = samples.n


# -- NumPy --------------------------------------------------------------------


def _arrays_hash(arrays: Any, state: TaskState, deadline: float) -> np.ndarray:
    """A hash per kept sample of its features (of every input of a multi-input source)."""
    inputs = getattr(arrays, "inputs", None) or {"x": arrays.x}
    hashes = [array_hash(x, arrays.rows, state, deadline) for x in inputs.values()]
    out = hashes[0]
    for h in hashes[1:]:
        out = combine(out, h)
    return out


def scan_arrays(
    loaded: LoadedSource, out: QualityReport, state: TaskState, deadline: float
) -> None:
    arrays, va = loaded.arrays, loaded.val_arrays
    assert arrays is not None and arrays.y is not None
    if va is not None and va.y is None:
        va = None
    parts = [arrays] + ([va] if va is not None else [])
    try:
        features = np.concatenate([_arrays_hash(a, state, deadline) for a in parts])
    except OutOfTime:
        out.complete = False
        out.notes.append("the scan stopped at its time budget before every sample was hashed")
        return
    task = arrays.task
    y = None if task == RECONSTRUCTION else np.concatenate([np.asarray(a.y) for a in parts])
    full = features if y is None else combine(features, labels_hash(y))
    n_main = arrays.n
    splits = split_assignment(loaded.config, task, arrays.y, va.n if va is not None else None)
    val_name = display_name(loaded.config.validation_path or "")

    def raw(i: int) -> tuple[Any, int]:
        a, r = (arrays, i) if i < n_main else (va, i - n_main)
        assert a is not None
        return a, int(a.rows[r]) if a.rows is not None else r

    def locate(i: int) -> str:
        _, r = raw(i)
        return f"sample {r}" if i < n_main else f"{val_name}, sample {r}"

    def label_text(i: int) -> str:
        assert y is not None
        return _label_text(y, arrays.class_names, i)

    def values(i: int) -> tuple[tuple[str, str], ...]:
        a, r = raw(i)
        flat = np.asarray(a.x[r]).reshape(-1)[:8]
        return tuple((f"x[{j}]", f"{float(v):.6g}") for j, v in enumerate(flat))

    classification = task == "classification"
    samples = Samples(
        n_main=n_main,
        splits=splits,
        labels=np.asarray(y, np.int64).reshape(-1) if classification and y is not None else None,
        class_names=arrays.class_names if classification else None,
        locations=locate,
        label_texts=label_text if y is not None else None,
        values=values,
    )
    row_problems(samples, features, full, out)
    imbalance(samples, out)
    out.samples = samples.n


# -- images -------------------------------------------------------------------


def scan_images(
    loaded: LoadedSource, out: QualityReport, state: TaskState, deadline: float, near_bits: int
) -> None:
    scan = loaded.scan
    assert scan is not None
    val = loaded.val_scan if loaded.val_scan is not None and loaded.val_scan.files else None
    paths = list(scan.files) + (list(val.files) if val is not None else [])
    files = [os.path.relpath(p, scan.root).replace(os.sep, "/") for p in scan.files]
    if val is not None:
        prefix = display_name(val.root)
        files += [
            f"{prefix}/" + os.path.relpath(p, val.root).replace(os.sep, "/") for p in val.files
        ]
    labels = np.concatenate([scan.labels] + ([val.labels] if val is not None else []))
    labels = labels.astype(np.int64)
    splits = split_assignment(
        loaded.config, "classification", scan.labels, len(val.files) if val is not None else None
    )
    samples = Samples(
        n_main=len(scan.files),
        splits=splits,
        labels=labels,
        class_names=scan.class_names,
        locations=lambda i: files[i],
        label_texts=lambda i: scan.class_names[int(labels[i])],
        paths=paths,
        files=files,
        unit="images",
    )
    out.samples = samples.n
    keys = hash_files(paths, state, deadline)
    if keys.reached < len(paths):
        out.complete = False
        out.notes.append(
            f"the scan stopped at its time budget: {keys.reached} of {len(paths)} images checked"
        )
    if keys.unreadable:
        out.notes.append(
            f"{_plural(keys.unreadable, 'image')} could not be read for the duplicate check "
            "and were left out of it"
        )
    _image_problems(samples, keys, out, state, deadline, near_bits)
    imbalance(samples, out)


def _image_problems(
    samples: Samples, keys: Any, out: QualityReport, state: TaskState, deadline: float, bits: int
) -> None:
    ok = np.flatnonzero(keys.ok)
    sha = codes_of(keys.sha[ok])
    limit = ok[:NEAR_LIMIT]
    if len(ok) > NEAR_LIMIT:
        out.notes.append(f"near duplicates were searched among the first {NEAR_LIMIT} images only")
    left, right, done = near_pairs(keys.phash[limit], bits, state, deadline)
    if not done:
        out.complete = False
        out.notes.append("the near-duplicate search stopped at its time budget")
    if keys.thumbs is not None and len(left):
        similar = confirmed(keys.thumbs[limit], left, right)
        left, right = left[similar], right[similar]
    comp = components(len(limit), left, right)
    cluster = np.concatenate([comp, int(comp.max(initial=-1)) + 1 + sha[len(limit) :]])
    assert samples.labels is not None
    leak = lift(mixed(cluster, samples.splits[ok]), ok)
    if leak.n_groups:
        out.problems.append(
            make_problem(
                "split_leakage",
                "warning",
                f"{leak.n_samples} images in {_plural(leak.n_groups, 'set')} of the same or nearly "
                "the same images are split between training and evaluation: the scores will "
                "be too good",
                leak,
                samples,
            )
        )
    conflicts = lift(mixed(sha, samples.labels[ok]), ok)
    if conflicts.n_groups:
        out.problems.append(
            make_problem(
                "label_conflicts",
                "warning",
                f"{conflicts.n_samples} identical files in {_plural(conflicts.n_groups, 'set')} "
                "are filed under different classes",
                conflicts,
                samples,
            )
        )
    dup = lift(repeated(sha), ok)
    if dup.n_groups:
        out.problems.append(
            make_problem(
                "duplicate_files",
                "warning",
                f"{_copies(dup.n_samples - dup.n_groups)} of another, "
                f"in {_plural(dup.n_groups, 'group')} of {dup.n_samples} files",
                dup,
                samples,
            )
        )
    near = lift(mixed(comp, sha[: len(limit)]), limit)
    if near.n_groups:
        out.problems.append(
            make_problem(
                "near_duplicates",
                "info",
                f"{_plural(near.n_groups, 'group')} of images look almost the same "
                f"({near.n_samples} images: close perceptual hashes, correlated pixels)",
                near,
                samples,
            )
        )
