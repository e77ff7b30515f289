"""Reading HDF5 model files defensively (legacy ``.h5`` models, ``model.weights.h5``).

The file is walked with h5py without following any link: external links, soft links,
virtual datasets, datasets stored in external files, non-numeric datasets and datasets
whose declared size is out of proportion with what the file stores are refused before a
single array is read.  A damaged file (h5py raises ``KeyError``, ``RuntimeError``,
``OSError``, ``UnicodeDecodeError``...) is a :class:`ModelImportError` naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nnstudio.core.interop.errors import ModelImportError, UnsafeModelError
from nnstudio.core.interop.limits import (
    DEFAULT_LIMITS,
    ImportLimits,
    ModelFile,
    check_file,
    parse_config_json,
    size_text,
)

# What h5py raises for a damaged file: its low-level errors map onto these.
H5_ERRORS = (KeyError, RuntimeError, OSError, ValueError, TypeError, AttributeError, OverflowError)


@contextmanager
def damaged_as_import_error(where: str) -> Iterator[None]:
    """Turn h5py's errors for a damaged file into a :class:`ModelImportError` on ``where``."""
    try:
        yield
    except ModelImportError:
        raise
    except H5_ERRORS as exc:
        text = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ModelImportError(f"{where}: the HDF5 file is damaged ({text})") from None


def check_hdf5(path: Path, where: str, limits: ImportLimits = DEFAULT_LIMITS) -> None:
    """Refuse an HDF5 file that could read other files or expand in memory.

    Walks every link without following it; refuses external and soft links, virtual
    datasets, datasets with external storage, non-numeric datasets, datasets declaring more
    than ``max_array_bytes``, more than ``max_weights_bytes`` in all, or far more than they
    store (a fill-value or compression bomb).
    """
    import h5py

    with damaged_as_import_error(where):
        if not h5py.is_hdf5(str(path)):
            raise ModelImportError(f"{where}: not an HDF5 file")
        with h5py.File(str(path), "r") as f:
            problems, total = _walk(f, where, limits)
    if total > limits.max_weights_bytes:
        problems.append(
            f"the datasets declare {size_text(total)} in all, more than the "
            f"limit of {size_text(limits.max_weights_bytes)}"
        )
    if problems:
        raise UnsafeModelError(f"{where}: refused before reading any weights:", problems)


