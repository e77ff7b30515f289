"""Sample batches for verification: from the validation split when there is one, else
synthetic values of the right shapes and dtypes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nnstudio.core.export.report import ExportError

DEFAULT_SAMPLES = 8
VARIABLE_DIM = 16  # the size used for an axis whose length varies (e.g. sequence length)


def input_specs(model: Any) -> list[tuple[str, list[int | None], str]]:
    """``(name, per-sample shape, dtype)`` of each model input, in order."""
    return [
        (t.name, [None if d is None else int(d) for d in t.shape[1:]], str(t.dtype))
        for t in model.inputs
    ]


def as_input_dict(x: Any, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Inputs given as one array, a list in input order, or a dict by name -> dict by name."""
    if isinstance(x, Mapping):
        missing = [n for n in names if n not in x]
        if missing:
            raise ExportError(f"the sample has no values for the inputs {missing}")
        return {n: np.asarray(x[n]) for n in names}
    if isinstance(x, (list, tuple)):
        if len(x) != len(names):
            raise ExportError(f"the sample has {len(x)} arrays for {len(names)} inputs")
        return {n: np.asarray(v) for n, v in zip(names, x, strict=True)}
    if len(names) != 1:
        raise ExportError(f"the model has {len(names)} inputs but the sample is one array")
    return {names[0]: np.asarray(x)}


def take(batch: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """The first ``n`` samples of every input."""
    return {k: np.asarray(v)[:n] for k, v in batch.items()}


def batch_size(batch: Mapping[str, np.ndarray]) -> int:
    """Number of samples (every input must agree)."""
    sizes = {len(v) for v in batch.values()}
    if len(sizes) != 1:
        raise ExportError(f"the inputs have different numbers of samples: {sorted(sizes)}")
    return sizes.pop()


def synthetic_sample(model: Any, n: int = DEFAULT_SAMPLES, seed: int = 0) -> dict[str, np.ndarray]:
    """Random model-ready inputs: standard normal floats; 0/1 for integer inputs (any
    embedding accepts them)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape, dtype in input_specs(model):
        full = (n, *(VARIABLE_DIM if d is None else d for d in shape))
        if dtype.startswith(("int", "uint")):
            out[name] = rng.integers(0, 2, size=full).astype(dtype)
        elif dtype == "bool":
            out[name] = rng.integers(0, 2, size=full).astype(bool)
        else:
            out[name] = rng.standard_normal(full).astype(dtype)
    return out


def check_sample(model: Any, batch: Mapping[str, np.ndarray]) -> None:
    """:class:`ExportError` when a sample does not fit the model's inputs."""
    for name, shape, _ in input_specs(model):
        got = list(np.asarray(batch[name]).shape[1:])
        if len(got) != len(shape) or any(
            s is not None and s != g for s, g in zip(shape, got, strict=True)
        ):
            raise ExportError(f'sample input "{name}" has shape {got}, the model expects {shape}')


def class_indices(y: Any) -> np.ndarray | None:
    """Labels as class indices (one-hot rows become their argmax); ``None`` if not labels."""
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] > 1:
        return np.argmax(arr, axis=1)
    arr = arr.reshape(len(arr), -1) if arr.ndim > 1 else arr
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or not np.all(np.equal(np.mod(arr, 1), 0)):
        return None
    return arr.astype(np.int64)
