"""Train / validation / test splits: seeded, stratified for classification."""

from __future__ import annotations

import numpy as np


def _round(x: float) -> int:
    return int(np.floor(x + 0.5))


def _quotas(sizes: np.ndarray, fraction: float) -> np.ndarray:
    """Per-group counts that add up to round(total * fraction), each group as
    close to its own share as possible (largest remainders)."""
    exact = sizes * fraction
    base = np.floor(exact).astype(np.int64)
    rest = _round(float(sizes.sum()) * fraction) - int(base.sum())
    if rest > 0:
        order = np.argsort(-(exact - base), kind="stable")
        base[order[:rest]] += 1
    return base


def split_indices(
    n: int,
    val_fraction: float,
    test_fraction: float,
    seed: int,
    labels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices ``(train, val, test)`` of ``n`` samples, each sorted.

    With ``labels`` the split is stratified: every class is cut in the same
    proportions (and keeps at least one sample for training). The same ``n``,
    fractions, seed and labels always give the same split.
    """
    rng = np.random.default_rng(seed)
    if n == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty.copy(), empty.copy()
    if labels is None:
        groups = [rng.permutation(n)]
    else:
        labels = np.asarray(labels)
        groups = []
        for cls in np.unique(labels):
            members = np.flatnonzero(labels == cls)
            groups.append(members[rng.permutation(len(members))])
    sizes = np.array([len(g) for g in groups], dtype=np.int64)
    n_test = _quotas(sizes, test_fraction)
    n_val = _quotas(sizes, val_fraction)
    train, val, test = [], [], []
    for members, t, v in zip(groups, n_test, n_val, strict=True):
        m = len(members)
        t, v = int(t), int(v)
        # keep at least one sample of every group for training
        while t + v >= m and (t or v):
            if t >= v and t:
                t -= 1
            else:
                v -= 1
        test.append(members[:t])
        val.append(members[t : t + v])
        train.append(members[t + v :])
    return (
        np.sort(np.concatenate(train)).astype(np.int64),
        np.sort(np.concatenate(val)).astype(np.int64),
        np.sort(np.concatenate(test)).astype(np.int64),
    )
