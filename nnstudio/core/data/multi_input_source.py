"""The pipeline of a multi-input NumPy source: batches of ``({input name: x}, y)``.

The splits, shuffling and array views work as for one array
(:class:`~nnstudio.core.data.datasets.Source`); each input is one in-memory tensor,
gathered by index, cast to float32 and (``normalization = "standardize"``) standardized
with its own mean and spread over the training split.  TensorFlow is imported lazily.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnstudio.core.backend import tensorflow_installed
from nnstudio.core.data.datasets import Source, Split, index_batches
from nnstudio.core.data.datasets import autotune as _autotune
from nnstudio.core.data.inspection import LoadedSource
from nnstudio.core.data.multi_input import MultiInputArrays
from nnstudio.core.data.numpy_pipeline import _moments
from nnstudio.core.data.prepared import PreparedData


class MultiInputSource(Source):
    """Several named input arrays of one ``.npz`` (and the same arrays of a separate
    validation ``.npz``) with one target array."""

    def __init__(self, loaded: LoadedSource, budget: int):
        super().__init__(loaded)
        self.budget = budget
        self.moments: dict[str, tuple[float, float]] = {}
        self._tensors: dict[int, Any] = {}

    def _standardize(self, name: str) -> tuple[float, float] | None:
        if self.config.normalization != "standardize":
            return None
        return self.moments.get(name)

    def transform(self, name: str, x: np.ndarray) -> np.ndarray:
        out = np.asarray(x, np.float32)
        ms = self._standardize(name)
        if ms is not None:
            out = (out - np.float32(ms[0])) / np.float32(ms[1])
        return out

    def build(self, batch_size: int, seed: int) -> PreparedData:
        arrays = self.loaded.arrays
        assert isinstance(arrays, MultiInputArrays) and arrays.y is not None
        va = self.loaded.val_arrays
        val = None
        if isinstance(va, MultiInputArrays):
            assert va.y is not None
            val = (va.inputs, va.y)
        val_rows = va.rows if isinstance(va, MultiInputArrays) else None
        self._split(arrays.inputs, arrays.y, arrays.task, val, arrays.rows, val_rows)
        if self.config.normalization == "standardize":
            train = self.splits["train"]
            for name, x in arrays.inputs.items():
                self.moments[name] = _moments(Split(x, train.y, train.idx, train.rows))
        per_input = {
            name: {
                "type": "array",
                "normalization": self.config.normalization,
                "mean": self.moments.get(name, (0.0, 1.0))[0],
                "std": self.moments.get(name, (0.0, 1.0))[1],
                "input_dtype": str(arrays.infos[name].dtype),
            }
            for name in arrays.inputs
        }
        preprocessing = {
            "type": "array",
            "normalization": self.config.normalization,
            "input_names": list(arrays.inputs),
            "inputs": per_input,
            "task": arrays.task,
            "class_names": arrays.class_names,
            "class_values": arrays.class_values,
        }
        return self._prepared(
            batch_size,
            seed,
            feature_shape=(),
            task=arrays.task,
            class_names=arrays.class_names,
            num_outputs=arrays.num_outputs,
            preprocessing=preprocessing,
            cached=True,
        )

    def _inputs_tensors(self, inputs: dict[str, np.ndarray]) -> dict[str, Any]:
        import tensorflow as tf

        tensors = self._tensors.get(id(inputs))
        if tensors is None:
            tensors = {k: tf.convert_to_tensor(v) for k, v in inputs.items()}
            self._tensors[id(inputs)] = tensors
        return tensors

    def dataset(self, name: str, batch_size: int, shuffle: bool, seed: int) -> Any:
        if not tensorflow_installed():
            return self._array_batches(name, batch_size, shuffle, seed)
        import tensorflow as tf

        split = self.splits[name]
        xts = self._inputs_tensors(split.x)
        yt = tf.convert_to_tensor(split.y)
        moments = {k: self._standardize(k) for k in xts}  # fixed now: the map below is traced once

        def gather(rows: Any, idx: Any) -> Any:
            out = {}
            for k, t in xts.items():
                v = tf.cast(tf.gather(t, rows), tf.float32)
                ms = moments[k]
                if ms is not None:
                    v = (v - ms[0]) / ms[1]
                out[k] = v
            return out, tf.gather(yt, idx)

        ds = index_batches(split.xrows, split.idx, batch_size, shuffle, seed)
        return ds.map(gather, num_parallel_calls=_autotune()).prefetch(_autotune())

    def _array_batches(self, name: str, batch_size: int, shuffle: bool, seed: int) -> Any:
        """Without TensorFlow: a ``PyDataset`` of the same batches."""
        from nnstudio.core.data.array_batches import ArrayBatches

        split = self.splits[name]
        rows, idx = np.asarray(split.xrows), np.asarray(split.idx)

        def load(picks: np.ndarray) -> tuple[Any, Any]:
            x = {k: self.transform(k, v[rows[picks]]) for k, v in split.x.items()}
            return x, np.asarray(split.y[idx[picks]])

        return ArrayBatches(len(idx), load, batch_size, shuffle, seed)

    def arrays(self, name: str, limit: int | None) -> tuple[Any, np.ndarray]:
        split = self.splits[name]
        n = len(split.idx) if limit is None else min(limit, len(split.idx))
        rows = split.xrows[:n]
        x = {k: self.transform(k, v[rows]) for k, v in split.x.items()}
        return x, np.asarray(split.y[split.idx[:n]])
