"""Image files for the data-quality scan: a content hash and a perceptual hash per file,
and the pairs whose perceptual hashes are within a Hamming distance.

Each file is read once (sha256 of its bytes, then decoded from memory into the 32x32
greyscale copy a perceptual hash starts from), in threads; a file that cannot be read or
decoded is counted, never fatal. The perceptual hashes are ``imagehash.phash``'s, computed
for all images at once (one batched DCT). The pair search compares
64-bit hashes in blocks with numpy's popcount: no Python loop over pairs.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from nnstudio.core.data.progress import TaskState

#: perceptual hashes at most this many bits apart are candidate near duplicates (of 64)
NEAR_BITS = 8
#: ... confirmed when their 32x32 greyscale copies correlate at least this much (brightness,
#: contrast, re-encoding and resizing keep it above 0.99; different small glyphs whose
#: hashes are close, such as the sample digits, stay under 0.97)
MIN_CORRELATION = 0.98
#: the near-duplicate search compares every pair of at most this many images
NEAR_LIMIT = 20_000
_BLOCK_ELEMENTS = 4_000_000
_SIDE = 32  # phash: a DCT of a 32x32 copy, its 8x8 lowest frequencies


@dataclass
class ImageKeys:
    """Per file: the first 64 bits of its sha256 and its 64-bit perceptual hash;
    ``ok`` is False for files that could not be read (or were not reached in time)."""

    sha: np.ndarray
    phash: np.ndarray
    ok: np.ndarray
    thumbs: np.ndarray | None = None
    unreadable: int = 0
    reached: int = 0


def file_hashes(path: str) -> tuple[int, np.ndarray] | None:
    """``(sha256 prefix as an unsigned 64-bit int, 32x32 greyscale thumbnail)`` of one
    image file; ``None`` when the file cannot be read or decoded (whatever the damage)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        digest = int.from_bytes(hashlib.sha256(data).digest()[:8], "little")
        return digest, _thumbnail(io.BytesIO(data))
    except Exception:  # a damaged file of any kind is counted by the caller, not raised
        return None


def _thumbnail(source: object) -> np.ndarray:
    """The 32x32 greyscale copy ``imagehash.phash`` starts from (Lanczos resampling)."""
    from PIL import Image

    with Image.open(source) as im:  # type: ignore[arg-type]
        im.draft("L", (2 * _SIDE, 2 * _SIDE))  # JPEG: decode at a reduced scale (faster)
        grey = im.convert("L")
    return np.asarray(grey.resize((_SIDE, _SIDE), Image.Resampling.LANCZOS), dtype=np.uint8)


def _dct_rows() -> np.ndarray:
    """The first 8 rows of the (unnormalised) DCT-II matrix of size 32, as scipy's
    ``fftpack.dct`` computes it."""
    k = np.arange(8)[:, None]
    n = np.arange(_SIDE)[None, :]
    return 2.0 * np.cos(np.pi * k * (2 * n + 1) / (2 * _SIDE))


def phashes(thumbnails: np.ndarray) -> np.ndarray:
    """``imagehash.phash`` of a stack of 32x32 thumbnails at once, as unsigned 64-bit ints
    (bit order as ``int(str(imagehash.phash(im)), 16)``)."""
    d = _dct_rows()
    low = np.einsum("ij,bjk,lk->bil", d, thumbnails.astype(np.float64), d, optimize=True)
    flat = low.reshape(len(low), 64)
    bits = flat > np.median(flat, axis=1, keepdims=True)
    packed = np.packbits(bits, axis=1)  # 8 bytes per image, most significant bit first
    return packed.view(">u8").reshape(-1).astype(np.uint64)


def perceptual_hash(source: object) -> int:
    """The perceptual hash of one image file or file-like object (see :func:`phashes`)."""
    return int(phashes(_thumbnail(source)[None])[0])


def hash_files(
    paths: list[str], state: TaskState, deadline: float, workers: int | None = None
) -> ImageKeys:
    """Hash every file (threads, progress, cancel); stops at ``deadline`` (monotonic)."""
    n = len(paths)
    sha = np.zeros(n, np.uint64)
    phash = np.zeros(n, np.uint64)
    ok = np.zeros(n, bool)
    thumbs = np.zeros((n, _SIDE, _SIDE), np.uint8)
    keys = ImageKeys(sha, phash, ok, thumbs)
    if not n:
        return keys
    state.report(0, n, "checking duplicates", force=True)
    pool = ThreadPoolExecutor(
        max_workers=workers or min(8, (os.cpu_count() or 2) + 2),
        thread_name_prefix="nnstudio-quality",
    )
    try:
        for i, result in enumerate(pool.map(file_hashes, paths)):
            keys.reached = i + 1
            if result is None:
                keys.unreadable += 1
            else:
                sha[i], thumbs[i] = result
                ok[i] = True
            state.report(i + 1, n, "checking duplicates")
            if time.monotonic() > deadline:
                break
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for start in range(0, n, 4096):
        phash[start : start + 4096] = phashes(thumbs[start : start + 4096])
    return keys


def near_pairs(
    hashes: np.ndarray, max_bits: int, state: TaskState, deadline: float
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Index pairs ``(i, j)``, ``i < j``, whose hashes differ in at most ``max_bits``
    bits; the last value is False when the deadline stopped the search early."""
    h = np.ascontiguousarray(hashes, dtype=np.uint64)
    n = len(h)
    block = max(1, _BLOCK_ELEMENTS // max(n, 1))
    lefts: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    for start in range(0, n, block):
        state.check()
        if time.monotonic() > deadline:
            return _joined(lefts), _joined(rights), False
        rows = h[start : start + block]
        dist = np.bitwise_count(rows[:, None] ^ h[None, start:])
        i, j = np.nonzero(dist <= max_bits)
        keep = j > i  # j counts from ``start``: the upper triangle without the diagonal
        lefts.append(i[keep] + start)
        rights.append(j[keep] + start)
    return _joined(lefts), _joined(rights), True


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)


def confirmed(
    thumbs: np.ndarray, left: np.ndarray, right: np.ndarray, min_corr: float = MIN_CORRELATION
) -> np.ndarray:
    """Which candidate pairs are near duplicates: their thumbnails' correlation is at least
    ``min_corr`` (two flat images: their grey levels within 8 of each other)."""
    flat = thumbs.reshape(len(thumbs), -1).astype(np.float32)
    mean = flat.mean(axis=1)
    std = flat.std(axis=1)
    keep = np.zeros(len(left), bool)
    step = 8192
    for start in range(0, len(left), step):
        i, j = left[start : start + step], right[start : start + step]
        a = (flat[i] - mean[i, None]) / np.maximum(std[i, None], 1e-6)
        b = (flat[j] - mean[j, None]) / np.maximum(std[j, None], 1e-6)
        corr = (a * b).mean(axis=1)
        both_flat = (std[i] < 1e-3) & (std[j] < 1e-3)
        close = np.abs(mean[i] - mean[j]) <= 8
        keep[start : start + len(i)] = np.where(both_flat, close, corr >= min_corr)
    return keep
