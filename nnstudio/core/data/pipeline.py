"""prepare(): a checked source becomes train / validation / test tf.data pipelines.

TensorFlow is imported here, lazily, inside the functions.
"""

from __future__ import annotations

import math
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnstudio.core.data import csv_source
from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.errors import DataError
from nnstudio.core.data.image_folder import CHANNELS
from nnstudio.core.data.inspection import LoadedSource, load_source
from nnstudio.core.data.memory import default_cache_budget
from nnstudio.core.data.multi_input import multi_input_source
from nnstudio.core.data.progress import CancelledFn, ProgressFn, TaskState, as_state
from nnstudio.core.data.report import Problem, Report
from nnstudio.core.data.splits import split_indices
from nnstudio.core.data.targets import RECONSTRUCTION, reconstructs

SHUFFLE_BUFFER = 10_000


@dataclass
class _Split:
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


@dataclass
class PreparedData:
    """Batched ``(x, y)`` pipelines and what the model needs to know about them.

    ``train``/``val``/``test`` are ``tf.data.Dataset`` (``val``/``test`` may be
    ``None``); ``preprocessing`` is a JSON-able record of what was done to the
    raw inputs (normalization, vocabularies, class names, image size ...).
    """

    train: Any
    val: Any
    test: Any
    train_size: int
    val_size: int
    test_size: int
    feature_shape: tuple[int, ...]
    task: str
    class_names: list[str] | None
    num_outputs: int
    preprocessing: dict[str, Any]
    report: Report
    batch_size: int
    content_hash: str | None
    cached: bool = False
    streamed: bool = False
    _source: Any = field(default=None, repr=False)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.train_size / self.batch_size)

    @property
    def sizes(self) -> dict[str, int]:
        return {"train": self.train_size, "val": self.val_size, "test": self.test_size}

    @property
    def data_hash(self) -> str | None:
        return self.content_hash

    @property
    def class_counts(self) -> list[int] | None:
        """Training samples per class (classification), e.g. for class weights."""
        if self.task != "classification" or not self.class_names:
            return None
        return self._source.train_counts(len(self.class_names))

    def sample_batch(self, n: int = 32) -> tuple[np.ndarray, np.ndarray]:
        """The first ``n`` validation samples (training samples when there is no
        validation data), always the same: a fixed probe batch."""
        split = "val" if self.val_size else "train"
        return self._source.pairs(split, n)

    def val_arrays(self, limit: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """Validation inputs and targets as numpy (at most ``limit`` samples)."""
        return self._source.pairs("val", limit) if self.val_size else None

    def test_arrays(self, limit: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """Test inputs and targets as numpy (at most ``limit`` samples)."""
        return self._source.pairs("test", limit) if self.test_size else None


def prepare(
    config: DataConfig,
    *,
    batch_size: int,
    seed: int | None = None,
    cache_budget_bytes: int | None = None,
    progress: ProgressFn | None = None,
    cancelled: CancelledFn | None = None,
) -> PreparedData:
    """Check the source (as :func:`inspect_source` does), split it and build the
    pipelines. Raises :class:`DataError` (with ``.report``) when a problem blocks
    training, :class:`Cancelled` when ``cancelled()`` says so.

    ``seed`` drives shuffling (default: ``config.seed``, which always drives the
    split); ``cache_budget_bytes`` is how much decoded data may be kept in
    memory (default: a quarter of the free memory, at most 2 GiB).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise DataError(f"the batch size must be a whole number >= 1, got {batch_size!r}")
    state = as_state(progress, cancelled)
    budget = int(cache_budget_bytes) if cache_budget_bytes is not None else default_cache_budget()
    loaded = load_source(config, state, budget)
    report = loaded.report
    if not report.ok:
        first = report.errors[0]
        more = len(report.errors) - 1
        message = first.message + (f" (and {more} more problem(s): see the report)" if more else "")
        raise DataError(message, first.location or None, report=report)
    shuffle_seed = config.seed if seed is None else int(seed)
    if config.kind == "csv":
        source: _Source = _TabularSource(loaded)
    elif config.kind == "images":
        source = _ImageSource(loaded, budget, state)
    else:
        source = multi_input_source(loaded, budget) or _NumpySource(loaded, budget)
    state.check()
    return source.build(batch_size, shuffle_seed)


def _labels_for_split(config: DataConfig, task: str, y: np.ndarray) -> np.ndarray | None:
    return y if (config.stratify and task == "classification") else None


class _Source(ABC):
    """Common split bookkeeping; subclasses say how to make datasets and arrays."""

    splits: dict[str, _Split]

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
        if self.reconstruct:
            ds = ds.map(lambda x, y: (x, x), num_parallel_calls=_autotune())
        return ds

    def _split(self, x: Any, y: np.ndarray, task: str, val: tuple[Any, np.ndarray] | None) -> None:
        n = len(y)
        config = self.config
        val_fraction = 0.0 if val is not None else config.val_fraction
        train, val_idx, test = split_indices(
            n,
            val_fraction,
            config.test_fraction,
            config.seed,
            _labels_for_split(config, task, y),
        )
        if len(train) == 0:
            raise DataError(
                f"only {n} sample(s): none are left for training after the split",
                config.path,
                report=self.loaded.report,
            )
        self.splits = {"train": _Split(x, y, train), "test": _Split(x, y, test)}
        if val is not None:
            vx, vy = val
            self.splits["val"] = _Split(vx, vy, np.arange(len(vy)))
        else:
            self.splits["val"] = _Split(x, y, val_idx)

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


def _autotune() -> Any:
    import tensorflow as tf

    return tf.data.AUTOTUNE


class _InMemory(_Source):
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
            num_parallel_calls=_autotune(),
        )
        return ds.prefetch(_autotune())

    def arrays(self, name: str, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
        split = self.splits[name]
        n = len(split.idx) if limit is None else min(limit, len(split.idx))
        return self.transform(split.x[split.xrows[:n]]), np.asarray(split.y[split.idx[:n]])


class _TabularSource(_InMemory):
    def build(self, batch_size: int, seed: int) -> PreparedData:
        loaded, config = self.loaded, self.config
        table, targets = loaded.table, loaded.targets
        assert table is not None and targets is not None
        y = targets.y
        val_targets = loaded.val_targets
        has_val = loaded.val_table is not None and val_targets is not None
        val = (None, val_targets.y) if has_val and val_targets is not None else None
        self._split(None, y, targets.task, val)
        tables = [table] + ([loaded.val_table] if loaded.val_table is not None else [])
        specs = csv_source.fit_features(
            tables, table, self.splits["train"].idx, config.categorical_encoding
        )
        x = csv_source.encode_features(table, specs)
        self.splits["train"].x = x
        self.splits["test"].x = x
        if has_val:
            assert loaded.val_table is not None
            self.splits["val"].x = csv_source.encode_features(loaded.val_table, specs)
        else:
            self.splits["val"].x = x
        names: list[str] = []
        for spec in specs:
            if spec.kind == "categorical" and spec.encoding == "onehot":
                names += [f"{spec.name}={v}" for v in spec.vocabulary or []]
            else:
                names.append(spec.name)
        preprocessing = {
            "type": "tabular",
            "features": [s.to_json() for s in specs],
            "input_names": names,
            "target_columns": targets.names,
            "task": targets.task,
            "class_names": targets.class_names,
            "class_values": targets.class_values,
            "categorical_encoding": config.categorical_encoding,
            "delimiter": table.dialect.delimiter,
            "encoding": table.encoding,
            "header": table.dialect.header,
        }
        return self._prepared(
            batch_size,
            seed,
            feature_shape=(int(x.shape[1]),),
            task=targets.task,
            class_names=targets.class_names,
            num_outputs=targets.num_outputs,
            preprocessing=preprocessing,
            cached=True,
        )


class _NumpySource(_InMemory):
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
        self._split(arrays.x, arrays.y, arrays.task, val)
        if arrays.rows is not None:  # y holds the kept samples only; x holds them all
            for name in ("train", "test") if va is not None else ("train", "val", "test"):
                self.splits[name].rows = arrays.rows[self.splits[name].idx]
        if va is not None:
            self.splits["val"].rows = va.rows
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

    def _stream(self, split: _Split, batch_size: int, shuffle: bool, seed: int) -> Any:
        """Batches read from (memory-mapped) arrays by a generator: bounded memory."""
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
        return ds.prefetch(_autotune())


def _moments(split: _Split) -> tuple[float, float]:
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


class _ImageSource(_InMemory):
    """Image files. Within the memory budget every image is decoded once, in
    parallel, into a uint8 array (files TensorFlow cannot decode are left out
    and reported); beyond it, images are decoded from disk batch by batch."""

    def __init__(self, loaded: LoadedSource, budget: int, state: TaskState):
        super().__init__(loaded)
        self.budget = budget
        self.state = state
        self.cache = False
        self._decode: Any = None

    def transform(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, np.float32) / np.float32(255.0)

    def tf_transform(self, x: Any) -> Any:
        import tensorflow as tf

        return tf.cast(x, tf.float32) / 255.0

    def build(self, batch_size: int, seed: int) -> PreparedData:
        loaded = self.loaded
        scan = loaded.scan
        assert scan is not None and loaded.image_size is not None and loaded.color_mode
        files = np.asarray(scan.files, dtype=object)
        val = None
        if loaded.val_scan is not None and loaded.val_scan.files:
            val = (np.asarray(loaded.val_scan.files, dtype=object), loaded.val_scan.labels)
        self._split(files, scan.labels, "classification", val)
        h, w = loaded.image_size
        channels = CHANNELS[loaded.color_mode]
        total = len(files) + (len(val[0]) if val is not None else 0)
        self.cache = total * h * w * channels <= self.budget
        if self.cache:
            self._decode_all()
        preprocessing = {
            "type": "image",
            "image_size": [h, w],
            "color_mode": loaded.color_mode,
            "channels": channels,
            "interpolation": "bilinear",
            "rescale": 1.0 / 255.0,
            "class_names": list(scan.class_names),
        }
        return self._prepared(
            batch_size,
            seed,
            feature_shape=(h, w, channels),
            task="classification",
            class_names=list(scan.class_names),
            num_outputs=len(scan.class_names),
            preprocessing=preprocessing,
            cached=self.cache,
            streamed=not self.cache,
        )

    def _decoder(self) -> Any:
        if self._decode is None:
            import tensorflow as tf

            from nnstudio.core.data.image_pipeline import make_decoder

            loaded = self.loaded
            assert loaded.image_size is not None and loaded.color_mode is not None
            self._decode = make_decoder(tf, loaded.image_size, CHANNELS[loaded.color_mode])
        return self._decode

    def _location(self, path: str) -> str:
        """``cat/3.png`` for a training image, ``val/cat/3.png`` for a validation one."""
        full = os.path.abspath(path)
        roots = [(self.config.path, "")]
        if self.config.validation_path:
            val = self.config.validation_path
            roots.append((val, os.path.basename(os.path.normpath(val)) + "/"))
        for root, prefix in roots:
            top = os.path.abspath(root)
            if full.startswith(top + os.sep):
                return prefix + os.path.relpath(full, top).replace(os.sep, "/")
        return path

    def _decode_all(self) -> None:
        """Decode every image once into memory (with progress); drop failures."""
        import tensorflow as tf

        decode = self._decoder()
        done = 0
        arrays: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        sources = {id(s.x): s for s in self.splits.values()}
        total = sum(len(s.x) for s in sources.values())
        self.state.report(0, total, force=True)
        report = self.loaded.report
        for key, split in sources.items():
            paths = [str(p) for p in split.x]
            n = len(paths)
            h, w = self.loaded.image_size or (0, 0)
            c = CHANNELS[self.loaded.color_mode or "rgb"]
            out = np.zeros((n, h, w, c), np.uint8)
            ok = np.zeros(n, bool)
            ds = tf.data.Dataset.from_tensor_slices((paths, np.arange(n, dtype=np.int64)))
            ds = ds.map(decode, num_parallel_calls=_autotune()).ignore_errors()
            for images, index in ds.batch(256).prefetch(2).as_numpy_iterator():
                out[index] = images
                ok[index] = True
                done += len(index)
                self.state.report(done, total)
            for i in np.flatnonzero(~ok):
                report.problems.append(
                    Problem(
                        "warning",
                        self._location(paths[i]),
                        "left out: TensorFlow cannot decode this image",
                    )
                )
            arrays[key] = (out, ok)
        for name, split in list(self.splits.items()):
            out, ok = arrays[id(split.x)]
            keep = split.idx[ok[split.idx]]
            self.splits[name] = _Split(out, split.y, keep)

    def dataset(self, name: str, batch_size: int, shuffle: bool, seed: int) -> Any:
        if self.cache:
            return super().dataset(name, batch_size, shuffle, seed)
        import tensorflow as tf

        split = self.splits[name]
        paths = [str(p) for p in split.x[split.idx]]
        labels = np.asarray(split.y[split.idx], np.int32)
        ds = tf.data.Dataset.from_tensor_slices((paths, labels))
        if shuffle:
            ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
        # a file that changed or vanished since the scan is skipped, never fatal
        ds = ds.map(self._decoder(), num_parallel_calls=_autotune()).ignore_errors(log_warning=True)
        ds = ds.batch(batch_size).map(
            lambda x, y: (tf.cast(x, tf.float32) / 255.0, y), num_parallel_calls=_autotune()
        )
        return ds.prefetch(_autotune())

    def arrays(self, name: str, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
        if self.cache:
            return super().arrays(name, limit)
        import tensorflow as tf

        split = self.splits[name]
        idx = split.idx if limit is None else split.idx[:limit]
        paths = [str(p) for p in split.x[idx]]
        labels = np.asarray(split.y[idx], np.int32)
        ds = tf.data.Dataset.from_tensor_slices((paths, labels))
        ds = ds.map(self._decoder(), num_parallel_calls=_autotune()).ignore_errors()
        xs, ys = [], []
        for xb, yb in ds.batch(256).as_numpy_iterator():
            xs.append(self.transform(xb))
            ys.append(yb)
        loaded = self.loaded
        assert loaded.image_size is not None and loaded.color_mode is not None
        h, w = loaded.image_size
        c = CHANNELS[loaded.color_mode]
        if not xs:
            return np.zeros((0, h, w, c), np.float32), np.zeros((0,), np.int32)
        return np.concatenate(xs), np.concatenate(ys)
