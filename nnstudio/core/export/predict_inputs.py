"""Reading the raw inputs of ``predict``: CSV, images, ``.npy`` and ``.npz``, per the card.

Every reader checks what it reads (the card's columns and shapes, declared array sizes, a
damaged NumPy header or zip member) and raises :class:`PredictError` naming the file.
"""

from __future__ import annotations

import csv
import io
import math
import tokenize
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.core.export.preprocessing import InputPreprocessing
from nnstudio.core.export.report import ExportError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
CHUNK = 256
MAX_ARRAY_BYTES = 2 * 1024**3
_NPZ_KEYS = ("x", "X", "features", "inputs", "data")
_PIL_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
_MODE_FOR_CHANNELS = {1: "grayscale", 3: "rgb", 4: "rgba"}
# What NumPy and zipfile raise for a damaged .npy/.npz (a header that is not a literal,
# a corrupt deflate stream, a truncated member).
_NUMPY_ERRORS = (
    ValueError,
    SyntaxError,
    tokenize.TokenError,
    EOFError,
    zlib.error,
    zipfile.BadZipFile,
    OSError,
    TypeError,
    OverflowError,
)


class PredictError(ExportError):
    """Inputs that do not fit the model (or cannot be read); one line, names the file."""


def read_inputs(
    card: Mapping[str, Any], preps: Mapping[str, InputPreprocessing], path: str | Path
) -> Iterator[tuple[list[str], dict[str, np.ndarray]]]:
    """Chunks of ``(labels, {input name: raw array})`` from a file or folder."""
    p = Path(path)
    if not p.exists():
        raise PredictError(f"{p}: no such file or folder")
    inputs = card["inputs"]
    if p.is_dir() or p.suffix.lower() in IMAGE_SUFFIXES:
        yield from _images(inputs, preps, p)
    elif p.suffix.lower() == ".npy":
        yield from _chunks(
            _check_arrays(inputs, {inputs[0]["name"]: _load_npy(p)}, p, single_ok=len(inputs) == 1)
        )
    elif p.suffix.lower() == ".npz":
        yield from _chunks(_check_arrays(inputs, _load_npz(inputs, p), p, single_ok=True))
    elif p.suffix.lower() in (".csv", ".tsv", ".txt"):
        yield from _chunks(_csv(inputs, preps, p))
    else:
        raise PredictError(
            f"{p.name}: unsupported input file (give a .csv, .npy, .npz, an "
            "image or a folder of images)"
        )


def _chunks(
    data: tuple[list[str], dict[str, np.ndarray]],
) -> Iterator[tuple[list[str], dict[str, np.ndarray]]]:
    labels, arrays = data
    for start in range(0, len(labels), CHUNK):
        yield (
            labels[start : start + CHUNK],
            {k: v[start : start + CHUNK] for k, v in arrays.items()},
        )


def _expected(entry: Mapping[str, Any]) -> list[int | None]:
    return list(entry["shape"][1:])


def _fits(shape: Sequence[int], expected: Sequence[int | None]) -> bool:
    return len(shape) == len(expected) and all(
        e is None or e == s for s, e in zip(shape, expected, strict=True)
    )


def _check_arrays(
    inputs: Sequence[Mapping[str, Any]],
    arrays: Mapping[str, np.ndarray],
    path: Path,
    single_ok: bool,
) -> tuple[list[str], dict[str, np.ndarray]]:
    if len(inputs) > 1 and len(arrays) < len(inputs):
        raise PredictError(
            f"{path.name}: the model has {len(inputs)} inputs "
            f"({', '.join(i['name'] for i in inputs)}); give an .npz with one "
            "array per input name"
        )
    out = {}
    n = None
    for entry in inputs:
        arr = arrays[entry["name"]]
        expected = _expected(entry)
        if single_ok and _fits(arr.shape, expected):
            arr = arr[None, ...]
        if not _fits(arr.shape[1:], expected):
            raise PredictError(
                f'{path.name}: input "{entry["name"]}" expects samples of shape '
                f"{_shape_text(expected)}, got an array of shape "
                f"{list(arr.shape)}"
            )
        if n is not None and len(arr) != n:
            raise PredictError(f"{path.name}: the arrays hold different numbers of samples")
        n = len(arr)
        out[entry["name"]] = _cast(arr, entry, path)
    return [f"#{i}" for i in range(n or 0)], out


