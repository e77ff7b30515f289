"""Atomic writes: a temporary file in the target's folder, flushed, fsynced, then replaced.

A write that fails at any point leaves the previous file (or folder) byte-identical.

Temporaries.  A write to ``folder/name`` goes through ``folder/.name.XXXXXXXX<suffix>`` (a
hidden file; ``XXXXXXXX`` is eight characters of ``[a-z0-9_]``, ``<suffix>`` the target's own
suffix, ``.tmp`` or the caller's); :func:`atomic_dir` uses ``.name.XXXXXXXX.tmp`` for the new
folder and ``.name.XXXXXXXX.old`` for the one it replaces.  A process killed mid-write can
leave one behind.  Each write therefore removes the stale temporaries of its own target
(:func:`remove_stale_temporaries`), and :func:`clean_stale_temporaries` sweeps a whole folder
(the app calls it on the recovery folder at start).  Only names of exactly this form are
touched, only when older than :data:`STALE_AFTER_S` seconds, and (where the system can tell,
on Linux) never while a live process holds them open.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

STALE_AFTER_S = 300.0
_RANDOM = re.compile(r"[a-z0-9_]{8}")
_OWN_SUFFIXES = (".tmp", ".old")


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (``OSError`` on failure, old file kept)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary file path beside ``path``; on success it replaces ``path``.

    The caller writes the temporary file (e.g. ``model.save(tmp)``).  If the block raises,
    the temporary file is removed and ``path`` is untouched.  ``suffix`` defaults to the
    target's own (Keras checks the ``.keras`` extension).
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if suffix is None:
        suffix = target.suffix or ".tmp"
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=folder)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if target.exists():
            with contextlib.suppress(OSError):
                shutil.copymode(target, tmp)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        _fsync_dir(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    remove_stale_temporaries(target)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it takes the place of ``path``.

    An existing folder at ``path`` is moved aside first and deleted only once the new one is
    in place; if the swap fails it is moved back.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    backup: Path | None = None
    try:
        if target.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=folder))
            backup.rmdir()
            os.replace(target, backup)
        os.replace(tmp, target)
        _fsync_dir(folder)
    except BaseException:
        if backup is not None and not target.exists():
            os.replace(backup, target)
            backup = None
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
    remove_stale_temporaries(target)


# -- stale temporaries ------------------------------------------------------------------------


def is_temporary_name(name: str, target_name: str | None = None) -> bool:
    """Whether ``name`` is one of our temporaries (of ``target_name`` if given): ``.`` +
    target + ``.`` + eight random characters + a suffix that is ``.tmp``, ``.old`` or the
    target's own ending."""
    if not name.startswith(".") or len(name) > 255:
        return False
    dot = name.find(".", 1)
    while dot != -1:
        target, rest = name[1:dot], name[dot + 1 :]
        if (
            target
            and (target_name is None or target == target_name)
            and len(rest) > 9
            and _RANDOM.fullmatch(rest[:8])
            and rest[8] == "."
        ):
            suffix = rest[8:]
            if suffix in _OWN_SUFFIXES or (len(suffix) > 1 and target.endswith(suffix)):
                return True
        dot = name.find(".", dot + 1)
    return False


def stale_temporaries(
    folder: str | os.PathLike[str],
    target_name: str | None = None,
    min_age_s: float = STALE_AFTER_S,
) -> list[Path]:
    """Our temporaries in ``folder`` (of one target, or all) that no write can still own."""
    now = time.time()
    found: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        if not entry.name.startswith(".") or not is_temporary_name(entry.name, target_name):
            continue
        with contextlib.suppress(OSError):
            if now - entry.stat(follow_symlinks=False).st_mtime >= min_age_s:
                found.append(Path(entry.path))
    if found:
        held = _held_open(found)
        found = [p for p in found if os.path.realpath(p) not in held]
    return sorted(found)


def remove_stale_temporaries(
    target: str | os.PathLike[str], min_age_s: float = STALE_AFTER_S
) -> list[Path]:
    """Delete stale temporaries left beside ``target`` by killed writes; what was removed.

    Never raises: a temporary that cannot be removed is left for the next time.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    return _remove(stale_temporaries(folder, target.name, min_age_s))


def clean_stale_temporaries(
    folder: str | os.PathLike[str], min_age_s: float = STALE_AFTER_S
) -> list[Path]:
    """Delete every stale temporary of our naming in ``folder`` (e.g. the recovery folder at
    start); what was removed.  Never raises."""
    return _remove(stale_temporaries(folder, None, min_age_s))


def _remove(paths: Iterable[Path]) -> list[Path]:
    removed = []
    for path in paths:
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _held_open(paths: list[Path]) -> set[str]:
    """Real paths among ``paths`` that some live process has open (Linux ``/proc``; elsewhere
    nothing is known and the age rule alone decides)."""
    wanted = {os.path.realpath(p) for p in paths}
    held: set[str] = set()
    proc = Path("/proc")
    if not proc.is_dir():
        return held
    with contextlib.suppress(OSError):
        for pid in os.listdir(proc):
            if not pid.isdigit():
                continue
            try:
                fds = os.listdir(proc / pid / "fd")
            except OSError:
                continue
            for fd in fds:
                with contextlib.suppress(OSError):
                    link = os.readlink(proc / pid / "fd" / fd)
                    if link in wanted or any(link.startswith(w + os.sep) for w in wanted):
                        held.add(link if link in wanted else _owner(link, wanted))
    return held


def _owner(link: str, wanted: set[str]) -> str:
    return next(w for w in wanted if link.startswith(w + os.sep))
