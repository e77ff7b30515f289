"""Reading ``.keras`` zip archives defensively.

Nothing here runs Keras.  A ``.keras`` archive is opened with :mod:`zipfile`; only the
members NN Studio needs are read.  Each member's declared size and compression ratio are
checked before it is opened, and again while it inflates (by the bytes inflated against the
compressed bytes consumed), so a bomb is refused before anything is written and a member
that lies about its sizes stops at its cap.  A damaged deflate stream, CRC or header is a
:class:`ModelImportError` naming the member.  HDF5 checks live in :mod:`.hdf5`.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nnstudio.core.interop.errors import ModelImportError, UnsafeModelError
from nnstudio.core.interop.hdf5 import check_hdf5, read_h5_model, write_clean_h5
from nnstudio.core.interop.limits import (
    DEFAULT_LIMITS,
    GiB,
    ImportLimits,
    MiB,
    ModelFile,
    check_file,
    json_depth,
    parse_config_json,
    size_text,
)

__all__ = [
    "CONFIG_MEMBER",
    "DEFAULT_LIMITS",
    "GiB",
    "ImportLimits",
    "MiB",
    "ModelFile",
    "check_file",
    "check_hdf5",
    "check_keras_archive",
    "extract_keras_weights",
    "json_depth",
    "parse_config_json",
    "read_h5_model",
    "read_keras_archive",
    "write_clean_h5",
]

CONFIG_MEMBER = "config.json"
METADATA_MEMBER = "metadata.json"
WEIGHTS_MEMBER = "model.weights.h5"
NPZ_WEIGHTS_MEMBER = "model.weights.npz"
_CHUNK = 256 << 10
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)


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
            info = members[METADATA_MEMBER]
            raw = _read_member(zf, info, path.name, limits.max_metadata_bytes, limits)
            meta = parse_config_json(raw, f"{path.name}/{METADATA_MEMBER}", limits)
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


def check_keras_archive(path: Path, limits: ImportLimits = DEFAULT_LIMITS) -> ModelFile:
    """:func:`read_keras_archive`, and every member's declared sizes checked against the caps
    (for callers such as ``predict`` that then let Keras inflate the archive itself)."""
    result = read_keras_archive(path, limits)
    with _open_zip(path, limits) as zf:
        for info in zf.infolist():
            _check_member(info, path.name, limits.max_weights_bytes, limits)
    return result


def extract_keras_weights(
    path: Path,
    workdir: Path,
    limits: ImportLimits = DEFAULT_LIMITS,
    max_bytes: int | None = None,
    why: str | None = None,
) -> Path | None:
    """Copy ``model.weights.h5`` out of the archive (streamed, capped) and check it with
    :func:`check_hdf5`; ``None`` when the archive holds no weights.

    ``max_bytes`` (for instance proportional to the parameters the config declares) lowers
    the cap of ``limits.max_weights_bytes``; both the declared size and the bytes inflated
    are held to it, and nothing is written for a member refused by its declared sizes.
    ``why`` explains that cap in the refusal.
    """
    cap = (
        limits.max_weights_bytes if max_bytes is None else min(max_bytes, limits.max_weights_bytes)
    )
    with _open_zip(path, limits) as zf:
        members = _index_members(zf, path.name, limits)
        if WEIGHTS_MEMBER in members:
            target = workdir / WEIGHTS_MEMBER
            info = members[WEIGHTS_MEMBER]
            if why and info.file_size > cap:
                raise UnsafeModelError(
                    f"{path.name}/{WEIGHTS_MEMBER}: declares {size_text(info.file_size)}, "
                    f"more than {size_text(cap)} ({why})"
                )
            _copy_member(zf, info, path.name, target, cap, limits)
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
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError):
        raise ModelImportError(
            f"{path.name}: not a .keras archive (it is not a zip file, or its index is damaged)"
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


def _too_inflated(inflated: int, compressed: int, limits: ImportLimits) -> bool:
    return inflated > limits.ratio_floor_bytes and inflated > limits.max_ratio * max(compressed, 1)


def _check_member(info: zipfile.ZipInfo, archive: str, cap: int, limits: ImportLimits) -> None:
    """Refuse a member by what its header declares, before a byte of it is inflated."""
    where = f"{archive}/{info.filename}"
    if info.flag_bits & 0x1:
        raise UnsafeModelError(f"{where}: the member is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ModelImportError(f"{where}: unsupported compression method {info.compress_type}")
    if info.file_size > cap:
        raise UnsafeModelError(
            f"{where}: declares {size_text(info.file_size)}, more than the "
            f"limit of {size_text(cap)}"
        )
    if _too_inflated(info.file_size, info.compress_size, limits):
        raise UnsafeModelError(_bomb_text(where, info.compress_size, info.file_size, limits))


def _bomb_text(where: str, compressed: int, inflated: int, limits: ImportLimits) -> str:
    return (
        f"{where}: inflates from {size_text(compressed)} to {size_text(inflated)} (more "
        f"than {limits.max_ratio:.0f}x): refused as a decompression bomb"
    )


def _member_chunks(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, archive: str, cap: int, limits: ImportLimits
) -> Iterator[bytes]:
    """The member's bytes, chunk by chunk, each checked against the cap and the ratio."""
    _check_member(info, archive, cap, limits)
    where = f"{archive}/{info.filename}"
    total = 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                total += len(chunk)
                if total > cap:
                    raise UnsafeModelError(f"{where}: inflates past the limit of {size_text(cap)}")
                consumed = info.compress_size - int(getattr(fh, "_compress_left", 0) or 0)
                if _too_inflated(total, consumed, limits):
                    raise UnsafeModelError(_bomb_text(where, consumed, total, limits))
                yield chunk
    except ModelImportError:
        raise
    except _ZIP_ERRORS as exc:
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
    """Stream the member into ``target``; on any refusal ``target`` is removed."""
    chunks = _member_chunks(zf, info, archive, cap, limits)
    first = next(chunks, b"")  # the declared sizes are checked before the file is created
    try:
        with open(target, "wb") as out:
            out.write(first)
            for chunk in chunks:
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
