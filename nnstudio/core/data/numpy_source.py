"""NumPy sources: an ``.npy`` pair (features, targets) or an ``.npz`` archive.

Headers are read first: the declared shape and dtype are checked against the
file size and the free memory before anything is loaded; object arrays
(pickles) are refused; loading always uses ``allow_pickle=False``; arrays
larger than the memory budget are memory-mapped.
"""

from __future__ import annotations

import ast
import os
import struct
import zipfile
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from nnstudio.core.data.config import DataConfig, guess_targets_file
from nnstudio.core.data.errors import DataError
from nnstudio.core.data.memory import available_memory, format_bytes
from nnstudio.core.data.progress import TaskState
from nnstudio.core.data.report import ProblemLog
from nnstudio.core.data.targets import (
    RECONSTRUCTION,
    check_reading,
    map_to_classes,
    placeholder_targets,
    read_labels,
    read_onehot,
    reconstructs,
)

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
MAX_HEADER = 100_000
FEATURE_KEYS = ("x", "X", "features", "inputs", "data", "images", "x_train", "X_train")
TARGET_KEYS = ("y", "Y", "targets", "labels", "target", "label", "y_train", "Y_train")
CLASS_NAME_KEYS = ("class_names", "classes", "label_names", "target_names")
CHUNK_BYTES = 64 * 1024 * 1024
SPARSE_MIN_BYTES = 256 * 1024 * 1024


@dataclass
class ArrayInfo:
    """An array's header: where it is, its shape and dtype, and its data size."""

    label: str
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    nbytes: int
    data_bytes: int  # bytes actually present after the header

    def describe(self) -> str:
        return f"{self.label} {self.shape} {self.dtype}"


def _read_header(fh: IO[bytes], label: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
    except ValueError:
        raise DataError("not a NumPy array file (the .npy header is missing)", label) from None
    try:
        if version == (1, 0):
            return fmt.read_array_header_1_0(fh, max_header_size=MAX_HEADER)
        if version == (2, 0):
            return fmt.read_array_header_2_0(fh, max_header_size=MAX_HEADER)
        if version == (3, 0):
            return _read_header_3_0(fh)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any damage: TokenError, RecursionError, ...
        raise DataError(
            f"the .npy header is corrupt ({type(exc).__name__}: {exc})", label
        ) from None
    raise DataError(f"unsupported .npy format version {version[0]}.{version[1]}", label)


def _read_header_3_0(fh: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype]:
    raw = fh.read(4)
    if len(raw) != 4:
        raise EOFError("header length")
    (length,) = struct.unpack("<I", raw)
    if length > MAX_HEADER:
        raise ValueError(f"header of {length} bytes")
    header = fh.read(length)
    if len(header) != length:
        raise EOFError("header")
    d = ast.literal_eval(header.decode("utf-8"))
    if not isinstance(d, dict) or set(d) != {"descr", "fortran_order", "shape"}:
        raise ValueError("header keys")
    shape = d["shape"]
    if not isinstance(shape, tuple) or not all(isinstance(v, int) and v >= 0 for v in shape):
        raise ValueError("shape")
    if not isinstance(d["fortran_order"], bool):
        raise ValueError("fortran_order")
    return shape, d["fortran_order"], np.lib.format.descr_to_dtype(d["descr"])


def _file_kind(path: str, label: str) -> str:
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise DataError("the file does not exist", label) from None
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc.strerror or exc}", label) from None
    if head.startswith(NPY_MAGIC):
        return "npy"
    if head.startswith(ZIP_MAGICS):
        return "npz"
    if not head:
        raise DataError("the file is empty", label)
    if head[:1] == b"\x80" or head[:1] in (b"(", b"]", b"}"):
        raise DataError(
            "this is a Python pickle, not a NumPy array file; NN Studio never loads pickles "
            "(loading one can run any code). Save the data with numpy.save instead",
            label,
        )
    raise DataError("not a NumPy .npy or .npz file", label)


def _check_info(info: ArrayInfo) -> None:
    if info.dtype.hasobject:
        raise DataError(
            "the array holds Python objects (dtype object); loading it would need pickle, "
            "which can run any code. Save a numeric array instead",
            info.label,
        )
    if info.data_bytes < info.nbytes:
        raise DataError(
            f"the header declares shape {info.shape} {info.dtype} = {format_bytes(info.nbytes)}, "
            f"but the file holds only {format_bytes(info.data_bytes)} of data: the file is "
            "truncated or its header is wrong",
            info.label,
        )


