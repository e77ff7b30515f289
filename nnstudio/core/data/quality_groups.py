"""Vectorised grouping for the data-quality scan: samples that share a key (a row hash,
a file hash, a near-duplicate cluster), optionally only where the group mixes labels or
splits. No Python loop runs over the samples; only the groups shown are listed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: splits by code, as the pipeline names them
SPLIT_NAMES = ("train", "val", "test")


@dataclass
class Grouping:
    """Groups of sample indices: ``members[starts[g]:starts[g] + sizes[g]]`` is group ``g``
    (ascending indices); groups ordered by their first member."""

    members: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray

    @property
    def n_groups(self) -> int:
        return len(self.sizes)

    @property
    def n_samples(self) -> int:
        return int(self.sizes.sum())

    def group(self, g: int) -> np.ndarray:
        start = int(self.starts[g])
        return self.members[start : start + int(self.sizes[g])]

    def all_members(self) -> np.ndarray:
        return np.sort(self.members)


def _group_ids(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(inverse, counts)``: each sample's group id and each group's size."""
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return inverse.reshape(-1), counts


def _grouping(inverse: np.ndarray, chosen_groups: np.ndarray) -> Grouping:
    """The samples of the groups flagged in ``chosen_groups`` (a bool per group id), each
    group's members ascending, the groups in the order of their first member."""
    idx = np.flatnonzero(chosen_groups[inverse])
    if not len(idx):
        empty = np.zeros(0, np.int64)
        return Grouping(empty, empty.copy(), empty.copy())
    gid = inverse[idx]
    first = np.zeros(len(chosen_groups), np.int64)
    uniq, pos = np.unique(gid, return_index=True)
    first[uniq] = idx[pos]  # idx ascends: a group's first occurrence is its smallest member
    key = first[gid]
    order = np.lexsort((idx, key))
    members = idx[order].astype(np.int64)
    sorted_key = key[order]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(sorted_key)) + 1]).astype(np.int64)
    sizes = np.diff(np.concatenate([starts, [len(members)]])).astype(np.int64)
    return Grouping(members, starts, sizes)


def repeated(keys: np.ndarray) -> Grouping:
    """Samples whose key occurs more than once, grouped by key."""
    inverse, counts = _group_ids(keys)
    return _grouping(inverse, counts > 1)


def mixed(keys: np.ndarray, codes: np.ndarray) -> Grouping:
    """Samples grouped by key, only the groups holding more than one distinct code (a
    label, a split)."""
    inverse, counts = _group_ids(keys)
    codes = codes_of(codes)
    width = int(codes.max()) + 1 if len(codes) else 1
    pairs = np.unique(inverse.astype(np.int64) * width + codes)
    distinct = np.bincount(pairs // width, minlength=len(counts))
    return _grouping(inverse, distinct > 1)


def split_codes(n: int, train: np.ndarray, val: np.ndarray, test: np.ndarray) -> np.ndarray:
    """A split code (:data:`SPLIT_NAMES` index) per sample."""
    codes = np.zeros(n, np.int8)
    codes[val] = 1
    codes[test] = 2
    codes[train] = 0
    return codes


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """A component label per sample for the undirected pairs ``(left[i], right[i])``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not len(left):
        return np.arange(n, dtype=np.int64)
    graph = coo_matrix((np.ones(len(left), np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def lift(grouping: Grouping, index: np.ndarray) -> Grouping:
    """``grouping`` of a subset (``index``, ascending) in the full set's indices."""
    return Grouping(index[grouping.members], grouping.starts, grouping.sizes)


def codes_of(values: np.ndarray) -> np.ndarray:
    """Small integer codes for arbitrary values (equal values, equal codes)."""
    return np.unique(values, return_inverse=True)[1].reshape(-1).astype(np.int64)
