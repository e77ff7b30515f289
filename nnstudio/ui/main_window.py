"""The main window (kept for importers): the shell is :mod:`nnstudio.ui.shell`, the document
side :mod:`nnstudio.ui.document`, the workspaces :mod:`nnstudio.ui.workspaces`."""

from nnstudio.ui.document import APP_TITLE, MAX_RECENT
from nnstudio.ui.shell import PLUGIN_MODULES, STATE_VERSION, MainWindow

__all__ = ["APP_TITLE", "MAX_RECENT", "PLUGIN_MODULES", "STATE_VERSION", "MainWindow"]
