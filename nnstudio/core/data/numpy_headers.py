"""NumPy file headers: ``.npy`` and ``.npz`` members read and checked before any data.

The declared shape and dtype are checked against the file size; object arrays
(pickles) and sparse files are refused; damaged headers or archives become one
located :class:`DataError`.
"""

from __future__ import annotations

import ast
import os
import struct
import zipfile
from dataclasses import dataclass
from typing import IO

import numpy as np

from nnstudio.core.data.errors import DataError
from nnstudio.core.data.memory import format_bytes

NPY_MAGIC = b"\x93NUMPY"


ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


MAX_HEADER = 100_000


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


def safe_kind(path: str) -> str | None:
    try:
        return _file_kind(path, path)
    except DataError:
        return None


def check_info(info: ArrayInfo) -> None:
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
    check_info(info)
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
