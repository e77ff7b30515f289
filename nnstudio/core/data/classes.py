"""Checks shared by every source that has class labels."""

from __future__ import annotations

import numpy as np

from nnstudio.core.data.report import ProblemLog

IMBALANCE_RATIO = 5.0


def balanced_class_weight(counts: list[int]) -> dict[int, float]:
    """Keras' ``{class: weight}`` with weight = n / (k * count) over the classes present
    (sklearn's "balanced"): what training's ``class_weight="balanced"`` uses and what the
    data-quality scan suggests."""
    present = [(i, c) for i, c in enumerate(counts) if c > 0]
    total = sum(c for _, c in present)
    k = len(present)
    return {i: total / (k * c) for i, c in present}


def check_classes(
    names: list[str], counts: list[int], log: ProblemLog, location: str = "targets"
) -> None:
    """Too few classes (error), tiny classes and strong imbalance (warnings)."""
    present = [(n, c) for n, c in zip(names, counts, strict=True) if c > 0]
    if len(present) < 2:
        only = f" ({present[0][0]!r})" if present else ""
        log.error(
            location,
            f"the targets hold only one class{only}: classification needs at least two",
        )
        return
    for name, count in present:
        if count < 2:
            log.warning(
                location,
                f'class "{name}" has only {count} sample; it cannot be in both the training '
                "and the validation data",
                group="tiny-class",
            )
    big = max(present, key=lambda nc: nc[1])
    small = min(present, key=lambda nc: nc[1])
    if small[1] and big[1] / small[1] >= IMBALANCE_RATIO:
        log.warning(
            location,
            f'the classes are imbalanced: "{big[0]}" has {big[1]} samples, "{small[0]}" only '
            f"{small[1]} ({big[1] / small[1]:.1f}x); accuracy alone will be misleading",
        )


def class_counts(y: np.ndarray, k: int) -> list[int]:
    return np.bincount(np.asarray(y, dtype=np.int64), minlength=k)[:k].tolist()