def _shape_text(shape: Sequence[int | None]) -> str:
    return "[" + ", ".join("any" if d is None else str(d) for d in shape) + "]"


def _cast(arr: np.ndarray, entry: Mapping[str, Any], path: Path) -> np.ndarray:
    dtype = str(entry.get("dtype", "float32"))
    if arr.dtype.kind not in "biuf":
        raise PredictError(f"{path.name}: holds {arr.dtype} values; the model takes numbers")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise PredictError(f"{path.name}: contains NaN or infinite values")
    return arr.astype(dtype if dtype != "string" else "float32", copy=False)


def _load_npy(path: Path) -> np.ndarray:
    try:
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
    except _NUMPY_ERRORS as exc:
        raise PredictError(f"{path.name}: not a plain NumPy array ({_one_line(exc)})") from None
    if not isinstance(mapped, np.ndarray):
        raise PredictError(f"{path.name}: not a plain NumPy array")
    if mapped.nbytes > MAX_ARRAY_BYTES:
        raise PredictError(
            f"{path.name}: the array is {mapped.nbytes / 2**30:.1f} GiB, too "
            "large to predict in one go"
        )
    return np.array(mapped)


def _load_npz(inputs: Sequence[Mapping[str, Any]], path: Path) -> dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(path) as zf:
            members = {
                Path(m.filename).stem: m for m in zf.infolist() if m.filename.endswith(".npy")
            }
            names = [i["name"] for i in inputs]
            if len(names) == 1 and names[0] not in members:
                key = next((k for k in _NPZ_KEYS if k in members), None)
                if key is None and len(members) == 1:
                    key = next(iter(members))
                if key is None:
                    raise PredictError(
                        f"{path.name}: no array named {names[0]!r} (or x); it "
                        f"holds {sorted(members)}"
                    )
                members = {names[0]: members[key]}
            missing = [n for n in names if n not in members]
            if missing:
                raise PredictError(
                    f"{path.name}: no arrays for the inputs {missing}; it holds {sorted(members)}"
                )
            return {n: _read_member(zf, members[n], path) for n in names}
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError):
        raise PredictError(f"{path.name}: not a NumPy .npz archive") from None
    except OSError as exc:
        raise PredictError(f"{path.name}: cannot read it ({_one_line(exc)})") from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _read_member(zf: zipfile.ZipFile, member: zipfile.ZipInfo, path: Path) -> np.ndarray:
    with zf.open(member) as fh:
        try:
            version = np.lib.format.read_magic(fh)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(fh)
        except _NUMPY_ERRORS as exc:
            raise PredictError(
                f"{path.name}: {member.filename}: not a NumPy array ({_one_line(exc)})"
            ) from None
    declared = math.prod(int(d) for d in shape) * dtype.itemsize
    if (
        any(int(d) < 0 for d in shape)
        or declared > MAX_ARRAY_BYTES
        or declared > 64 * member.file_size + 2**20
    ):
        raise PredictError(
            f"{path.name}: {member.filename} declares {declared} bytes, more than the file can hold"
        )
    with zf.open(member) as fh:
        try:
            return np.lib.format.read_array(fh, allow_pickle=False)
        except _NUMPY_ERRORS as exc:
            raise PredictError(f"{path.name}: {member.filename}: {_one_line(exc)}") from None