def npy_info(path: str, label: str | None = None) -> ArrayInfo:
    """Header of a ``.npy`` file, checked against the file's size."""
    label = label or os.path.basename(path)
    if _file_kind(path, label) != "npy":
        raise DataError("expected a .npy file but this is an .npz archive", label)
    with open(path, "rb") as fh:
        shape, fortran, dtype = _read_header(fh, label)
        offset = fh.tell()
    st = os.stat(path)
    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    info = ArrayInfo(label, tuple(shape), dtype, fortran, nbytes, st.st_size - offset)
    _check_info(info)
    _check_sparse(info, st)
    return info


def _check_sparse(info: ArrayInfo, st: os.stat_result) -> None:
    """Refuse a file whose declared data is mostly not on disk (a sparse file:
    reading or hashing it would take hours for nothing)."""
    blocks = getattr(st, "st_blocks", None)
    if blocks is None or info.nbytes < SPARSE_MIN_BYTES:
        return
    on_disk = int(blocks) * 512
    if on_disk * 4 < info.nbytes:
        raise DataError(
            f"the header declares shape {info.shape} {info.dtype} = {format_bytes(info.nbytes)}, "
            f"but only {format_bytes(on_disk)} of the file is on disk (a sparse file): "
            "refused without reading it",
            info.label,
        )


def npz_infos(path: str) -> dict[str, ArrayInfo]:
    """Headers of every array in an ``.npz``, read without loading any data."""
    label = os.path.basename(path)
    if _file_kind(path, label) != "npz":
        raise DataError("expected an .npz archive but this is a single .npy array", label)
    infos: dict[str, ArrayInfo] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for zi in zf.infolist():
                if not zi.filename.endswith(".npy"):
                    continue
                name = zi.filename[:-4]
                member = f'{label}["{name}"]'
                with zf.open(zi) as fh:
                    shape, fortran, dtype = _read_header(fh, member)
                    offset = fh.tell()
                nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
                info = ArrayInfo(
                    member, tuple(shape), dtype, fortran, nbytes, zi.file_size - offset
                )
                infos[name] = info
    except DataError:
        raise
    except zipfile.BadZipFile as exc:
        raise DataError(f"the .npz archive is damaged ({exc})", label) from None
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read the .npz archive ({exc})", label) from None
    except Exception as exc:  # noqa: BLE001 - zlib.error, NotImplementedError, RuntimeError ...
        raise DataError(
            f"the .npz archive is damaged ({type(exc).__name__}: {exc})", label
        ) from None
    if not infos:
        raise DataError("the .npz archive holds no arrays", label)
    return infos


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
    if path.lower().endswith(".npz") or (os.path.isfile(path) and _safe_kind(path) == "npz"):
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


def _safe_kind(path: str) -> str | None:
    try:
        return _file_kind(path, path)
    except DataError:
        return None


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
    try:
        if y_path is None:
            infos = npz_infos(x_path)
            listing = {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in infos.items()}
            keys = list(infos)
            fx = _pick(keys, x_key, FEATURE_KEYS)
            fy = _pick(keys, y_key, TARGET_KEYS)
            data_keys = [k for k in keys if k not in CLASS_NAME_KEYS]
            if (
                (fx is None or fy is None)
                and x_key is None
                and y_key is None
                and len(data_keys) == 2
            ):
                a, b = data_keys
                fx, fy = (a, b) if infos[a].nbytes >= infos[b].nbytes else (b, a)
                log.info(
                    os.path.basename(x_path),
                    f'using "{fx}" as the features and "{fy}" as the targets',
                )
            if fx is None or fy is None:
                which = "features" if fx is None else "targets"
                asked = x_key if fx is None else y_key
                head = (
                    f'there is no array named "{asked}"'
                    if asked
                    else (f"choose which array holds the {which}")
                )
                log.error(os.path.basename(x_path), f"{head}; the arrays are: {_describe(infos)}")
                return None
            if fx == fy:
                log.error(os.path.basename(x_path), "the features and the targets are one array")
                return None
            x_info, y_info = infos[fx], infos[fy]
            names_info = next((infos[k] for k in CLASS_NAME_KEYS if k in infos), None)
            unused = [k for k in keys if k not in (fx, fy) and k not in CLASS_NAME_KEYS]
            if unused:
                log.info(
                    os.path.basename(x_path),
                    "arrays not used: " + ", ".join(f'"{k}"' for k in unused),
                )
            for info in (x_info, y_info):
                _check_info(info)
        else:
            x_info = npy_info(x_path)
            y_info = npy_info(y_path)
            fx = fy = None
            names_info = None
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
        avail = available_memory()
        mapped = _must_map(x_info, y_path is None, budget)
        if avail is not None and y_info.nbytes > avail // 2:
            raise DataError(
                f"the targets need {format_bytes(y_info.nbytes)} of memory but only "
                f"{format_bytes(avail)} is available",
                y_info.label,
            )
        x, y_raw, class_names_arr = _load_arrays(
            x_path, y_path, fx, fy, mapped, names_info is not None
        )
    except DataError as exc:
        log.error(exc.location or os.path.basename(x_path), exc.message)
        return None
    return x, x_info, y_raw, y_info.label, mapped, listing, class_names_arr


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
    _missing_values(arrays, config, log, state)
    if log.has_errors:
        arrays.blocked = True
        return arrays
    state.report(2, 3, force=True)
    if like is not None:
        if reconstructs(config):
            _reconstruction_targets(arrays)
        else:
            _targets_like(arrays, like, log)
        if arrays.x.shape[1:] != like.x.shape[1:]:
            log.error(
                x_info.label,
                f"validation samples have shape {arrays.x.shape[1:]}, the training samples "
                f"{like.x.shape[1:]}",
            )
    elif reconstructs(config):
        _reconstruction_targets(arrays)
        _constant_features(arrays, log)
    else:
        _interpret_targets(arrays, config, log, class_names_arr)
        _constant_features(arrays, log)
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
        if path.lower().endswith(".npz") or _safe_kind(path) == "npz":
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
            _check_info(x_info)
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


