"""Train / validation / test splits: seeded, stratified for classification."""

from __future__ import annotations

import numpy as np


def split_indices(
    n: int,
    val_fraction: float,
    test_fraction: float,
    seed: int,
    labels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices ``(train, val, test)`` of ``n`` samples, each sorted.

    With ``labels`` the split is stratified: every class is cut in the same
    proportions (a class with a single sample stays in training). The same
    ``n``, fractions, seed and labels always give the same split.
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
    train, val, test = [], [], []
    for members in groups:
        m = len(members)
        n_test = int(round(m * test_fraction))
        n_val = int(round(m * val_fraction))
        if labels is not None:
            # keep at least one sample of the class for training
            while n_test + n_val >= m and (n_test or n_val):
                if n_test >= n_val and n_test:
                    n_test -= 1
                else:
                    n_val -= 1
        test.append(members[:n_test])
        val.append(members[n_test : n_test + n_val])
        train.append(members[n_test + n_val :])
    return (
        np.sort(np.concatenate(train)).astype(np.int64),
        np.sort(np.concatenate(val)).astype(np.int64),
        np.sort(np.concatenate(test)).astype(np.int64),
    )
