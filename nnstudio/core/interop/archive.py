"""Reading model files defensively: ``.keras`` zip archives and legacy ``.h5`` files.

Nothing here runs Keras.  A ``.keras`` archive is opened with :mod:`zipfile`; only the
members NN Studio needs are read, each through a byte counter that stops at its cap, after
the declared size and compression ratio were checked.  An HDF5 file is walked with h5py
without following any link: external links, soft links, virtual datasets, datasets stored
in external files, non-numeric datasets and datasets whose declared size is out of
proportion with what the file stores are refused before a single array is read.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nnstudio.core.interop.errors import ModelImportError, UnsafeModelError

MiB = 1 << 20
GiB = 1 << 30

CONFIG_MEMBER = "config.json"
METADATA_MEMBER = "metadata.json"
WEIGHTS_MEMBER = "model.weights.h5"
NPZ_WEIGHTS_MEMBER = "model.weights.npz"
_CHUNK = MiB


@dataclass(frozen=True)
class ImportLimits:
    """Caps that keep a hostile file from spending memory, disk or time.

    ``max_ratio`` bounds how much a zip member may inflate, and how much an HDF5 dataset may
    declare relative to the bytes it stores; both are checked only above
    ``ratio_floor_bytes`` so that small, highly compressible members stay legal.
    """

    max_file_bytes: int = 8 * GiB
    max_config_bytes: int = 64 * MiB
    max_metadata_bytes: int = 1 * MiB
    max_weights_bytes: int = 4 * GiB
    max_array_bytes: int = 2 * GiB
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 1 * MiB
    max_members: int = 10_000
    max_hdf5_objects: int = 200_000
    max_layers: int = 20_000
    max_json_depth: int = 200
    max_nested_models: int = 32


DEFAULT_LIMITS = ImportLimits()


@dataclass
class ModelFile:
    """What was read from a model file: the checked-for-size config, metadata, weights."""

    kind: Literal["keras", "h5"]
    path: Path
    config: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    weights_path: Path | None = None
    training: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


def _size_text(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def check_file(path: Path, limits: ImportLimits) -> int:
    """The size of ``path``; a located :class:`ModelImportError` if it cannot be read."""
    try:
        if path.is_dir():
            raise ModelImportError(
                f"{path}: is a folder; import takes a .keras or .h5 file "
                "(a SavedModel folder cannot be imported safely)"
            )
        size = path.stat().st_size
    except FileNotFoundError:
        raise ModelImportError(f"{path}: no such file") from None
    except OSError as exc:
        raise ModelImportError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if size > limits.max_file_bytes:
        raise UnsafeModelError(
            f"{path.name}: {_size_text(size)} is larger than the import "
            f"limit of {_size_text(limits.max_file_bytes)}"
        )
    return size


def parse_config_json(raw: bytes | str, where: str, limits: ImportLimits) -> Any:
    """Parse JSON text from a model file; too deep or malformed input gets a clear message."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ModelImportError(f"{where}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise UnsafeModelError(f"{where}: the JSON is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ModelImportError(
            f"{where}: line {exc.lineno}, column {exc.colno}: {exc.msg} "
            "(the file is damaged or not a Keras model)"
        ) from None
    if json_depth(data) > limits.max_json_depth:
        raise UnsafeModelError(
            f"{where}: the JSON is nested more than {limits.max_json_depth} levels deep"
        )
    return data