def _reconstruction_targets(arrays: NumpyArrays) -> None:
    """The inputs are the targets: no classes; the pipeline substitutes ``x``."""
    arrays.task = RECONSTRUCTION
    arrays.class_names = arrays.class_values = None
    arrays.y = placeholder_targets(arrays.n)


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


def _scan_nonfinite(x: np.ndarray, state: TaskState) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Per-sample flags (nan, inf) and total counts, read in chunks."""
    n = x.shape[0]
    nan_rows = np.zeros(n, bool)
    inf_rows = np.zeros(n, bool)
    if x.dtype.kind != "f":
        return nan_rows, inf_rows, 0, 0
    per_row = max(1, int(np.prod(x.shape[1:], dtype=np.int64)) * x.dtype.itemsize)
    step = max(1, CHUNK_BYTES // per_row)
    nan_total = inf_total = 0
    for start in range(0, n, step):
        block = np.asarray(x[start : start + step]).reshape(min(step, n - start), -1)
        isnan = np.isnan(block)
        isinf = np.isinf(block)
        nan_total += int(isnan.sum())
        inf_total += int(isinf.sum())
        nan_rows[start : start + step] = isnan.any(axis=1)
        inf_rows[start : start + step] = isinf.any(axis=1)
        state.report(min(n, start + step), n)
    return nan_rows, inf_rows, nan_total, inf_total


def _first_bad_index(sample: np.ndarray) -> str:
    flat = np.flatnonzero(~np.isfinite(np.asarray(sample, dtype=np.float64).reshape(-1)))
    if not len(flat) or sample.ndim == 0:
        return ""
    idx = np.unravel_index(int(flat[0]), sample.shape)
    return f", feature {list(int(i) for i in idx)}" if len(idx) > 1 else f", feature {int(idx[0])}"


def _missing_values(
    arrays: NumpyArrays, config: DataConfig, log: ProblemLog, state: TaskState
) -> None:
    x, y = arrays.x, arrays.y_raw
    label = arrays.x_info.label
    nan_rows, inf_rows, nan_total, inf_total = _scan_nonfinite(x, state)
    y_bad = np.zeros(len(y), bool)
    if y.dtype.kind == "f":
        y2 = y.reshape(len(y), -1)
        y_bad = ~np.isfinite(y2).all(axis=1)
        nan_total += int(np.isnan(y2).sum())
        inf_total += int(np.isinf(y2).sum())
    arrays.nan_count, arrays.inf_count = nan_total, inf_total
    bad = nan_rows | inf_rows
    if not (bad.any() or y_bad.any()):
        return
    policy = config.missing
    if policy == "stop":
        for i in np.flatnonzero(bad):
            what = "NaN" if nan_rows[i] else "an infinite value"
            log.error(
                f"{label}, sample {int(i)}{_first_bad_index(x[i])}",
                f"holds {what} (choose a missing-value policy: drop these samples or fill them)",
                group="nonfinite-x",
            )
        for i in np.flatnonzero(y_bad):
            log.error(
                f"targets, sample {int(i)}", "the target is NaN or infinite", group="nonfinite-y"
            )
        return
    drop = y_bad.copy()
    if policy == "drop":
        drop |= bad
    elif bad.any():
        if arrays.mapped or not x.flags.writeable:
            log.error(
                label,
                "filling missing values needs the features in memory, and they are too large: "
                "choose to drop the samples instead",
            )
            return
        flat = x.reshape(x.shape[0], -1)
        finite = np.isfinite(flat)
        counts = finite.sum(axis=0)
        sums = np.where(finite, flat, 0).sum(axis=0, dtype=np.float64)
        means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
        holes = ~finite
        holes[drop] = False
        rows, cols = np.nonzero(holes)
        flat[rows, cols] = means[cols].astype(flat.dtype)
        log.warning(
            label,
            f"filled {len(rows)} NaN or infinite value(s) in {int(np.any(holes, axis=1).sum())} "
            "sample(s) with the mean of their feature",
        )
    if drop.any():
        log.warning(
            label,
            f"dropped {int(drop.sum())} sample(s) with NaN or infinite values (first: sample "
            f"{int(np.flatnonzero(drop)[0])})",
        )
        arrays.rows = np.flatnonzero(~drop)
        if len(arrays.rows) == 0:
            log.error(label, "no samples are left to train on")


def _as_labels(y: np.ndarray) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        return y[:, 0]
    return y


def _interpret_targets(
    arrays: NumpyArrays, config: DataConfig, log: ProblemLog, names_arr: np.ndarray | None
) -> None:
    """The targets read by the one target policy (:mod:`~nnstudio.core.data.targets`)."""
    y = _as_labels(arrays.y_raw)
    if arrays.rows is not None:
        y = y[arrays.rows]
    if y.ndim == 2:
        reading = read_onehot(y, config.task, log, "targets")
        if reading is not None and reading.class_names is not None:
            reading.class_names = _class_names(names_arr, reading.class_names, log)
    else:
        index_names = None
        if names_arr is not None:
            index_names = [str(v) for v in np.asarray(names_arr).reshape(-1).tolist()]
        integer_typed = y.dtype.kind in "biu"
        reading = read_labels(y, config.task, log, "targets", integer_typed, index_names)
    if reading is None:
        return
    arrays.task, arrays.y = reading.task, reading.y
    arrays.class_names, arrays.class_values = reading.class_names, reading.class_values
    check_reading(reading, log)


def _class_names(names_arr: np.ndarray | None, default: list[str], log: ProblemLog) -> list[str]:
    if names_arr is None:
        return default
    names = [str(v) for v in np.asarray(names_arr).reshape(-1).tolist()]
    if len(names) != len(default):
        log.warning(
            "class_names",
            f"the archive names {len(names)} classes but the targets have {len(default)}; "
            "the names are not used",
        )
        return default
    return names


def _targets_like(arrays: NumpyArrays, like: NumpyArrays, log: ProblemLog) -> None:
    """Validation targets read as the training ones (same task, same classes)."""
    y = _as_labels(arrays.y_raw)
    if arrays.rows is not None:
        y = y[arrays.rows]
    arrays.task = like.task
    arrays.class_names = like.class_names
    arrays.class_values = like.class_values
    if like.task == "regression":
        arrays.y = y.astype(np.float32).reshape(len(y), -1)
        if arrays.y.shape[1] != like.num_outputs:
            log.error("validation targets", "they do not have as many values as the training ones")
        return
    assert like.class_values is not None
    out = map_to_classes(y, like.class_values, log, lambda i: f"validation targets, sample {i}")
    arrays.y = out if out is not None else np.zeros(len(y), np.int32)


def _constant_features(arrays: NumpyArrays, log: ProblemLog) -> None:
    arrays.constant = []
    x = arrays.x
    if x.ndim != 2 or arrays.mapped or x.shape[1] > 10_000 or x.shape[0] < 2:
        return
    rows = arrays.rows if arrays.rows is not None else slice(None)
    block = x[rows]
    same = np.flatnonzero(np.all(block == block[:1], axis=0))
    arrays.constant = [f"feature {int(j)}" for j in same]
    if len(same):
        shown = ", ".join(str(int(j)) for j in same[:10])
        more = f" and {len(same) - 10} more" if len(same) > 10 else ""
        log.warning(
            arrays.x_info.label,
            f"feature{'s' if len(same) > 1 else ''} {shown}{more} "
            f"{'have' if len(same) > 1 else 'has'} the same value in every sample: "
            "no information for the model",
        )
