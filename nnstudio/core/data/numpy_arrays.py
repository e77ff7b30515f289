"""The loaded arrays of a NumPy source and what was read from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nnstudio.core.data.numpy_headers import ArrayInfo
from nnstudio.core.data.targets import RECONSTRUCTION


@dataclass
class NumpyArrays:
    """Loaded (or memory-mapped) features and interpreted targets."""

    x: np.ndarray
    x_info: ArrayInfo
    y_raw: np.ndarray
    mapped: bool
    rows: np.ndarray | None = None  # samples kept after the missing-value policy
    task: str = "regression"
    y: np.ndarray | None = None
    class_names: list[str] | None = None
    class_values: list[Any] | None = None
    nan_count: int = 0
    inf_count: int = 0
    constant: list[str] | None = None
    details: dict[str, Any] | None = None
    blocked: bool = False  # the missing-value policy found blocking values

    @property
    def n(self) -> int:
        return len(self.rows) if self.rows is not None else int(self.x.shape[0])

    @property
    def feature_shape(self) -> tuple[int, ...]:
        shape = tuple(int(d) for d in self.x.shape[1:])
        return shape or (1,)

    @property
    def num_outputs(self) -> int:
        if self.task == RECONSTRUCTION:
            return int(np.prod(self.feature_shape, dtype=np.int64))
        if self.class_names is not None:
            return len(self.class_names)
        assert self.y is not None
        return int(self.y.shape[1])
