"""Splits as tf.data pipelines: the bookkeeping every source kind shares.

A source kind subclasses :class:`Source` (or :class:`InMemorySource`) and says
how its splits become datasets and arrays. TensorFlow is imported lazily; without
it, splits are batched by :class:`~nnstudio.core.data.array_batches.ArrayBatches`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnstudio.core.backend import tensorflow_installed
from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.errors import DataError
from nnstudio.core.data.inspection import LoadedSource
from nnstudio.core.data.prepared import PreparedData
from nnstudio.core.data.splits import split_indices
from nnstudio.core.data.targets import RECONSTRUCTION, reconstructs


@dataclass
class Split:
    """One split: targets ``y[idx]`` with inputs ``x[rows]`` (``rows`` defaults
    to ``idx``; they differ when NumPy samples were dropped)."""

    x: Any
    y: np.ndarray
    idx: np.ndarray
    rows: np.ndarray | None = None

    @property
    def xrows(self) -> np.ndarray:
        return self.idx if self.rows is None else self.rows

    def __len__(self) -> int:
        return len(self.idx)


def labels_for_split(config: DataConfig, task: str, y: np.ndarray) -> np.ndarray | None:
    return y if (config.stratify and task == "classification") else None


class Source(ABC):
    """Common split bookkeeping; subclasses say how to make datasets and arrays."""

    splits: dict[str, Split]

    def __init__(self, loaded: LoadedSource):
        self.loaded = loaded
        self.config = loaded.config
        self.reconstruct = reconstructs(loaded.config)

    def pairs(self, name: str, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`arrays` with the targets the model learns: the inputs
        themselves for a reconstruction source."""
        x, y = self.arrays(name, limit)
        return (x, x.copy()) if self.reconstruct else (x, y)

    def _pipeline(self, name: str, batch_size: int, shuffle: bool, seed: int) -> Any:
        ds = self.dataset(name, batch_size, shuffle, seed)
        if self.reconstruct and hasattr(ds, "reconstruct"):  # ArrayBatches (no TensorFlow)
            ds.reconstruct = True
        elif self.reconstruct:
            ds = ds.map(lambda x, y: (x, x), num_parallel_calls=autotune())
        return ds

    def _split(
        self,
        x: Any,
        y: np.ndarray,
        task: str,
        val: tuple[Any, np.ndarray] | None,
        rows: np.ndarray | None = None,
        val_rows: np.ndarray | None = None,
    ) -> None:
        """Split ``(x, y)`` (or take ``val`` as the validation split). ``rows``: when
        samples were dropped, ``y`` holds the kept ones and ``rows`` their rows of ``x``;
        ``val_rows`` the same for a separate validation source."""
        n = len(y)
        config = self.config
        val_fraction = 0.0 if val is not None else config.val_fraction
        train, val_idx, test = split_indices(
            n,
            val_fraction,
            config.test_fraction,
            config.seed,
            labels_for_split(config, task, y),
        )
        if len(train) == 0:
            raise DataError(
                f"only {n} sample(s): none are left for training after the split",
                config.path,
                report=self.loaded.report,
            )
        self.splits = {"train": Split(x, y, train), "test": Split(x, y, test)}
        if val is not None:
            vx, vy = val
            self.splits["val"] = Split(vx, vy, np.arange(len(vy)), val_rows)
        else:
            self.splits["val"] = Split(x, y, val_idx)
        if rows is not None:
            for name in ("train", "test") if val is not None else ("train", "val", "test"):
                self.splits[name].rows = rows[self.splits[name].idx]

    @abstractmethod
    def dataset(self, name: str, batch_size: int, shuffle: bool, seed: int) -> Any:
        """The tf.data pipeline of one split."""

    def train_counts(self, k: int) -> list[int]:
        split = self.splits["train"]
        labels = np.asarray(split.y)[split.idx]
        return np.bincount(labels.astype(np.int64), minlength=k)[:k].tolist()

    @abstractmethod
    def arrays(self, name: str, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``limit`` samples of one split as arrays."""

    @abstractmethod
    def build(self, batch_size: int, seed: int) -> PreparedData:
        """The prepared data of this source."""

    def _prepared(self, batch_size: int, seed: int, **fields: Any) -> PreparedData:
        train = self._pipeline("train", batch_size, True, seed)
        val = self._pipeline("val", batch_size, False, seed) if len(self.splits["val"]) else None
        test = self._pipeline("test", batch_size, False, seed) if len(self.splits["test"]) else None
        report = self.loaded.report
        if self.reconstruct:
            shape = fields["feature_shape"]
            fields["task"] = RECONSTRUCTION
            fields["class_names"] = None
            fields["num_outputs"] = int(np.prod(shape, dtype=np.int64))
            fields["preprocessing"] = {
                **fields["preprocessing"],
                "task": RECONSTRUCTION,
                "targets": "inputs",
                "class_names": None,
            }
        return PreparedData(
            train=train,
            val=val,
            test=test,
            train_size=len(self.splits["train"]),
            val_size=len(self.splits["val"]),
            test_size=len(self.splits["test"]),
            report=report,
            batch_size=batch_size,
            content_hash=report.content_hash,
            _source=self,
            **fields,
        )


def index_batches(
    rows: np.ndarray, positions: np.ndarray, batch_size: int, shuffle: bool, seed: int
) -> Any:
    """Batches of ``(rows, positions)`` indices, in a new random order every epoch
    when ``shuffle`` (reproducible from ``seed``), with a known number of batches.

    The order is one permutation drawn per pass, not a shuffle buffer, so the first
    batch comes at once and the epoch costs one ``argsort``.
    """
    import tensorflow as tf

    n = len(positions)
    rows_t = tf.constant(np.asarray(rows, np.int64))
    pos_t = tf.constant(np.asarray(positions, np.int64))
    if not shuffle:
        ds = tf.data.Dataset.from_tensor_slices((rows_t, pos_t)).batch(batch_size)
        return ds
    base = tf.constant(int(seed), tf.int64)

    def permute(draw: Any) -> Any:
        key = tf.stack([draw, base])
        order = tf.argsort(tf.random.stateless_uniform([n], seed=key))
        return tf.gather(rows_t, order), tf.gather(pos_t, order)

    draws = tf.data.Dataset.random(seed=int(seed), rerandomize_each_iteration=True).take(1)
    ds = draws.map(permute).flat_map(
        lambda r, p: tf.data.Dataset.from_tensor_slices((r, p)).batch(batch_size)
    )
    return ds.apply(tf.data.experimental.assert_cardinality(math.ceil(n / batch_size)))


def autotune() -> Any:
    import tensorflow as tf

    return tf.data.AUTOTUNE


class InMemorySource(Source):
    """Arrays held in memory: one tensor per array, batches gathered by index."""

    def __init__(self, loaded: LoadedSource):
        super().__init__(loaded)
        self._tensors: dict[tuple[int, int], Any] = {}

    def transform(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, np.float32)

    def tf_transform(self, x: Any) -> Any:
        import tensorflow as tf

        return tf.cast(x, tf.float32)

    def dataset(self, name: str, batch_size: int, shuffle: bool, seed: int) -> Any:
        if not tensorflow_installed():
            from nnstudio.core.data.array_batches import split_batches

            return split_batches(self.splits[name], self.transform, batch_size, shuffle, seed)
        import tensorflow as tf

        split = self.splits[name]
        key = (id(split.x), id(split.y))
        tensors = self._tensors.get(key)
        if tensors is None:
            tensors = (tf.convert_to_tensor(split.x), tf.convert_to_tensor(split.y))
            self._tensors[key] = tensors
        xt, yt = tensors
        ds = index_batches(split.xrows, split.idx, batch_size, shuffle, seed)
        transform = self.tf_transform
        ds = ds.map(
            lambda r, i: (transform(tf.gather(xt, r)), tf.gather(yt, i)),
            num_parallel_calls=autotune(),
        )
        return ds.prefetch(autotune())

    def arrays(self, name: str, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
        split = self.splits[name]
        n = len(split.idx) if limit is None else min(limit, len(split.idx))
        return self.transform(split.x[split.xrows[:n]]), np.asarray(split.y[split.idx[:n]])