def json_depth(data: Any) -> int:
    """Nesting depth of parsed JSON, computed without recursion."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return deepest


# -- .keras archives --------------------------------------------------------------------------


def read_keras_archive(path: Path, limits: ImportLimits = DEFAULT_LIMITS) -> ModelFile:
    """Read ``config.json`` (and ``metadata.json``) of a ``.keras`` archive, nothing else."""
    with _open_zip(path, limits) as zf:
        members = _index_members(zf, path.name, limits)
        if CONFIG_MEMBER not in members:
            raise ModelImportError(f"{path.name}: not a Keras model archive (no {CONFIG_MEMBER})")
        raw = _read_member(zf, members[CONFIG_MEMBER], path.name, limits.max_config_bytes, limits)
        config = parse_config_json(raw, f"{path.name}/{CONFIG_MEMBER}", limits)
        if not isinstance(config, dict):
            raise ModelImportError(f"{path.name}/{CONFIG_MEMBER}: expected a JSON object")
        metadata: dict[str, Any] = {}
        if METADATA_MEMBER in members:
            meta = parse_config_json(
                _read_member(
                    zf, members[METADATA_MEMBER], path.name, limits.max_metadata_bytes, limits
                ),
                f"{path.name}/{METADATA_MEMBER}",
                limits,
            )
            if isinstance(meta, dict):
                metadata = {
                    k: v
                    for k, v in meta.items()
                    if isinstance(k, str) and isinstance(v, (str, int, float, bool))
                }
        compile_config = config.get("compile_config")
        result = ModelFile(
            "keras",
            path,
            config,
            metadata,
            training=compile_config if isinstance(compile_config, dict) else None,
        )
        if WEIGHTS_MEMBER not in members and NPZ_WEIGHTS_MEMBER not in members:
            result.notes.append(f"{path.name} holds no weights: the layers start untrained")
        return result


def extract_keras_weights(
    path: Path, workdir: Path, limits: ImportLimits = DEFAULT_LIMITS
) -> Path | None:
    """Copy ``model.weights.h5`` out of the archive (streamed, capped) and check it with
    :func:`check_hdf5`; ``None`` when the archive holds no weights."""
    with _open_zip(path, limits) as zf:
        members = _index_members(zf, path.name, limits)
        if WEIGHTS_MEMBER in members:
            target = workdir / WEIGHTS_MEMBER
            _copy_member(
                zf, members[WEIGHTS_MEMBER], path.name, target, limits.max_weights_bytes, limits
            )
            check_hdf5(target, f"{path.name}/{WEIGHTS_MEMBER}", limits)
            return target
        if NPZ_WEIGHTS_MEMBER in members:
            raise ModelImportError(
                f"{path.name}: its weights are stored as {NPZ_WEIGHTS_MEMBER}, which NN Studio "
                "does not read; save the model again with Keras' default (.h5) weights format, "
                "or import it without weights"
            )
    return None


def _open_zip(path: Path, limits: ImportLimits) -> zipfile.ZipFile:
    check_file(path, limits)
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ModelImportError(
            f"{path.name}: not a .keras archive (it is not a zip file)"
        ) from None
    except OSError as exc:
        raise ModelImportError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def _index_members(
    zf: zipfile.ZipFile, name: str, limits: ImportLimits
) -> dict[str, zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise UnsafeModelError(
            f"{name}: the archive has {len(infos)} members (limit {limits.max_members})"
        )
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if info.filename in members:
            raise UnsafeModelError(
                f"{name}: the archive holds two members called "
                f"{info.filename!r}; it is ambiguous which one counts"
            )
        members[info.filename] = info
    return members


def _check_member(info: zipfile.ZipInfo, archive: str, cap: int, limits: ImportLimits) -> None:
    where = f"{archive}/{info.filename}"
    if info.flag_bits & 0x1:
        raise UnsafeModelError(f"{where}: the member is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ModelImportError(f"{where}: unsupported compression method {info.compress_type}")
    if info.file_size > cap:
        raise UnsafeModelError(
            f"{where}: declares {_size_text(info.file_size)}, more than the "
            f"limit of {_size_text(cap)}"
        )
    if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
        info.compress_size, 1
    ):
        raise UnsafeModelError(
            f"{where}: inflates from {_size_text(info.compress_size)} to "
            f"{_size_text(info.file_size)} (more than {limits.max_ratio:.0f}x): "
            "refused as a decompression bomb"
        )


def _member_chunks(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, archive: str, cap: int, limits: ImportLimits
) -> Iterator[bytes]:
    _check_member(info, archive, cap, limits)
    where = f"{archive}/{info.filename}"
    total = 0
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > cap:
                    raise UnsafeModelError(f"{where}: inflates past the limit of {_size_text(cap)}")
                yield chunk
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, ModelImportError):
            raise
        raise ModelImportError(f"{where}: the archive is damaged ({exc})") from None


def _read_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, archive: str, cap: int, limits: ImportLimits
) -> bytes:
    return b"".join(_member_chunks(zf, info, archive, cap, limits))


def _copy_member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    archive: str,
    target: Path,
    cap: int,
    limits: ImportLimits,
) -> None:
    with open(target, "wb") as out:
        for chunk in _member_chunks(zf, info, archive, cap, limits):
            out.write(chunk)


# -- HDF5 ---------------------------------------------------------------------------------


def check_hdf5(path: Path, where: str, limits: ImportLimits = DEFAULT_LIMITS) -> None:
    """Refuse an HDF5 file that could read other files or expand in memory.

    Walks every link without following it; refuses external and soft links, virtual
    datasets, datasets with external storage, non-numeric datasets, datasets declaring more
    than ``max_array_bytes``, more than ``max_weights_bytes`` in all, or far more than they
    store (a fill-value or compression bomb).
    """
    import h5py

    try:
        if not h5py.is_hdf5(str(path)):
            raise ModelImportError(f"{where}: not an HDF5 file")
        f = h5py.File(str(path), "r")
    except ModelImportError:
        raise
    except OSError as exc:
        raise ModelImportError(f"{where}: cannot open it as HDF5 ({exc})") from None
    problems: list[str] = []
    with f:
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
        if total > limits.max_weights_bytes:
            problems.append(
                f"the datasets declare {_size_text(total)} in all, more than the "
                f"limit of {_size_text(limits.max_weights_bytes)}"
            )
    if problems:
        raise UnsafeModelError(f"{where}: refused before reading any weights:", problems)


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
            f"{full}: declares shape {shape} ({_size_text(declared)}), more than "
            f"the limit of {_size_text(limits.max_array_bytes)} per array"
        )
        return declared
    stored = ds.id.get_storage_size()
    if declared > limits.ratio_floor_bytes and declared > limits.max_ratio * max(stored, 1):
        problems.append(
            f"{full}: declares {_size_text(declared)} but stores "
            f"{_size_text(stored)}: refused as an expansion bomb"
        )
    return declared


def read_h5_model(path: Path, limits: ImportLimits = DEFAULT_LIMITS) -> ModelFile:
    """Check a legacy ``.h5`` model file and read its ``model_config`` attribute."""
    import h5py

    check_file(path, limits)
    check_hdf5(path, path.name, limits)
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
                f"{path.name}: model_config is larger than {_size_text(limits.max_config_bytes)}"
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

    with h5py.File(str(source), "r") as src, h5py.File(str(target), "w") as dst:
        dst.attrs["model_config"] = json.dumps(config)
        for key, value in metadata.items():
            dst.attrs[key] = str(value)
        src.copy(src["model_weights"], dst, name="model_weights")
