"""What :func:`~nnstudio.core.data.pipeline.prepare` returns: the pipelines and what the
model needs to know about them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnstudio.core.data.report import Report


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

    @property
    def loaded(self) -> Any:
        """The checked source behind the pipelines (its CSV tables or image scans)."""
        return self._source.loaded

    def split_rows(self, name: str) -> np.ndarray:
        """Where each sample of split ``name`` (``"train"``, ``"val"``, ``"test"``) comes from,
        in the order :meth:`val_arrays` / :meth:`test_arrays` give them: its row among the
        kept rows of the CSV table, or its file among the image scan's files (the validation
        source's when there is a separate one)."""
        return np.asarray(self._source.splits[name].idx, np.int64)

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