def _csv(
    inputs: Sequence[Mapping[str, Any]], preps: Mapping[str, InputPreprocessing], path: Path
) -> tuple[list[str], dict[str, np.ndarray]]:
    if len(inputs) != 1:
        raise PredictError(
            f"{path.name}: a CSV feeds single-input models; this one has "
            f"{len(inputs)} inputs (give an .npz)"
        )
    entry = inputs[0]
    prep = preps.get(entry["name"])
    header, rows = _read_csv(path)
    columns = list(prep.columns) if prep is not None and prep.columns else None
    width = _expected(entry)[-1] if _expected(entry) else None
    if columns is None:
        if width is not None and len(header) != width:
            raise PredictError(
                f"{path.name}: the model takes {width} values per row, the file "
                f"has {len(header)} columns ({', '.join(header[:8])})"
            )
        columns = [{"name": h, "type": "numeric"} for h in header]
    index = {h: i for i, h in enumerate(header)}
    missing = [c["name"] for c in columns if c["name"] not in index]
    if missing:
        raise PredictError(
            f"{path.name}: missing column(s) {', '.join(missing)} (the model "
            f"takes {', '.join(c['name'] for c in columns)})"
        )
    blocks = [_encode_column(c, [r[index[c["name"]]] for r in rows], path) for c in columns]
    x = np.concatenate(blocks, axis=1) if blocks else np.empty((len(rows), 0), np.float32)
    if width is not None and x.shape[1] != width:
        raise PredictError(
            f"{path.name}: the columns encode to {x.shape[1]} values per row, "
            f"the model takes {width}"
        )
    return [f"row {i + 2}" for i in range(len(rows))], {entry["name"]: x}


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
    except OSError as exc:
        raise PredictError(f"{path.name}: cannot read it ({exc.strerror or exc})") from None
    sample = text[:65536]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    rows = [
        r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)
    ]
    if not rows:
        raise PredictError(f"{path.name}: the file is empty")
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    if not body:
        raise PredictError(f"{path.name}: no data rows below the header")
    for i, r in enumerate(body):
        if len(r) != len(header):
            raise PredictError(
                f"{path.name}, line {i + 2}: {len(r)} fields, the header has {len(header)}"
            )
    return header, body


def _encode_column(col: Mapping[str, Any], cells: list[str], path: Path) -> np.ndarray:
    name = col["name"]
    if col.get("type") == "categorical":
        vocab = [str(v) for v in col["vocabulary"]]
        index = {v: i for i, v in enumerate(vocab)}
        codes = []
        for i, cell in enumerate(cells):
            value = cell.strip()
            if value not in index:
                raise PredictError(
                    f'{path.name}, line {i + 2}, column "{name}": "{value}" was '
                    f"not seen in training (known: {', '.join(vocab[:10])})"
                )
            codes.append(index[value])
        if col.get("encoding") == "integer":
            return np.asarray(codes, np.float32)[:, None]
        out = np.zeros((len(cells), len(vocab)), np.float32)
        out[np.arange(len(cells)), codes] = 1.0
        return out
    values = np.empty((len(cells), 1), np.float32)
    for i, cell in enumerate(cells):
        try:
            values[i, 0] = float(cell)
        except ValueError:
            raise PredictError(
                f'{path.name}, line {i + 2}, column "{name}": "{cell}" is not a number'
            ) from None
        if not np.isfinite(values[i, 0]):
            raise PredictError(
                f'{path.name}, line {i + 2}, column "{name}": "{cell}" is not a finite number'
            )
    return values


def _images(
    inputs: Sequence[Mapping[str, Any]], preps: Mapping[str, InputPreprocessing], path: Path
) -> Iterator[tuple[list[str], dict[str, np.ndarray]]]:
    if len(inputs) != 1:
        raise PredictError(
            f"{path.name}: images feed single-input models; this one has {len(inputs)} inputs"
        )
    entry = inputs[0]
    expected = _expected(entry)
    if len(expected) != 3 or expected[-1] not in _MODE_FOR_CHANNELS:
        raise PredictError(
            f"{path.name}: the model takes inputs of shape {_shape_text(expected)}, not images"
        )
    prep = preps.get(entry["name"])
    size = tuple(entry.get("image_size") or (prep.image_size if prep else None) or expected[:2])
    if None in size:
        raise PredictError("the model card records no image size for this model")
    mode = entry.get("color_mode") or _MODE_FOR_CHANNELS[expected[-1]]
    if path.is_dir():
        files = sorted(
            f for f in path.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
        )
        if not files:
            raise PredictError(f"{path}: no image files ({', '.join(IMAGE_SUFFIXES)})")
    else:
        files = [path]
    for start in range(0, len(files), CHUNK):
        chunk = files[start : start + CHUNK]
        arrays = np.stack([_read_image(f, (int(size[0]), int(size[1])), mode) for f in chunk])
        labels = [str(f.relative_to(path)) if path.is_dir() else f.name for f in chunk]
        yield labels, {entry["name"]: arrays}


def _read_image(path: Path, size: tuple[int, int], mode: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            img = opened.convert(_PIL_MODES[mode])
            if img.size != (size[1], size[0]):
                img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            arr = np.asarray(img, dtype=np.float32)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise PredictError(f"{path}: cannot read the image ({exc})") from None
    return arr[..., None] if arr.ndim == 2 else arr
