"""The source bar: what kind of data, its path (editable, completed over the file system)
and the File…/Folder… buttons.

``path_entered(str)`` is emitted when the user picks a file or folder, drops nothing here,
or presses Enter / leaves the field after editing the path.  A bad path is the panel's to
report; the field keeps what was typed.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QDir, Signal
from PySide6.QtWidgets import (
    QCompleter,
    QFileSystemModel,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from nnstudio.core.data.config import DataConfig
from nnstudio.ui.data.dialogs import choose_file, choose_folder

KIND_NAMES = {"csv": "CSV", "images": "Images", "numpy": "NumPy"}

__all__ = ["KIND_NAMES", "SourceBar"]


class SourceBar(QWidget):
    """Kind label, editable path with completion, File… and Folder… buttons."""

    path_entered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._shown = ""
        self.kind_label = QLabel("No data")
        self.kind_label.setMinimumWidth(60)
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("dataPath")
        self.path_edit.setPlaceholderText(
            "Type a path, choose or drop a CSV file, an image folder or a .npy/.npz"
        )
        self.path_edit.setClearButtonEnabled(True)
        self.completer: QCompleter | None = None
        self.path_edit.textEdited.connect(self._ensure_completer)
        self.path_edit.editingFinished.connect(self._edited)
        self.open_file_button = QPushButton("File…")
        self.open_file_button.setToolTip("Open a CSV/TSV file or a NumPy .npy/.npz file")
        self.open_folder_button = QPushButton("Folder…")
        self.open_folder_button.setToolTip("Open an image folder (one sub-folder per class)")
        self.open_file_button.clicked.connect(self._choose_file)
        self.open_folder_button.clicked.connect(self._choose_folder)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.kind_label)
        layout.addWidget(self.path_edit, 1)
        layout.addWidget(self.open_file_button)
        layout.addWidget(self.open_folder_button)

    def _ensure_completer(self, *_: object) -> QCompleter:
        """The file-system completer, made on the first keystroke (its model watches the
        disk on a thread of its own, so it is not started for a panel nobody types in)."""
        if self.completer is None:
            model = QFileSystemModel(self)
            model.setFilter(QDir.Filter.AllDirs | QDir.Filter.Files | QDir.Filter.NoDotAndDotDot)
            model.setRootPath("")
            self.completer = QCompleter(model, self)
            self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
            self.path_edit.setCompleter(self.completer)
            if self.path_edit.hasFocus():
                self.completer.setCompletionPrefix(self.path_edit.text())
        return self.completer

    def show_config(self, config: DataConfig | None) -> None:
        """Show ``config``'s kind and path (no signal)."""
        if config is None:
            self.kind_label.setText("No data")
            self._set_text("")
        else:
            self.kind_label.setText(KIND_NAMES[config.kind])
            self._set_text(config.path)

    def _set_text(self, path: str) -> None:
        self._shown = path
        self.path_edit.setText(path)
        self.path_edit.setToolTip(path)

    def _edited(self) -> None:
        text = self.path_edit.text().strip()
        if not text or text == self._shown:
            return
        self._shown = text  # reported once, not again on the next focus change
        self.path_entered.emit(os.path.expanduser(text))

    def _choose_file(self) -> None:
        path = choose_file(self, "Open a data file")
        if path:
            self.path_entered.emit(path)

    def _choose_folder(self) -> None:
        path = choose_folder(self, "Open an image folder (one sub-folder per class)")
        if path:
            self.path_entered.emit(path)
