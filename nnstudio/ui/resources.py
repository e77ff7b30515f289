"""Where the app finds its files: icons, example projects, the user's data folder.

Resources live in the ``resources/`` folder at the repository root (or beside a frozen
bundle); ``NNSTUDIO_RESOURCES`` overrides the location.  The user's data folder (autosave
recovery files) is Qt's app-local data location, or ``NNSTUDIO_DATA_DIR`` when set (tests).
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtGui import QIcon, QPixmap

from nnstudio.core.project import Project

RESOURCES_ENV = "NNSTUDIO_RESOURCES"
DATA_DIR_ENV = "NNSTUDIO_DATA_DIR"
EXAMPLE_FILE = "digits_cnn.nnstudio"

CATEGORY_ICONS: dict[str, str] = {
    "Input/Output": "category-io",
    "Core": "category-core",
    "Normalization": "category-normalization",
    "Convolution": "category-convolution",
    "Pooling": "category-pooling",
    "Reshaping": "category-reshaping",
    "Recurrent": "category-recurrent",
    "Text & sequence": "category-sequence",
    "Merge": "category-merge",
    "Preprocessing": "category-preprocessing",
    "Pretrained": "category-pretrained",
}


def resources_dir() -> Path:
    """The folder holding ``icons/``, ``templates/``, ``examples/`` and ``samples/``."""
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    checkout = Path(__file__).resolve().parents[2] / "resources"
    if checkout.is_dir():
        return checkout  # a source checkout or an editable install
    return Path(sys.prefix) / "share" / "nnstudio" / "resources"  # pip install .


def resource_path(*parts: str) -> Path:
    """A path inside :func:`resources_dir`."""
    return resources_dir().joinpath(*parts)


@cache
def icon(name: str) -> QIcon:
    """The SVG icon ``icons/<name>.svg`` (an empty icon if the file is missing)."""
    path = resource_path("icons", f"{name}.svg")
    return QIcon(str(path)) if path.is_file() else QIcon()


def category_icon(category: str) -> QIcon:
    """The icon of a catalog category."""
    return icon(CATEGORY_ICONS.get(category, "category-core"))


@cache
def category_pixmap(category: str, size: int) -> QPixmap:
    """The icon of a catalog category as a ``size`` px pixmap (one per category and size:
    thousands of nodes share it)."""
    return category_icon(category).pixmap(size, size)


def app_icon() -> QIcon:
    """The application icon."""
    return icon("app")


def user_data_dir() -> Path:
    """The user's data folder for NN Studio (created on demand by callers)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(location) if location else Path.home() / ".nnstudio"


def recovery_dir() -> Path:
    """Where autosaved recovery files are written."""
    return user_data_dir() / "recovery"


def example_project() -> Project:
    """The bundled example, as an untitled project (Save asks where to put the copy).

    Its data source, the sample digits folder, is stored in the file relative to it and
    resolved when it loads.
    """
    project = Project.load(resource_path("examples", EXAMPLE_FILE))
    project.path = None
    return project
