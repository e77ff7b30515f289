"""The caps on what an imported model file may spend, and the checked JSON reader.

Shared by the ``.keras`` archive reader (:mod:`.archive`) and the HDF5 reader
(:mod:`.hdf5`); nothing here imports Keras or h5py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nnstudio.core.interop.errors import ModelImportError, UnsafeModelError

MiB = 1 << 20
GiB = 1 << 30

# Weights may be stored in float64 and a compiled model's file also holds the optimizer's
# slots (Adam: two per weight), so a weights file may hold several bytes per parameter.
BYTES_PER_PARAM = 4
PARAM_MARGIN = 6
WEIGHTS_OVERHEAD_BYTES = 1 * MiB
OVERHEAD_PER_LAYER_BYTES = 16 << 10


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


def weights_bound(params: int, layers: int) -> int:
    """The most bytes a weights file of a model with ``params`` parameters may hold."""
    return (
        BYTES_PER_PARAM * PARAM_MARGIN * max(params, 0)
        + WEIGHTS_OVERHEAD_BYTES
        + OVERHEAD_PER_LAYER_BYTES * max(layers, 0)
    )


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


def size_text(n: float) -> str:
    """``1536`` as ``1.5 KiB``."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"


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
            f"{path.name}: {size_text(size)} is larger than the import "
            f"limit of {size_text(limits.max_file_bytes)}"
        )
    return size


def parse_config_json(raw: bytes | str, where: str, limits: ImportLimits) -> Any:
    """Parse JSON text from a model file; malformed or too deep input (or an integer of
    thousands of digits) is a located :class:`ModelImportError`."""
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
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise ModelImportError(
            f"{where}: {str(exc).split(';')[0]} (the file is damaged or not a Keras model)"
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