def _walk(f: Any, where: str, limits: ImportLimits) -> tuple[list[str], int]:
    """``(problems, declared bytes)`` of every object below the root, links unfollowed."""
    import h5py

    problems: list[str] = []
    total = 0
    seen: set[Any] = set()
    stack: list[tuple[Any, str]] = [(f, "")]
    count = 0
    while stack and len(problems) < 25:
        group, gpath = stack.pop()
        for name in group:
            full = f"{gpath}/{name}"
            link = group.get(name, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                problems.append(f"{full}: external link to {link.filename}:{link.path}")
                continue
            if isinstance(link, h5py.SoftLink):
                problems.append(f"{full}: soft link to {link.path}")
                continue
            count += 1
            if count > limits.max_hdf5_objects:
                raise UnsafeModelError(f"{where}: more than {limits.max_hdf5_objects} objects")
            obj = group[name]
            key = _object_key(obj)
            if key in seen:
                continue
            seen.add(key)
            if isinstance(obj, h5py.Group):
                stack.append((obj, full))
            elif isinstance(obj, h5py.Dataset):
                total += _check_dataset(obj, full, limits, problems)
            else:  # named datatypes and the like
                problems.append(f"{full}: unexpected HDF5 object {type(obj).__name__}")
    return problems, total


def _object_key(obj: Any) -> Any:
    import h5py

    info = h5py.h5o.get_info(obj.id)
    return getattr(info, "token", None) or getattr(info, "addr", None) or id(obj)


def _check_dataset(ds: Any, full: str, limits: ImportLimits, problems: list[str]) -> int:
    if ds.is_virtual:
        problems.append(f"{full}: virtual dataset (reads other files)")
        return 0
    if ds.external:
        problems.append(f"{full}: data stored in external files")
        return 0
    if ds.dtype.kind not in "fiub":
        problems.append(f"{full}: non-numeric dataset (type {ds.dtype})")
        return 0
    declared = int(ds.size) * ds.dtype.itemsize if ds.shape is not None else 0
    if declared > limits.max_array_bytes:
        shape = "x".join(str(d) for d in ds.shape)
        problems.append(
            f"{full}: declares shape {shape} ({size_text(declared)}), more than "
            f"the limit of {size_text(limits.max_array_bytes)} per array"
        )
        return declared
    stored = ds.id.get_storage_size()
    if declared > limits.ratio_floor_bytes and declared > limits.max_ratio * max(stored, 1):
        problems.append(
            f"{full}: declares {size_text(declared)} but stores "
            f"{size_text(stored)}: refused as an expansion bomb"
        )
    return declared


def read_h5_model(path: Path, limits: ImportLimits = DEFAULT_LIMITS) -> ModelFile:
    """Check a legacy ``.h5`` model file and read its ``model_config`` attribute."""
    check_file(path, limits)
    check_hdf5(path, path.name, limits)
    with damaged_as_import_error(path.name):
        raw, metadata, has_weights, training_raw = _read_h5_attrs(path, limits)
    config = parse_config_json(raw, f"{path.name}: model_config", limits)
    if not isinstance(config, dict):
        raise ModelImportError(f"{path.name}: model_config is not a JSON object")
    training = None
    if isinstance(training_raw, (bytes, str)) and len(training_raw) <= limits.max_config_bytes:
        try:
            parsed = parse_config_json(training_raw, f"{path.name}: training_config", limits)
        except ModelImportError:
            parsed = None  # only used to name losses and metrics; not worth refusing for
        training = parsed if isinstance(parsed, dict) else None
    result = ModelFile(
        "h5", path, config, metadata, weights_path=path if has_weights else None, training=training
    )
    if not has_weights:
        result.notes.append(f"{path.name} holds no weights: the layers start untrained")
    return result


def _read_h5_attrs(path: Path, limits: ImportLimits) -> tuple[str, dict[str, str], bool, Any]:
    """``(model_config text, metadata, has weights, raw training_config)`` of a ``.h5``."""
    import h5py

    with h5py.File(str(path), "r") as f:
        raw = f.attrs.get("model_config")
        if raw is None:
            raise ModelImportError(
                f"{path.name}: holds no model_config: it is a weights-only "
                "file (from save_weights) or not a Keras model"
            )
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", errors="replace")
        if not isinstance(raw, str):
            raise ModelImportError(f"{path.name}: model_config is not text")
        if len(raw) > limits.max_config_bytes:
            raise UnsafeModelError(
                f"{path.name}: model_config is larger than {size_text(limits.max_config_bytes)}"
            )
        metadata = {
            k: _attr_text(f.attrs.get(k))
            for k in ("keras_version", "backend")
            if f.attrs.get(k) is not None
        }
        has_weights = "model_weights" in f and isinstance(
            f.get("model_weights", getlink=True), h5py.HardLink
        )
        training_raw = f.attrs.get("training_config")
    return raw, metadata, has_weights, training_raw


def _attr_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")[:200]
    return str(value)[:200]


def write_clean_h5(
    source: Path, target: Path, config: dict[str, Any], metadata: dict[str, Any]
) -> None:
    """A fresh ``.h5`` model file holding only the checked ``config`` and the weights group.

    Keras then reads exactly the configuration that was checked (not a second copy that
    could differ), and nothing else from the original file.
    """
    import h5py

    with (
        damaged_as_import_error(source.name),
        h5py.File(str(source), "r") as src,
        h5py.File(str(target), "w") as dst,
    ):
        dst.attrs["model_config"] = json.dumps(config)
        for key, value in metadata.items():
            dst.attrs[key] = str(value)
        src.copy(src["model_weights"], dst, name="model_weights")
