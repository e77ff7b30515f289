"""NumPy sources: NaN and infinite values (the missing-value policy) and constant features."""

from __future__ import annotations

import numpy as np

from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.numpy_arrays import NumpyArrays
from nnstudio.core.data.progress import TaskState
from nnstudio.core.data.report import ProblemLog

CHUNK_BYTES = 64 * 1024 * 1024


def _scan_nonfinite(x: np.ndarray, state: TaskState) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Per-sample flags (nan, inf) and total counts, read in chunks."""
    n = x.shape[0]
    nan_rows = np.zeros(n, bool)
    inf_rows = np.zeros(n, bool)
    if x.dtype.kind != "f":
        return nan_rows, inf_rows, 0, 0
    per_row = max(1, int(np.prod(x.shape[1:], dtype=np.int64)) * x.dtype.itemsize)
    step = max(1, CHUNK_BYTES // per_row)
    nan_total = inf_total = 0
    for start in range(0, n, step):
        block = np.asarray(x[start : start + step]).reshape(min(step, n - start), -1)
        isnan = np.isnan(block)
        isinf = np.isinf(block)
        nan_total += int(isnan.sum())
        inf_total += int(isinf.sum())
        nan_rows[start : start + step] = isnan.any(axis=1)
        inf_rows[start : start + step] = isinf.any(axis=1)
        state.report(min(n, start + step), n)
    return nan_rows, inf_rows, nan_total, inf_total


def _first_bad_index(sample: np.ndarray) -> str:
    flat = np.flatnonzero(~np.isfinite(np.asarray(sample, dtype=np.float64).reshape(-1)))
    if not len(flat) or sample.ndim == 0:
        return ""
    idx = np.unravel_index(int(flat[0]), sample.shape)
    return f", feature {list(int(i) for i in idx)}" if len(idx) > 1 else f", feature {int(idx[0])}"


def missing_values(
    arrays: NumpyArrays, config: DataConfig, log: ProblemLog, state: TaskState
) -> None:
    x, y = arrays.x, arrays.y_raw
    label = arrays.x_info.label
    nan_rows, inf_rows, nan_total, inf_total = _scan_nonfinite(x, state)
    y_bad = np.zeros(len(y), bool)
    if y.dtype.kind == "f":
        y2 = y.reshape(len(y), -1)
        y_bad = ~np.isfinite(y2).all(axis=1)
        nan_total += int(np.isnan(y2).sum())
        inf_total += int(np.isinf(y2).sum())
    arrays.nan_count, arrays.inf_count = nan_total, inf_total
    bad = nan_rows | inf_rows
    if not (bad.any() or y_bad.any()):
        return
    policy = config.missing
    if policy == "stop":
        for i in np.flatnonzero(bad):
            what = "NaN" if nan_rows[i] else "an infinite value"
            log.error(
                f"{label}, sample {int(i)}{_first_bad_index(x[i])}",
                f"holds {what} (choose a missing-value policy: drop these samples or fill them)",
                group="nonfinite-x",
            )
        for i in np.flatnonzero(y_bad):
            log.error(
                f"targets, sample {int(i)}", "the target is NaN or infinite", group="nonfinite-y"
            )
        return
    drop = y_bad.copy()
    if policy == "drop":
        drop |= bad
    elif bad.any():
        if arrays.mapped or not x.flags.writeable:
            log.error(
                label,
                "filling missing values needs the features in memory, and they are too large: "
                "choose to drop the samples instead",
            )
            return
        flat = x.reshape(x.shape[0], -1)
        finite = np.isfinite(flat)
        counts = finite.sum(axis=0)
        sums = np.where(finite, flat, 0).sum(axis=0, dtype=np.float64)
        means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
        holes = ~finite
        holes[drop] = False
        rows, cols = np.nonzero(holes)
        flat[rows, cols] = means[cols].astype(flat.dtype)
        log.warning(
            label,
            f"filled {len(rows)} NaN or infinite value(s) in {int(np.any(holes, axis=1).sum())} "
            "sample(s) with the mean of their feature",
        )
    if drop.any():
        log.warning(
            label,
            f"dropped {int(drop.sum())} sample(s) with NaN or infinite values (first: sample "
            f"{int(np.flatnonzero(drop)[0])})",
        )
        arrays.rows = np.flatnonzero(~drop)
        if len(arrays.rows) == 0:
            log.error(label, "no samples are left to train on")


def constant_features(arrays: NumpyArrays, log: ProblemLog) -> None:
    arrays.constant = []
    x = arrays.x
    if x.ndim != 2 or arrays.mapped or x.shape[1] > 10_000 or x.shape[0] < 2:
        return
    rows = arrays.rows if arrays.rows is not None else slice(None)
    block = x[rows]
    same = np.flatnonzero(np.all(block == block[:1], axis=0))
    arrays.constant = [f"feature {int(j)}" for j in same]
    if len(same):
        shown = ", ".join(str(int(j)) for j in same[:10])
        more = f" and {len(same) - 10} more" if len(same) > 10 else ""
        log.warning(
            arrays.x_info.label,
            f"feature{'s' if len(same) > 1 else ''} {shown}{more} "
            f"{'have' if len(same) > 1 else 'has'} the same value in every sample: "
            "no information for the model",
        )
