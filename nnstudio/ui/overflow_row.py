"""A row of controls for a narrow panel: the buttons that do not fit move into a "More" menu.

The fixed controls (combo boxes) always stay; the buttons are shown left to right while they
fit, and the rest are offered, with their current enabled state and tooltips, in the menu of
a "⋯" button at the right end, the way a toolbar's overflow works.  A clipped button is
never left half-drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QMenu, QPushButton, QToolButton, QWidget

__all__ = ["OverflowRow"]

GAP = 8  # between the fixed controls and the buttons


class OverflowRow(QWidget):
    """``fixed`` widgets, then ``buttons``; see the module docstring."""

    def __init__(
        self,
        fixed: Sequence[QWidget],
        buttons: Sequence[QPushButton],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.fixed, self.buttons = list(fixed), list(buttons)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        for widget in self.fixed:
            layout.addWidget(widget)
        layout.addSpacing(GAP)
        for button in self.buttons:
            layout.addWidget(button)
        layout.addStretch(1)
        self.more = QToolButton(self)
        self.more.setText("⋯")
        self.more.setToolTip("More actions (the panel is too narrow to show them all)")
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.more)
        self.menu.setToolTipsVisible(True)
        self.menu.aboutToShow.connect(self._fill_menu)
        self.more.setMenu(self.menu)
        self.more.hide()
        layout.addWidget(self.more)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt name
        """Narrow: what does not fit goes into the menu."""
        return QSize(120, super().minimumSizeHint().height())

    def overflow(self) -> list[QPushButton]:
        """The buttons currently offered in the menu instead of the row."""
        return [b for b in self.buttons if b.isHidden()]

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt name
        """Refit the buttons to the new width."""
        super().resizeEvent(event)
        self.fit()

    def fit(self) -> None:
        """Show the buttons that fit the row's width, left to right."""
        spacing = self.layout().spacing()
        used = sum(w.sizeHint().width() + spacing for w in self.fixed) + GAP
        widths = [b.sizeHint().width() + spacing for b in self.buttons]
        if used + sum(widths) <= self.width():
            fits = len(self.buttons)
        else:
            budget = self.width() - used - self.more.sizeHint().width() - spacing
            fits = 0
            while fits < len(widths) and widths[fits] <= budget:
                budget -= widths[fits]
                fits += 1
        for i, button in enumerate(self.buttons):
            button.setVisible(i < fits)
        self.more.setVisible(fits < len(self.buttons))

    def _fill_menu(self) -> None:
        self.menu.clear()
        for button in self.overflow():
            action = self.menu.addAction(button.text())
            action.setToolTip(button.toolTip())
            action.setEnabled(button.isEnabled())
            action.triggered.connect(button.click)
