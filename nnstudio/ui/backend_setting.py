"""The window's Keras backend setting: Model > Keras Backend, applied at the next start.

Keras fixes its backend once per process, when it is first imported, and the window loads
it at start (:mod:`nnstudio.ui.engine`).  So a choice made here is saved and takes effect
the next time NN Studio starts; the menu says which backend is in use and which one is
waiting for a restart.  ``KERAS_BACKEND`` in the environment wins over the saved choice
(the command line and scripts keep working as Keras documents it).
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QWidget

from nnstudio.core import backend as bk

SETTINGS_KEY = "engine/backend"
TITLES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
#: what the engine imports for each backend, besides NumPy and Keras
PACKAGES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def saved_backend() -> str | None:
    """The backend chosen in the window (``None``: never chosen, or not a known one)."""
    value = QSettings().value(SETTINGS_KEY)
    return value if isinstance(value, str) and value in bk.BACKENDS else None


def save_backend(name: str) -> None:
    """Remember ``name`` for the next start."""
    QSettings().setValue(SETTINGS_KEY, name)


def apply_saved_backend() -> str:
    """Before Keras loads: use the saved backend unless ``KERAS_BACKEND`` is set or its
    package is missing.  Returns the backend this process will run."""
    saved = saved_backend()
    free = not os.environ.get("KERAS_BACKEND") and "keras" not in sys.modules
    if saved and free and bk.is_installed(saved):
        os.environ["KERAS_BACKEND"] = saved
    return bk.current_backend()


def engine_modules(backend: str | None = None) -> tuple[str, ...]:
    """The modules the engine loads for ``backend`` (default: this process's)."""
    name = backend or bk.current_backend()
    return ("numpy", PACKAGES.get(name, "tensorflow"), "keras")


def backend_title(name: str | None = None) -> str:
    """The display name of ``name`` (default: the backend this process runs)."""
    name = name or bk.current_backend()
    return TITLES.get(name, name)


def pending_backend() -> str | None:
    """A saved choice that differs from the backend in use (waits for the next start)."""
    saved = saved_backend()
    return saved if saved and saved != bk.current_backend() else None


class BackendMenu(QMenu):
    """Model > Keras Backend: one checkable entry per backend, a note on when it applies."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Keras &Backend", parent)
        self.setToolTipsVisible(True)
        self.group = QActionGroup(self)
        self.actions_by_name: dict[str, QAction] = {}
        for name in bk.BACKENDS:
            act = QAction(TITLES[name], self, checkable=True)
            act.triggered.connect(lambda _=False, n=name: self.choose(n))
            self.group.addAction(act)
            self.addAction(act)
            self.actions_by_name[name] = act
        self.addSeparator()
        self.note = QAction("", self)
        self.note.setEnabled(False)
        self.addAction(self.note)
        self.aboutToShow.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Label each entry: in use, at the next start, or not installed."""
        current, pending = bk.current_backend(), pending_backend()
        for name, act in self.actions_by_name.items():
            installed = bk.is_installed(name)
            label = TITLES[name]
            if name == current:
                label += "  (in use)"
            elif name == pending:
                label += "  (at next start)"
            elif not installed:
                label += "  (not installed)"
            act.setText(label)
            act.setEnabled(installed)
            act.setToolTip(
                f"pip install {bk.BACKEND_PACKAGES[name]}" if not installed else label.strip()
            )
            act.setChecked(name == (pending or current))
        forced = os.environ.get("KERAS_BACKEND")
        if forced:
            self.note.setText(f"KERAS_BACKEND={forced} is set: it wins at start")
        else:
            self.note.setText("A change takes effect at the next start")

    def choose(self, name: str) -> str:
        """Save ``name`` for the next start; the message the window shows."""
        save_backend(name)
        self.refresh()
        if name == bk.current_backend():
            return f"Keras runs on {TITLES[name]}"
        message = (
            f"Keras will run on {TITLES[name]} from the next start of NN Studio "
            f"(this session keeps {TITLES[bk.current_backend()]}: Keras loads once per process)"
        )
        window = self.parent()
        show = getattr(window, "show_message", None)
        if callable(show):
            show(message, 10000)
        return message
