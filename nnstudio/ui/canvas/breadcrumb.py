"""The breadcrumb bar above the canvas: where the canvas is in the block hierarchy.

``Model › stage2 › block1``: each crumb but the last is a button that goes back to that
level (``crumb_clicked(depth)``: 0 is the model).  The bar hides itself at the model's own
level, where there is nowhere to go back to.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

SEPARATOR = "›"


class BreadcrumbBar(QWidget):
    """A row of crumbs; ``set_path(["Model", "stage2", "block1"])`` shows them."""

    crumb_clicked = Signal(int)  # depth: 0 is the model, 1 the first block opened ...

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("breadcrumbBar")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(8, 3, 8, 3)
        self._layout.setSpacing(2)
        self.path: list[str] = []
        self.buttons: list[QToolButton] = []
        self.current: QLabel | None = None
        self.setVisible(False)

    def set_path(self, path: list[str]) -> None:
        """Show ``path`` (the model's name first); one crumb hides the bar."""
        self.path = list(path)
        while self._layout.count():
            item = self._layout.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        self.buttons = []
        self.current = None
        for depth, name in enumerate(self.path):
            if depth:
                sep = QLabel(SEPARATOR, self)
                self._layout.addWidget(sep)
            if depth < len(self.path) - 1:
                button = QToolButton(self)
                button.setText(name)
                button.setAutoRaise(True)
                button.setCursor(Qt.CursorShape.PointingHandCursor)
                button.setToolTip(f"Back to {name}")
                button.clicked.connect(lambda _=False, d=depth: self.crumb_clicked.emit(d))
                self._layout.addWidget(button)
                self.buttons.append(button)
            else:
                label = QLabel(f"<b>{_escape(name)}</b>", self)
                label.setTextFormat(Qt.TextFormat.RichText)
                self._layout.addWidget(label)
                self.current = label
        hint = QLabel("   Alt+Up: up one level", self)
        hint.setEnabled(False)
        self._layout.addWidget(hint)
        self._layout.addStretch(1)
        self.setVisible(len(self.path) > 1)

    def text(self) -> str:
        """The crumbs as one line: ``"Model › stage2 › block1"``."""
        return f" {SEPARATOR} ".join(self.path)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
