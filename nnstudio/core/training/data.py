"""TrainingData: what a run needs from its data, from NumPy arrays or the data layer.

:meth:`TrainingData.from_arrays` takes ``(x, y)`` arrays (or lists/dicts of them for
several inputs/outputs); :meth:`TrainingData.from_prepared` takes the data layer's
``PreparedData`` (batched ``tf.data`` pipelines plus array views of the validation and test
splits).  The run asks it for ``fit`` arguments, a probe batch, class counts for class
weights, and the arrays of the split it evaluates on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnstudio.core.backend import current_backend
from nnstudio.core.training.watch import check_arrays

PROBE_SAMPLES = 32
Pair = tuple[Any, Any]


@dataclass
class TrainingData:
    """Training, validation and test data of a run plus what is known about them.

    ``train``/``val``/``test`` are ``(x, y)`` array pairs, or (``batched=True``) iterables
    that yield batches, such as ``tf.data`` datasets; ``val_pair``/``test_pair`` then give
    the arrays of those splits for probes and evaluation.
    """

    train: Any
    val: Any = None
    test: Any = None
    batched: bool = False
    task: str | None = None  # "classification" | "regression"
    class_names: list[str] | None = None
    preprocessing: dict[str, Any] = field(default_factory=dict)
    num_train: int | None = None
    data_hash: str | None = None
    val_pair: Pair | None = None
    test_pair: Pair | None = None
    class_counts: list[int] | None = None
    source: Any = None  # the PreparedData behind batched data
    batch_size: int | None = None  # of batched data (arrays are batched by the run)

    # -- constructors -----------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        x: Any,
        y: Any,
        *,
        val: Pair | None = None,
        test: Pair | None = None,
        task: str | None = None,
        class_names: list[str] | None = None,
        data_hash: str | None = None,
    ) -> TrainingData:
        """Arrays in memory; ``task`` defaults to classification for integer targets."""
        if task is None:
            first_y = _first(y)
            kind = np.asarray(first_y).dtype.kind if first_y is not None else "f"
            task = "classification" if kind in "iub" else "regression"
        return cls(
            train=(x, y),
            val=val,
            test=test,
            task=task,
            class_names=class_names,
            num_train=_length(x),
            data_hash=data_hash,
            val_pair=val,
            test_pair=test,
        )

    @classmethod
    def from_prepared(cls, prepared: Any) -> TrainingData:
        """The data layer's :class:`~nnstudio.core.data.pipeline.PreparedData` (batched
        ``tf.data`` pipelines); validation/test arrays are read when first needed."""
        report = getattr(prepared, "report", None)
        classes = getattr(report, "classes", None) or []
        return cls(
            train=prepared.train,
            val=prepared.val,
            test=prepared.test,
            batched=True,
            task=prepared.task,
            class_names=_names(prepared.class_names),
            preprocessing=dict(prepared.preprocessing or {}),
            num_train=prepared.train_size,
            data_hash=prepared.content_hash,
            class_counts=[int(c) for _, c in classes] or None,
            source=prepared,
            batch_size=prepared.batch_size,
        )

    # -- what the run asks --------------------------------------------------------------
    @property
    def has_validation(self) -> bool:
        """True when there is validation data."""
        return self.val is not None

    def steps_per_epoch(self, batch_size: int) -> int | None:
        """Batches per epoch, when the size is known."""
        if self.batched:
            n = _cardinality(self.train)
            if n is not None:
                return n
            return None
        return math.ceil(self.num_train / batch_size) if self.num_train else None

    def fit_kwargs(self, batch_size: int, validation: bool, shuffle: bool) -> dict[str, Any]:
        """Arguments for ``model.fit`` (data, batch size, validation data, shuffling)."""
        val = self.val if validation else None
        if self.batched:  # shuffled already
            return {"x": self.train, "validation_data": val, "shuffle": False}
        x, y = self.train
        if current_backend() == "tensorflow":
            return {
                **one_iterator(array_pipeline(x, y, batch_size, shuffle)),
                "shuffle": False,  # the pipeline shuffles
                "validation_data": tuple(val) if val is not None else None,
            }
        return {
            "x": x,
            "y": y,
            "batch_size": batch_size,
            "shuffle": shuffle,
            "validation_data": tuple(val) if val is not None else None,
        }

    def check_finite(self) -> str | None:
        """The first NaN/Inf in the array data, located (``None`` if clean or batched)."""
        if self.batched:
            return None
        for split, pair in (
            ("training", self.train),
            ("validation", self.val),
            ("test", self.test),
        ):
            if pair is not None:
                found = check_arrays({"inputs": pair[0], "targets": pair[1]})
                if found:
                    return f"the {split} data has a value that is not a finite number: {found}"
        return None

    def probe_batch(self, n: int = PROBE_SAMPLES) -> Pair | None:
        """A fixed small batch ``(x, y)``: from the validation data, else the training data."""
        if self.source is not None:
            return self.source.sample_batch(n)
        pair = (
            self.val_pair if self.val_pair is not None else (None if self.batched else self.train)
        )
        if pair is None and self.batched:
            pair = _first_batch(self.train)
        if pair is None:
            return None
        return _take(pair[0], n), _take(pair[1], n)

    def labels(self) -> np.ndarray | None:
        """Training targets as class indices (classification, single output), or ``None``."""
        if self.task != "classification":
            return None
        if self.batched:
            ys = [np.asarray(y) for _, y in _iterate_numpy(self.train)]
            if not ys:
                return None
            y = np.concatenate(ys)
        else:
            y = self.train[1]
            if isinstance(y, list | tuple | Mapping):
                return None
            y = np.asarray(y)
        return class_indices(y)

    def counts(self) -> list[int] | None:
        """Samples per class in the training data (classification)."""
        if self.class_counts is not None:
            return list(self.class_counts)
        y = self.labels()
        if y is None:
            return None
        k = max(len(self.class_names or []), int(y.max()) + 1 if y.size else 0)
        return np.bincount(y, minlength=k).tolist()

    def val_arrays(self) -> Pair | None:
        """The validation split as arrays (read from the data source on first use)."""
        if self.val_pair is None and self.source is not None and self.val is not None:
            self.val_pair = self.source.val_arrays()
        return self.val_pair

    def test_arrays(self) -> Pair | None:
        """The test split as arrays (read from the data source on first use)."""
        if self.test_pair is None and self.source is not None and self.test is not None:
            self.test_pair = self.source.test_arrays()
        return self.test_pair

    def eval_split(self) -> tuple[str, Pair] | None:
        """The split to evaluate on: test if there is one, else validation."""
        test = self.test_arrays()
        if test is not None:
            return "test", test
        val = self.val_arrays()
        return ("validation", val) if val is not None else None


def class_indices(y: np.ndarray) -> np.ndarray:
    """Targets as class indices: one-hot rows are arg-maxed, a single column is flattened."""
    y = np.asarray(y)
    if y.ndim >= 2 and y.shape[-1] > 1:
        return np.argmax(y, axis=-1).astype(np.int64).ravel()
    return np.rint(y.reshape(-1)).astype(np.int64)


def _first(value: Any) -> Any:
    if isinstance(value, Mapping):
        return next(iter(value.values()), None)
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def _length(x: Any) -> int | None:
    first = _first(x)
    return len(first) if first is not None and hasattr(first, "__len__") else None


def _take(value: Any, n: int) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {k: _take(v, n) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_take(v, n) for v in value]
    return np.asarray(value)[:n]


def _names(names: Any) -> list[str] | None:
    return [str(n) for n in names] if names is not None else None


def one_iterator(dataset: Any) -> dict[str, Any]:
    """``fit`` arguments that keep one iterator for every epoch: the dataset repeated, with
    its batches per epoch as ``steps_per_epoch`` (a dataset of unknown size as it is).
    Batching comes before the repetition, so every epoch still ends with its last,
    smaller batch, and a shuffle reshuffles at each repetition.

    Given a finite dataset, ``fit`` makes an iterator per epoch and tears the last one
    down.  With tf.data's autotuning on, a teardown now and then waits for its background
    thread: about 2 s at one epoch boundary in three here (2 cores), in plain Keras as in
    the app, and up to 10 s for a repeated dataset's iterator at the end of ``fit``.  The
    array pipeline therefore turns autotuning off and is repeated."""
    n = _cardinality(dataset)
    if n is None or not hasattr(dataset, "repeat"):
        return {"x": dataset}
    return {"x": dataset.repeat(), "steps_per_epoch": n}


def array_pipeline(x: Any, y: Any, batch_size: int, shuffle: bool) -> Any:
    """A ``tf.data`` pipeline of in-memory arrays as Keras makes one: the arrays held once,
    each pass one permutation of the indices (``tf.random.shuffle``: no shuffle buffer to
    fill) cut into batches and gathered; float64 becomes Keras' float type.  A pass with
    whole batches only keeps a static batch size (shapes in messages, graph optimization).
    """
    import keras
    import tensorflow as tf

    def tensor(a: Any) -> Any:
        a = np.asarray(a)
        if a.dtype == np.float64:
            a = a.astype(keras.config.floatx())
        return tf.convert_to_tensor(a)

    data = keras.tree.map_structure(tensor, x if y is None else (x, y))
    n = _length(x) or 0
    whole, rest = divmod(n, batch_size)

    def order(_: Any) -> Any:
        indices = tf.range(n, dtype=tf.int64)
        return tf.random.shuffle(indices) if shuffle else indices

    def cut(indices: Any) -> Any:
        full = tf.reshape(indices[: whole * batch_size], [whole, batch_size])
        batches = tf.data.Dataset.from_tensor_slices(full)
        if rest:
            batches = batches.concatenate(
                tf.data.Dataset.from_tensors(indices[whole * batch_size :])
            )
        return batches

    steps = whole + (1 if rest else 0)
    indices = tf.data.Dataset.range(1).map(order).flat_map(cut)
    indices = indices.apply(tf.data.experimental.assert_cardinality(steps))
    held = tf.data.Dataset.from_tensors(data).repeat()

    def gather(i: Any, arrays: Any) -> Any:
        return keras.tree.map_structure(lambda t: tf.gather(t, i), arrays)

    options = tf.data.Options()
    options.autotune.enabled = False  # its thread stalls teardowns (see one_iterator)
    return tf.data.Dataset.zip((indices, held)).map(gather).prefetch(2).with_options(options)


def _cardinality(dataset: Any) -> int | None:
    if hasattr(dataset, "cardinality"):
        try:
            n = int(dataset.cardinality())
        except (TypeError, ValueError):
            return None
        return n if n > 0 else None
    try:
        return len(dataset)
    except TypeError:
        return None


def _iterate_numpy(dataset: Any) -> Any:
    if hasattr(dataset, "as_numpy_iterator"):
        return dataset.as_numpy_iterator()
    return iter(dataset)


def _first_batch(dataset: Any) -> Pair | None:
    for batch in _iterate_numpy(dataset):
        return batch[0], batch[1]
    return None
