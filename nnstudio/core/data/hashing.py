"""Content hashes: sha256 of files; for folders, of the listing (names, sizes, mtimes)."""

from __future__ import annotations

import hashlib
import os

from nnstudio.core.data.progress import TaskState

_CHUNK = 1 << 20


#: files larger than this are hashed by their size and sampled blocks, not in full
HASH_CAP = 8 << 30
_SAMPLES = 64


def file_sha256(path: str, state: TaskState | None = None, cap: int = HASH_CAP) -> str:
    """Hex sha256 of a file's bytes, read in chunks with progress (and checks
    for cancelling). A file over ``cap`` bytes is hashed by its size and
    :data:`_SAMPLES` evenly spaced 1 MiB blocks (head and tail included)."""
    h = hashlib.sha256()
    total = os.path.getsize(path)
    done = 0
    with open(path, "rb") as fh:
        if total > cap:
            h.update(f"sampled:{total}\n".encode())
            for i in range(_SAMPLES):
                fh.seek((total - _CHUNK) * i // (_SAMPLES - 1))
                h.update(fh.read(_CHUNK))
                if state is not None:
                    state.report(i + 1, _SAMPLES)
            return h.hexdigest()
        while chunk := fh.read(_CHUNK * 8):
            h.update(chunk)
            done += len(chunk)
            if state is not None:
                state.report(done, total)
    return h.hexdigest()


def folder_listing(root: str) -> list[tuple[str, int, int]]:
    """Every file under ``root`` as ``(relative path, size, mtime_ns)``, sorted."""
    out: list[tuple[str, int, int]] = []

    def walk(folder: str, rel: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            name = f"{rel}/{entry.name}" if rel else entry.name
            try:
                if entry.is_dir(follow_symlinks=True):
                    walk(entry.path, name)
                elif entry.is_file(follow_symlinks=True):
                    st = entry.stat(follow_symlinks=True)
                    out.append((name, st.st_size, st.st_mtime_ns))
            except OSError:
                continue

    walk(root, "")
    return out


def listing_sha256(listing: list[tuple[str, int, int]]) -> str:
    h = hashlib.sha256()
    for name, size, mtime in listing:
        h.update(f"{name}\0{size}\0{mtime}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def path_hash(path: str) -> str:
    """``sha256:`` of a file's bytes, or ``listing-sha256:`` of a folder's listing."""
    if os.path.isdir(path):
        return "listing-sha256:" + listing_sha256(folder_listing(path))
    return "sha256:" + file_sha256(path)


def content_hash(config: object) -> str:
    """The content hash of every path a :class:`DataConfig` reads.

    One path: its own hash. Several (targets file, validation source): the
    hashes joined with ``+`` in :meth:`DataConfig.all_paths` order.
    """
    paths = config.all_paths()  # type: ignore[attr-defined]
    return "+".join(path_hash(p) for p in paths)
