"""Multi-input NumPy sources: an ``.npz`` with one array per model Input, plus the targets.

An ``.npz`` is read as multi-input when it has a targets array (``targets_key``, or ``y``,
``targets``, ``labels``, ``target`` ...), no features array of a usual name (``x``,
``features``, ``inputs`` ...; ``features_key`` unset) and two or more other arrays: each of
those feeds the model Input of the same name (Keras takes a dict keyed by the Input layers'
names, and the compiler names them after the Input nodes).  Class names (``class_names``
...) are not inputs.

Every array is checked before it is loaded, as single-input arrays are (numbers only, no
object arrays, no pickles, one row per sample in every array); problems go to the report,
each located on the file and array.  The report's ``details["inputs"]`` maps each input's
name to its sample shape and dtype: the pre-flight check compares it with the Inputs.
:func:`multi_input_source` gives :func:`~nnstudio.core.data.pipeline.prepare` the pipeline
source (``nnstudio.core.data.multi_input_source``) that yields ``({name: x}, y)`` batches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nnstudio.core.data import numpy_headers, numpy_targets, numpy_values
from nnstudio.core.data import numpy_source as npy
from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.errors import DataError
from nnstudio.core.data.memory import available_memory, format_bytes
from nnstudio.core.data.progress import TaskState
from nnstudio.core.data.report import ProblemLog
from nnstudio.core.data.targets import placeholder_targets, reconstructs

if TYPE_CHECKING:
    from nnstudio.core.data.inspection import LoadedSource

PREVIEW_VALUES = 8  # per input, in the preview rows


@dataclass
class MultiInputArrays(npy.NumpyArrays):
    """The arrays of a multi-input source.  ``inputs`` maps each input's name to its array
    (``x``/``x_info`` are the first one's, so that the single-input bookkeeping works)."""

    inputs: dict[str, np.ndarray] = field(default_factory=dict)
    infos: dict[str, npy.ArrayInfo] = field(default_factory=dict)

    @property
    def input_shapes(self) -> dict[str, tuple[int, ...]]:
        """Each input's sample shape (without the sample axis)."""
        return {k: tuple(int(d) for d in a.shape[1:]) for k, a in self.inputs.items()}


def input_keys(config: DataConfig) -> list[str] | None:
    """The names of the input arrays when ``config`` is a multi-input ``.npz``, else ``None``
    (then the single-input loader reads it, and reports anything wrong with the file)."""
    if config.kind != "numpy" or reconstructs(config) or config.features_key is not None:
        return None
    path = config.path
    if not os.path.isfile(path):
        return None
    if not (path.lower().endswith(".npz") or numpy_headers.safe_kind(path) == "npz"):
        return None
    try:
        infos = npy.npz_infos(path)
    except DataError:
        return None
    keys = list(infos)
    target = npy._pick(keys, config.targets_key, npy.TARGET_KEYS)
    if target is None or npy._pick(keys, None, npy.FEATURE_KEYS) is not None:
        return None
    inputs = [k for k in keys if k != target and k not in npy.CLASS_NAME_KEYS]
    return inputs if len(inputs) >= 2 else None


def load_multi_input(
    loaded: LoadedSource, log: ProblemLog, state: TaskState, keys: list[str]
) -> None:
    """Read a multi-input source into ``loaded`` (arrays and report), as the single-input
    loader does for one array."""
    from nnstudio.core.data.inspection import fill_array_targets, take_arrays, take_validation

    config = loaded.config
    arrays = _open(config, config.path, keys, log, state, None)
    # several inputs: no one feature shape (see details["inputs"])
    if arrays is None or not take_arrays(loaded, arrays, ()):
        return
    if config.validation_path:
        take_validation(loaded, _open(config, config.validation_path, keys, log, state, arrays))
    fill_array_targets(loaded.report, arrays)


def multi_input_source(loaded: LoadedSource, budget: int) -> Any:
    """The pipeline source of a loaded multi-input source, or ``None`` for any other."""
    if not isinstance(loaded.arrays, MultiInputArrays):
        return None
    from nnstudio.core.data.multi_input_source import MultiInputSource

    return MultiInputSource(loaded, budget)


# -- reading ----------------------------------------------------------------------------


def _check_headers(
    infos: dict[str, npy.ArrayInfo], keys: list[str], target: str, label: str
) -> None:
    """Raise :class:`DataError` for the first array that cannot be trained on."""
    missing = [k for k in keys if k not in infos]
    if missing:
        raise DataError(
            f'there is no array named "{missing[0]}" (an input of the training data); the '
            f"arrays are: {npy._describe(infos)}",
            label,
        )
    y_info = infos[target]
    for k in keys:
        info = infos[k]
        numpy_headers.check_info(info)
        if info.dtype.kind not in "biuf":
            raise DataError(
                f"inputs must be numbers; dtype {info.dtype} cannot be trained on", info.label
            )
        if len(info.shape) == 0:
            raise DataError("an array of one number cannot hold samples", info.label)
    numpy_headers.check_info(y_info)
    npy._check_dtypes(infos[keys[0]], y_info)
    if len(y_info.shape) == 0:
        raise DataError("an array of one number cannot hold samples", y_info.label)
    if len(y_info.shape) > 2:
        raise DataError(
            f"targets of shape {y_info.shape}: expected one value or one row per sample",
            y_info.label,
        )
    n = y_info.shape[0]
    for k in keys:
        if infos[k].shape[0] != n:
            raise DataError(
                f'"{k}" has {infos[k].shape[0]} samples but the targets "{target}" have {n}: '
                "every array needs one row per sample",
                infos[k].label,
            )
    if n == 0:
        raise DataError("the arrays hold no samples", y_info.label)
    total = sum(infos[k].nbytes for k in keys) + y_info.nbytes
    avail = available_memory()
    if avail is not None and total > avail // 2:
        raise DataError(
            f"the arrays need {format_bytes(total)} of memory but only "
            f"{format_bytes(avail)} is available; arrays inside an .npz cannot be "
            "memory-mapped",
            label,
        )


def _read(
    path: str, keys: list[str], target: str, names_key: str | None
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray | None]:
    label = os.path.basename(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            inputs = {k: npz[k] for k in keys}
            y = npz[target]
            names = npz[names_key] if names_key is not None else None
    except ValueError as exc:
        raise DataError(f"cannot load the arrays: {exc}", label) from None
    except Exception as exc:  # noqa: BLE001 - OSError, BadZipFile, zlib.error, EOFError ...
        raise DataError(
            f"cannot read the arrays (truncated or damaged file?): {exc}", label
        ) from None
    return {k: (a.reshape(-1, 1) if a.ndim == 1 else a) for k, a in inputs.items()}, y, names


def _open(
    config: DataConfig,
    path: str,
    keys: list[str],
    log: ProblemLog,
    state: TaskState,
    like: MultiInputArrays | None,
) -> MultiInputArrays | None:
    """Check, load and interpret one multi-input ``.npz`` (``like``: the training data,
    when this is the separate validation source)."""
    label = os.path.basename(path)
    state.report(0, 3, force=True)
    try:
        infos = npy.npz_infos(path)
        target = npy._pick(list(infos), config.targets_key, npy.TARGET_KEYS)
        if target is None:
            raise DataError(
                f"there is no targets array; the arrays are: {npy._describe(infos)}", label
            )
        _check_headers(infos, keys, target, label)
        names_key = next((k for k in npy.CLASS_NAME_KEYS if k in infos), None)
        inputs, y_raw, names_arr = _read(path, keys, target, names_key)
    except DataError as exc:
        log.error(exc.location or label, exc.message)
        return None
    first = keys[0]
    arrays = MultiInputArrays(
        x=inputs[first],
        x_info=infos[first],
        y_raw=y_raw,
        mapped=False,
        inputs=inputs,
        infos={k: infos[k] for k in keys},
    )
    arrays.details = _details(arrays, infos, target, label)
    if like is None:
        log.info(
            label,
            f"{len(keys)} inputs, each for the model Input of its name: "
            + ", ".join(f'"{k}" {infos[k].shape[1:] or (1,)} {infos[k].dtype}' for k in keys)
            + f'; targets "{target}"',
        )
    state.report(1, 3, force=True)
    _missing_values(arrays, config, log, state)
    if log.has_errors:
        arrays.blocked = True
        return arrays
    state.report(2, 3, force=True)
    if like is not None:
        numpy_targets.targets_like(arrays, like, log)
        for k, shape in arrays.input_shapes.items():
            if shape != like.input_shapes.get(k):
                log.error(
                    infos[k].label,
                    f"validation samples have shape {shape}, the training samples "
                    f"{like.input_shapes.get(k)}",
                )
    else:
        numpy_targets.interpret_targets(arrays, config, log, names_arr)
        _constant_features(arrays, log)
    state.report(3, 3, force=True)
    return None if log.has_errors else arrays


def _details(
    arrays: MultiInputArrays, infos: dict[str, npy.ArrayInfo], target: str, label: str
) -> dict[str, Any]:
    """What the report shows: each input, the targets, a few preview rows."""
    n = min(5, len(arrays.y_raw))
    columns: list[str] = []
    rows: list[list[Any]] = [[] for _ in range(n)]
    for k, a in arrays.inputs.items():
        head = np.asarray(a[:n]).reshape(n, -1)[:, :PREVIEW_VALUES]
        columns += [f"{k}[{j}]" for j in range(head.shape[1])]
        for r, row in enumerate(head.tolist()):
            rows[r] += [float(v) if np.isfinite(v) else str(v) for v in row]
    shapes = arrays.input_shapes
    return {
        "features": ", ".join(f"{k} {'×'.join(map(str, s))}" for k, s in shapes.items()),
        "features_shape": [int(arrays.y_raw.shape[0])],
        "samples": int(arrays.y_raw.shape[0]),
        "features_dtype": ", ".join(sorted({str(i.dtype) for i in arrays.infos.values()})),
        "inputs": {
            k: {"shape": list(s), "dtype": str(arrays.infos[k].dtype)} for k, s in shapes.items()
        },
        "targets": infos[target].label,
        "targets_shape": [int(d) for d in arrays.y_raw.shape],
        "memory_mapped": False,
        "arrays": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in infos.items()},
        "preview_columns": columns,
        "preview_rows": rows,
        "preview_targets": [
            f"{v:.4g}" if isinstance(v, float) else str(v)
            for v in np.asarray(arrays.y_raw[:5]).tolist()
        ],
    }


def _missing_values(
    arrays: MultiInputArrays, config: DataConfig, log: ProblemLog, state: TaskState
) -> None:
    """The single-input missing-value policy, input by input; a sample dropped from one
    input is dropped from all.  Non-finite targets are checked once (with the first)."""
    keep: np.ndarray | None = None
    nan_total = inf_total = 0
    for i, (k, x) in enumerate(arrays.inputs.items()):
        y = arrays.y_raw if i == 0 else placeholder_targets(len(x))
        one = npy.NumpyArrays(x=x, x_info=arrays.infos[k], y_raw=y, mapped=False)
        numpy_values.missing_values(one, config, log, state)
        nan_total += one.nan_count
        inf_total += one.inf_count
        if one.rows is not None:
            kept = np.zeros(len(x), bool)
            kept[one.rows] = True
            keep = kept if keep is None else keep & kept
    arrays.nan_count, arrays.inf_count = nan_total, inf_total
    if keep is not None:
        arrays.rows = np.flatnonzero(keep)
        if len(arrays.rows) == 0 and not log.has_errors:
            log.error(os.path.basename(config.path), "no samples are left to train on")


def _constant_features(arrays: MultiInputArrays, log: ProblemLog) -> None:
    """Features with one value in every sample, named ``<input> feature <j>``."""
    arrays.constant = []
    for k, x in arrays.inputs.items():
        one = npy.NumpyArrays(x=x, x_info=arrays.infos[k], y_raw=arrays.y_raw, mapped=False)
        one.rows = arrays.rows
        numpy_values.constant_features(one, log)
        arrays.constant += [f"{k} {c}" for c in one.constant or []]
