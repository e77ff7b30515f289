"""Autosave and crash recovery.

While a project has unsaved changes, it is written every minute and after every 20 edits to a
recovery file in the user's data folder (``<data>/recovery/<session>.nnstudio-recovery``),
atomically.  Each running session holds a ``QLockFile`` beside its recovery file; a clean
exit (or a save, or discarding the changes) removes the file.  At the next start a recovery
file whose lock is not held by a live process belongs to a session that crashed: the app
offers to restore it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLockFile, QObject, QTimer

from nnstudio.core.atomic import atomic_write_text, clean_stale_temporaries
from nnstudio.core.project import Project, ProjectError, parse_json

SUFFIX = ".nnstudio-recovery"
INTERVAL_MS = 60_000
EVERY_EDITS = 20
RECOVERY_VERSION = 1


@dataclass
class Recovery:
    """A recovery file left by a session that did not exit cleanly."""

    path: Path
    saved_at: str
    original_path: str | None
    name: str

    def load(self) -> Project:
        """The saved project (its ``path`` is the file it had been opened from, if any)."""
        data = _read(self.path)
        original = Path(self.original_path) if self.original_path else None
        base = original.parent if original is not None else None  # relative data paths
        project = Project.from_json(data.get("project"), self.path.name, base)
        project.path = original
        return project

    def discard(self) -> None:
        """Delete the recovery file and its stale lock."""
        for path in (self.path, _lock_path(self.path)):
            path.unlink(missing_ok=True)


def _lock_path(recovery: Path) -> Path:
    return recovery.with_suffix(".lock")


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{path.name}: cannot read the recovery file ({exc})") from None
    data = parse_json(text, path.name)
    if not isinstance(data, dict) or data.get("nnstudio_recovery") != RECOVERY_VERSION:
        raise ProjectError(f"{path.name}: not an NN Studio recovery file")
    return data


def find_recoveries(folder: Path) -> list[Recovery]:
    """Recovery files of sessions that are no longer running (newest first).

    A file whose lock is held by a running process (another open window) is left alone;
    unreadable files are skipped.
    """
    if not folder.is_dir():
        return []
    clean_stale_temporaries(folder)  # hidden temporaries of autosaves killed mid-write
    found = []
    for path in folder.glob(f"*{SUFFIX}"):
        lock = QLockFile(str(_lock_path(path)))
        lock.setStaleLockTime(0)
        if not lock.tryLock(0):
            continue  # a live session owns it
        lock.unlock()
        try:
            data = _read(path)
        except ProjectError:
            continue
        project = data.get("project") if isinstance(data.get("project"), dict) else {}
        found.append(
            Recovery(
                path,
                str(data.get("saved_at", "")),
                data.get("original_path") or None,
                str(project.get("name", "Untitled")),
            )
        )
    found.sort(key=lambda r: r.saved_at, reverse=True)
    return found


class Autosaver(QObject):
    """Writes the session's recovery file while there are unsaved changes.

    ``snapshot`` returns the project to save; ``is_dirty`` says whether there is anything
    unsaved.  Call :meth:`note_edit` after every edit, :meth:`clear` when the work is saved
    or discarded, :meth:`close` at exit.
    """

    def __init__(
        self,
        folder: Path,
        snapshot: Callable[[], Project],
        is_dirty: Callable[[], bool],
        interval_ms: int = INTERVAL_MS,
        every_edits: int = EVERY_EDITS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.snapshot = snapshot
        self.is_dirty = is_dirty
        self.every_edits = every_edits
        self.session = uuid.uuid4().hex[:12]
        self.path = folder / f"session-{self.session}{SUFFIX}"
        self.edits_since_save = 0
        self.last_error: str | None = None
        self.saves = 0
        self._lock: QLockFile | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.save_if_dirty)
        self._timer.start()

    def note_edit(self) -> None:
        """Count an edit; every ``every_edits`` edits the recovery file is written."""
        self.edits_since_save += 1
        if self.edits_since_save >= self.every_edits:
            self.save_if_dirty()

    def save_if_dirty(self) -> bool:
        """Write the recovery file if there are unsaved changes; True if written."""
        if not self.is_dirty():
            return False
        return self.save_now()

    def save_now(self) -> bool:
        """Write the recovery file now (atomically); False (and ``last_error``) on failure."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._ensure_lock()
            project = self.snapshot()
            payload = {
                "nnstudio_recovery": RECOVERY_VERSION,
                "saved_at": datetime.now().isoformat(timespec="seconds"),
                "saved_at_unix": time.time(),
                "original_path": str(project.path) if project.path else None,
                "project": project.to_json(),
            }
            atomic_write_text(self.path, json.dumps(payload, ensure_ascii=False, allow_nan=False))
        except (OSError, ValueError) as exc:
            self.last_error = f"autosave failed: {exc}"
            return False
        self.last_error = None
        self.edits_since_save = 0
        self.saves += 1
        return True

    def clear(self) -> None:
        """Forget the recovery file (the work was saved or deliberately discarded)."""
        self.edits_since_save = 0
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Clean exit: stop, remove the recovery file and release the lock."""
        self._timer.stop()
        self.clear()
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    def _ensure_lock(self) -> None:
        if self._lock is None:
            lock = QLockFile(str(_lock_path(self.path)))
            lock.setStaleLockTime(0)
            if lock.tryLock(0):
                self._lock = lock
