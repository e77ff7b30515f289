"""Choosing data files and folders: the dialogs open at the folder used last (kept in
QSettings), the first time at the bundled samples (``resources/samples``)."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

from nnstudio.ui.resources import resource_path

LAST_FOLDER_KEY = "data/last_folder"
FILE_FILTER = "Data files (*.csv *.tsv *.txt *.npy *.npz);;All files (*)"
NUMPY_FILTER = "NumPy arrays (*.npy)"

__all__ = [
    "FILE_FILTER",
    "LAST_FOLDER_KEY",
    "NUMPY_FILTER",
    "choose_file",
    "choose_folder",
    "choose_source",
    "remember_folder",
    "start_folder",
]


def samples_folder() -> str:
    """The bundled sample data (where the dialogs open the first time)."""
    return str(resource_path("samples"))


def start_folder() -> str:
    """Where a data dialog opens: the folder used last if it still exists, else the samples."""
    last = QSettings().value(LAST_FOLDER_KEY)
    if isinstance(last, str) and last and os.path.isdir(last):
        return last
    samples = samples_folder()
    return samples if os.path.isdir(samples) else os.path.expanduser("~")


def remember_folder(path: str) -> None:
    """Remember the folder of a chosen file (a chosen folder's parent: where it was picked)."""
    folder = os.path.dirname(os.path.normpath(os.path.abspath(path)))
    if os.path.isdir(folder):
        QSettings().setValue(LAST_FOLDER_KEY, folder)


def choose_file(parent: QWidget | None, title: str, filter: str = FILE_FILTER) -> str | None:
    """An open-file dialog at :func:`start_folder`; the chosen path (remembered) or None."""
    path, _ = QFileDialog.getOpenFileName(parent, title, start_folder(), filter)
    if not path:
        return None
    remember_folder(path)
    return path


def choose_folder(parent: QWidget | None, title: str) -> str | None:
    """A folder dialog at :func:`start_folder`; the chosen folder (remembered) or None."""
    path = QFileDialog.getExistingDirectory(parent, title, start_folder())
    if not path:
        return None
    remember_folder(path)
    return path


def choose_source(parent: QWidget | None, kind: str | None, title: str) -> str | None:
    """A folder dialog for image data (``kind == "images"``), else a file dialog."""
    if kind == "images":
        return choose_folder(parent, title)
    return choose_file(parent, title)
