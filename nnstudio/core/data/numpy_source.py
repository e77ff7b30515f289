"""NumPy sources: an ``.npy`` pair (features, targets) or an ``.npz`` archive.

Headers are read first: the declared shape and dtype are checked against the
file size and the free memory before anything is loaded; object arrays
(pickles) are refused; loading always uses ``allow_pickle=False``; arrays
larger than the memory budget are memory-mapped.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from nnstudio.core.data.config import DataConfig, guess_targets_file
from nnstudio.core.data.errors import DataError
from nnstudio.core.data.memory import available_memory, format_bytes
from nnstudio.core.data.numpy_arrays import NumpyArrays
from nnstudio.core.data.numpy_headers import (
    ArrayInfo,
    check_info,
    npy_info,
    npz_infos,
    safe_kind,
)
from nnstudio.core.data.numpy_targets import (
    interpret_targets,
    reconstruction_targets,
    targets_like,
)
from nnstudio.core.data.numpy_values import constant_features, missing_values
from nnstudio.core.data.progress import TaskState
from nnstudio.core.data.report import ProblemLog
from nnstudio.core.data.targets import placeholder_targets, reconstructs

__all__ = ["ArrayInfo", "NumpyArrays", "load_numpy", "npy_info", "npz_infos"]

FEATURE_KEYS = ("x", "X", "features", "inputs", "data", "images", "x_train", "X_train")
TARGET_KEYS = ("y", "Y", "targets", "labels", "target", "label", "y_train", "Y_train")
CLASS_NAME_KEYS = ("class_names", "classes", "label_names", "target_names")


def _pick(keys: list[str], wanted: str | None, defaults: tuple[str, ...]) -> str | None:
    if wanted is not None:
        return wanted if wanted in keys else None
    for d in defaults:
        if d in keys:
            return d
    return None


def _describe(infos: dict[str, ArrayInfo]) -> str:
    return "; ".join(f'"{k}" {v.shape} {v.dtype}' for k, v in infos.items())


def _resolve_files(
    config: DataConfig, log: ProblemLog, validation: bool
) -> tuple[str, str | None, str | None, str | None] | None:
    """(features file, targets file or None, features key, targets key)."""
    path = config.validation_path if validation else config.path
    assert path is not None
    if path.lower().endswith(".npz") or (os.path.isfile(path) and safe_kind(path) == "npz"):
        return path, None, config.features_key, config.targets_key
    targets = config.validation_targets_path if validation else config.targets_path
    if targets is None:
        targets = guess_targets_file(path)
        if targets is None:
            log.error(
                os.path.basename(path),
                "this .npy holds the features; choose the .npy file that holds the targets "
                "(or use an .npz with both arrays)",
            )
            return None
        log.info(os.path.basename(path), f'targets read from "{os.path.basename(targets)}"')
    return path, targets, None, None


_Opened = tuple[np.ndarray, "ArrayInfo", np.ndarray, str, bool, dict[str, Any], np.ndarray | None]


def _must_map(x_info: ArrayInfo, in_npz: bool, budget: int) -> bool:
    """Whether the features are memory-mapped (larger than the budget); raises
    :class:`DataError` when they can be neither loaded nor mapped."""
    if x_info.nbytes <= budget:
        return False
    if in_npz:
        avail = available_memory()
        if avail is not None and x_info.nbytes > avail // 2:
            raise DataError(
                f"the array needs {format_bytes(x_info.nbytes)} of memory but only "
                f"{format_bytes(avail)} is available; arrays inside an .npz cannot be "
                "memory-mapped: save the features as an .npy file",
                x_info.label,
            )
        return False
    if x_info.fortran_order:
        raise DataError(
            "the array is too large for memory and is stored in Fortran order, which "
            "cannot be streamed by samples: save it with numpy.save from a C-ordered "
            "array",
            x_info.label,
        )
    return True


def _open_pair(
    config: DataConfig, log: ProblemLog, budget: int, validation: bool
) -> _Opened | None:
    """Features and targets (an ``.npy`` pair or two arrays of an ``.npz``)."""
    files = _resolve_files(config, log, validation=validation)
    if files is None:
        return None
    x_path, y_path, x_key, y_key = files
    listing: dict[str, Any] = {}
    fx: str | None
    fy: str | None
    try:
        if y_path is None:
            chosen = _npz_pair(x_path, x_key, y_key, log)
            if chosen is None:
                return None
            x_info, y_info, fx, fy, has_names, listing = chosen
        else:
            x_info, y_info = npy_info(x_path), npy_info(y_path)
            fx = fy = None
            has_names = False
        _check_pair(x_info, y_info)
        avail = available_memory()
        mapped = _must_map(x_info, y_path is None, budget)
        if avail is not None and y_info.nbytes > avail // 2:
            raise DataError(
                f"the targets need {format_bytes(y_info.nbytes)} of memory but only "
                f"{format_bytes(avail)} is available",
                y_info.label,
            )
        x, y_raw, class_names_arr = _load_arrays(x_path, y_path, fx, fy, mapped, has_names)
    except DataError as exc:
        log.error(exc.location or os.path.basename(x_path), exc.message)
        return None
    return x, x_info, y_raw, y_info.label, mapped, listing, class_names_arr


def _npz_pair(
    path: str, x_key: str | None, y_key: str | None, log: ProblemLog
) -> tuple[ArrayInfo, ArrayInfo, str, str, bool, dict[str, Any]] | None:
    """The features and targets members of an ``.npz`` (asked for, named as
    usual, or the larger of two arrays as the features), whether it names the
    classes, and the listing of its arrays."""
    label = os.path.basename(path)
    infos = npz_infos(path)
    listing = {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in infos.items()}
    keys = list(infos)
    fx = _pick(keys, x_key, FEATURE_KEYS)
    fy = _pick(keys, y_key, TARGET_KEYS)
    data_keys = [k for k in keys if k not in CLASS_NAME_KEYS]
    if (fx is None or fy is None) and x_key is None and y_key is None and len(data_keys) == 2:
        a, b = data_keys
        fx, fy = (a, b) if infos[a].nbytes >= infos[b].nbytes else (b, a)
        log.info(label, f'using "{fx}" as the features and "{fy}" as the targets')
    if fx is None or fy is None:
        which = "features" if fx is None else "targets"
        asked = x_key if fx is None else y_key
        head = (
            f'there is no array named "{asked}"'
            if asked
            else f"choose which array holds the {which}"
        )
        log.error(label, f"{head}; the arrays are: {_describe(infos)}")
        return None
    if fx == fy:
        log.error(label, "the features and the targets are one array")
        return None
    unused = [k for k in keys if k not in (fx, fy) and k not in CLASS_NAME_KEYS]
    if unused:
        log.info(label, "arrays not used: " + ", ".join(f'"{k}"' for k in unused))
    for info in (infos[fx], infos[fy]):
        check_info(info)
    has_names = any(k in infos for k in CLASS_NAME_KEYS)
    return infos[fx], infos[fy], fx, fy, has_names, listing


def _check_pair(x_info: ArrayInfo, y_info: ArrayInfo) -> None:
    """Numbers (or class names), one target per sample, at least one sample."""
    _check_dtypes(x_info, y_info)
    if len(x_info.shape) == 0 or len(y_info.shape) == 0:
        raise DataError("an array of one number cannot hold samples", x_info.label)
    if x_info.shape[0] != y_info.shape[0]:
        raise DataError(
            f"the features have {x_info.shape[0]} samples but the targets "
            f"({y_info.label}) have {y_info.shape[0]}",
            x_info.label,
        )
    if x_info.shape[0] == 0:
        raise DataError("the arrays hold no samples", x_info.label)
    if len(y_info.shape) > 2:
        raise DataError(
            f"targets of shape {y_info.shape}: expected one value or one row per sample",
            y_info.label,
        )


def load_numpy(
    config: DataConfig,
    log: ProblemLog,
    state: TaskState,
    budget: int,
    like: NumpyArrays | None = None,
) -> NumpyArrays | None:
    """Check headers, load (or memory-map) the arrays and interpret the targets.
    ``like`` is the training data when loading a separate validation source."""
    state.report(0, 3, force=True)
    if reconstructs(config):
        opened = _open_inputs(config, log, budget, like is not None)
    else:
        opened = _open_pair(config, log, budget, like is not None)
    if opened is None:
        return None
    x, x_info, y_raw, y_label, mapped, listing, class_names_arr = opened
    if x.ndim == 1:
        x = x.reshape(-1, 1)
    arrays = NumpyArrays(x=x, x_info=x_info, y_raw=y_raw, mapped=mapped)
    arrays.details = {
        "features": x_info.label,
        "targets": y_label,
        "features_dtype": str(x_info.dtype),
        "memory_mapped": mapped,
        "arrays": listing,
    }
    state.report(1, 3, force=True)
    missing_values(arrays, config, log, state)
    if log.has_errors:
        arrays.blocked = True
        return arrays
    state.report(2, 3, force=True)
    if like is not None:
        if reconstructs(config):
            reconstruction_targets(arrays)
        else:
            targets_like(arrays, like, log)
        if arrays.x.shape[1:] != like.x.shape[1:]:
            log.error(
                x_info.label,
                f"validation samples have shape {arrays.x.shape[1:]}, the training samples "
                f"{like.x.shape[1:]}",
            )
    elif reconstructs(config):
        reconstruction_targets(arrays)
        constant_features(arrays, log)
    else:
        interpret_targets(arrays, config, log, class_names_arr)
        constant_features(arrays, log)
    state.report(3, 3, force=True)
    return None if log.has_errors else arrays


def _open_inputs(
    config: DataConfig, log: ProblemLog, budget: int, validation: bool
) -> _Opened | None:
    """The features alone, for a source whose targets are its inputs."""
    path = config.validation_path if validation else config.path
    assert path is not None
    label = os.path.basename(path)
    listing: dict[str, Any] = {}
    try:
        if path.lower().endswith(".npz") or safe_kind(path) == "npz":
            infos = npz_infos(path)
            listing = {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in infos.items()}
            keys = list(infos)
            fx = _pick(keys, config.features_key, FEATURE_KEYS)
            data_keys = [k for k in keys if k not in CLASS_NAME_KEYS]
            if fx is None and config.features_key is None and len(data_keys) == 1:
                fx = data_keys[0]
            if fx is None:
                asked = config.features_key
                head = (
                    f'there is no array named "{asked}"'
                    if asked
                    else "choose which array holds the features"
                )
                log.error(label, f"{head}; the arrays are: {_describe(infos)}")
                return None
            x_info = infos[fx]
            check_info(x_info)
            in_npz = True
        else:
            x_info = npy_info(path)
            fx = None
            in_npz = False
        if x_info.dtype.kind not in "biuf":
            raise DataError(
                f"features must be numbers; dtype {x_info.dtype} cannot be trained on",
                x_info.label,
            )
        if len(x_info.shape) == 0:
            raise DataError("an array of one number cannot hold samples", x_info.label)
        if x_info.shape[0] == 0:
            raise DataError("the arrays hold no samples", x_info.label)
        mapped = _must_map(x_info, in_npz, budget)
        x = _load_one(path, fx, mapped)
    except DataError as exc:
        log.error(exc.location or label, exc.message)
        return None
    y_raw = placeholder_targets(x_info.shape[0])
    return x, x_info, y_raw, "the inputs (reconstruction)", mapped, listing, None


def _load_one(path: str, key: str | None, mapped: bool) -> np.ndarray:
    """One array: an ``.npz`` member ``key`` or an ``.npy`` (memory-mapped or not)."""
    try:
        if key is not None:
            with np.load(path, allow_pickle=False) as npz:
                return npz[key]
        return np.load(path, allow_pickle=False, mmap_mode="r" if mapped else None)
    except ValueError as exc:
        raise DataError(f"cannot load the arrays: {exc}", os.path.basename(path)) from None
    except Exception as exc:  # noqa: BLE001 - OSError, BadZipFile, zlib.error, EOFError ...
        raise DataError(
            f"cannot read the arrays (truncated or damaged file?): {exc}",
            os.path.basename(path),
        ) from None


def _check_dtypes(x_info: ArrayInfo, y_info: ArrayInfo) -> None:
    if x_info.dtype.kind not in "biuf":
        raise DataError(
            f"features must be numbers; dtype {x_info.dtype} cannot be trained on", x_info.label
        )
    if y_info.dtype.kind not in "biufUS":
        raise DataError(
            f"targets must be numbers or class names; dtype {y_info.dtype} cannot be used",
            y_info.label,
        )
    if y_info.dtype.kind in "US" and len(y_info.shape) != 1:
        raise DataError("class-name targets must be one name per sample", y_info.label)


def _load_arrays(
    x_path: str,
    y_path: str | None,
    fx: str | None,
    fy: str | None,
    mapped: bool,
    has_names: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    try:
        if y_path is None:
            with np.load(x_path, allow_pickle=False) as npz:
                x = npz[fx]
                y = npz[fy]
                names = None
                if has_names:
                    key = next(k for k in CLASS_NAME_KEYS if k in npz.files)
                    names = npz[key]
            return x, y, names
        x = np.load(x_path, allow_pickle=False, mmap_mode="r" if mapped else None)
        y = np.load(y_path, allow_pickle=False)
        return x, y, None
    except ValueError as exc:
        raise DataError(f"cannot load the arrays: {exc}", os.path.basename(x_path)) from None
    except Exception as exc:  # noqa: BLE001 - OSError, BadZipFile, zlib.error, EOFError ...
        raise DataError(
            f"cannot read the arrays (truncated or damaged file?): {exc}",
            os.path.basename(x_path),
        ) from None
