"""NumPy sources as pipelines: arrays in memory, or memory-mapped and streamed."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnstudio.core.backend import tensorflow_installed
from nnstudio.core.data.datasets import InMemorySource, Split, autotune
from nnstudio.core.data.inspection import LoadedSource
from nnstudio.core.data.prepared import PreparedData


class NumpySource(InMemorySource):
    def __init__(self, loaded: LoadedSource, budget: int):
        super().__init__(loaded)
        self.budget = budget
        self.mean = 0.0
        self.std = 1.0
        self.streamed = False

    def transform(self, x: np.ndarray) -> np.ndarray:
        out = np.asarray(x, np.float32)
        if self.config.normalization == "standardize":
            out = (out - np.float32(self.mean)) / np.float32(self.std)
        return out

    def tf_transform(self, x: Any) -> Any:
        import tensorflow as tf

        out = tf.cast(x, tf.float32)
        if self.config.normalization == "standardize":
            out = (out - self.mean) / self.std
        return out

    def build(self, batch_size: int, seed: int) -> PreparedData:
        arrays = self.loaded.arrays
        assert arrays is not None and arrays.y is not None
        va = self.loaded.val_arrays
        val = None
        if va is not None:
            assert va.y is not None
            val = (va.x, va.y)
        self._split(
            arrays.x, arrays.y, arrays.task, val, arrays.rows, va.rows if va is not None else None
        )
        if self.config.normalization == "standardize":
            self.mean, self.std = _moments(self.splits["train"])
        self.streamed = arrays.mapped
        preprocessing = {
            "type": "array",
            "normalization": self.config.normalization,
            "mean": self.mean,
            "std": self.std,
            "input_dtype": str(arrays.x_info.dtype),
            "task": arrays.task,
            "class_names": arrays.class_names,
            "class_values": arrays.class_values,
        }
        return self._prepared(
            batch_size,
            seed,
            feature_shape=arrays.feature_shape,
            task=arrays.task,
            class_names=arrays.class_names,
            num_outputs=arrays.num_outputs,
            preprocessing=preprocessing,
            cached=not arrays.mapped,
            streamed=arrays.mapped,
        )

    def dataset(self, name: str, batch_size: int, shuffle: bool, seed: int) -> Any:
        split = self.splits[name]
        if self.streamed or isinstance(split.x, np.memmap):
            return self._stream(split, batch_size, shuffle, seed)
        return super().dataset(name, batch_size, shuffle, seed)

    def _stream(self, split: Split, batch_size: int, shuffle: bool, seed: int) -> Any:
        """Batches read from (memory-mapped) arrays by a generator: bounded memory."""
        if not tensorflow_installed():
            from nnstudio.core.data.array_batches import split_batches

            return split_batches(split, self.transform, batch_size, shuffle, seed, sort=True)
        import tensorflow as tf

        rows, positions = split.xrows, split.idx
        x, y = split.x, split.y
        rng = np.random.default_rng(seed)
        transform = self.transform
        feature_shape = tuple(int(d) for d in x.shape[1:])
        y_shape = tuple(int(d) for d in y.shape[1:])

        def batches() -> Any:
            order = rng.permutation(len(rows)) if shuffle else np.arange(len(rows))
            for start in range(0, len(order), batch_size):
                pick = np.sort(order[start : start + batch_size])
                yield transform(x[rows[pick]]), np.asarray(y[positions[pick]])

        ds = tf.data.Dataset.from_generator(
            batches,
            output_signature=(
                tf.TensorSpec((None,) + feature_shape, tf.float32),
                tf.TensorSpec((None,) + y_shape, tf.as_dtype(y.dtype)),
            ),
        )
        return ds.prefetch(autotune())


def _moments(split: Split) -> tuple[float, float]:
    """Mean and standard deviation of a split's features, read in chunks."""
    rows = split.xrows
    total = 0.0
    total_sq = 0.0
    count = 0
    for start in range(0, len(rows), 4096):
        block = np.asarray(split.x[rows[start : start + 4096]], np.float64)
        total += float(block.sum())
        total_sq += float(np.square(block).sum())
        count += block.size
    if count == 0:
        return 0.0, 1.0
    mean = total / count
    var = max(total_sq / count - mean * mean, 0.0)
    std = math.sqrt(var)
    return mean, std if std > 1e-12 else 1.0
