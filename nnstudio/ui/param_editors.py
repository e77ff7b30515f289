"""Typed editors for layer parameters, generated from a :class:`Param`.

Each editor shows the value, parses what the user types and emits ``committed(value)``; it
does not judge the value: the inspector asks the core (``Param.validate`` through the
``SetParam`` command) and shows the refusal's reason in place with :meth:`show_error`.

The combo and spin boxes here (:class:`WheelSafeComboBox`, :class:`WheelSafeSpinBox`,
:class:`WheelSafeDoubleSpinBox`) change on the mouse wheel only when they have the focus;
otherwise the wheel scrolls the form they sit in.  Every generated form uses them.

A numeric, choice or flag parameter's field (and its label, see :func:`add_sweep_menu`) has
a "Sweep this" entry in its context menu; it emits ``sweep_requested(name)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPalette, QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.catalog.spec import Param
from nnstudio.ui.canvas.labels import format_value

NONE_WORDS = {"none", "null", "?", "auto"}
SWEEPABLE_KINDS = ("int", "float", "choice", "bool")
SWEEP_TEXT = "Sweep this"


def add_sweep_menu(widget: QWidget, request: Callable[[], None]) -> None:
    """Give ``widget`` a context menu whose "Sweep this" calls ``request`` (a line edit
    keeps its own entries above it)."""
    widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def show(pos: QPoint) -> None:
        menu = sweep_menu(widget, request)
        run_menu(menu, widget.mapToGlobal(pos))
        menu.deleteLater()

    widget.customContextMenuRequested.connect(show)


def run_menu(menu: QMenu, at: QPoint) -> None:
    """Show ``menu`` at ``at`` until it closes (a seam the tests replace)."""
    menu.exec(at)


def sweep_menu(widget: QWidget, request: Callable[[], None]) -> QMenu:
    """The context menu :func:`add_sweep_menu` shows (built apart so tests can trigger it)."""
    if isinstance(widget, QLineEdit):
        menu = widget.createStandardContextMenu()
        menu.addSeparator()
    else:
        menu = QMenu(widget)
    action = menu.addAction(SWEEP_TEXT)
    action.setObjectName("sweepThis")
    action.setToolTip("Add this parameter to the sweep (Experiments workspace)")
    action.triggered.connect(lambda _checked=False: request())
    return menu


def _fmt_number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def range_text(param: Param) -> str:
    """``"1 – 1000000"``, ``"≥ 0"`` or ``""`` for a parameter's bounds."""
    if param.min is not None and param.max is not None:
        return f"{_fmt_number(param.min)} – {_fmt_number(param.max)}"
    if param.min is not None:
        return f"≥ {_fmt_number(param.min)}"
    if param.max is not None:
        return f"≤ {_fmt_number(param.max)}"
    return ""


def parse_scalar(text: str, kind: str) -> Any:
    """Text to an int/float where it reads as one; anything else is returned as typed."""
    t = text.strip()
    if t.lower() in NONE_WORDS or not t:
        return None
    try:
        return int(t) if kind in ("int", "ints") else float(t)
    except ValueError:
        pass
    try:
        value = float(t)
    except ValueError:
        return t
    return int(value) if kind in ("int", "ints") and value.is_integer() else value


def parse_tuple(text: str, kind: str) -> Any:
    """``"28, 28, 1"`` (or ``28x28x1``) to a list; ``none``/``?`` items become ``None``."""
    t = text.strip().strip("()[]")
    if not t:
        return []
    items = [s for s in re.split(r"[,\s×x*]+", t) if s]
    return [parse_scalar(s, kind) for s in items]


def display_text(param: Param, value: Any) -> str:
    """How a value is written in its editor."""
    if value is None:
        return ""
    if param.kind in ("ints", "floats"):
        return ", ".join("none" if v is None else format_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class _WheelOnlyWhenFocused:
    """Mix-in for a Qt input: the wheel changes it only while it has focus (the wheel does not
    give focus); otherwise the event goes on to the scroll area behind."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)  # type: ignore[call-arg]
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # type: ignore[attr-defined]

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        if self.hasFocus():  # type: ignore[attr-defined]
            super().wheelEvent(event)  # type: ignore[misc]
        else:
            event.ignore()


class WheelSafeComboBox(_WheelOnlyWhenFocused, QComboBox):
    """A combo box that takes the wheel only while focused."""


class WheelSafeSpinBox(_WheelOnlyWhenFocused, QSpinBox):
    """A spin box that takes the wheel only while focused."""


class WheelSafeDoubleSpinBox(_WheelOnlyWhenFocused, QDoubleSpinBox):
    """A double spin box that takes the wheel only while focused."""


def int_box(param: Param, step: float | None = None) -> WheelSafeSpinBox:
    """A wheel-safe spin box over ``param``'s range, its help as tooltip."""
    box = WheelSafeSpinBox()
    box.setRange(
        int(param.min if param.min is not None else -(2**31)),
        int(param.max if param.max is not None else 2**31 - 1),
    )
    box.setSingleStep(int(step or 1))
    box.setAccelerated(True)
    box.setValue(int(param.default or 0))
    box.setToolTip(param.help)
    return box


def float_box(
    param: Param, step: float | None = None, decimals: int | None = None
) -> WheelSafeDoubleSpinBox:
    """A wheel-safe double spin box over ``param``'s range, its help as tooltip."""
    box = WheelSafeDoubleSpinBox()
    box.setDecimals(decimals if decimals is not None else 4)
    box.setRange(
        param.min if param.min is not None else -1e12, param.max if param.max is not None else 1e12
    )
    box.setSingleStep(step or 0.1)
    box.setValue(float(param.default or 0.0))
    box.setToolTip(param.help)
    return box


def choice_box(param: Param, labels: tuple[str, ...] = ()) -> WheelSafeComboBox:
    """A wheel-safe combo box of ``param``'s choices (``labels`` shown where given; the
    choice itself is each item's data), its help as tooltip."""
    combo = WheelSafeComboBox()
    choices = param.choices or ()
    for i, choice in enumerate(choices):
        combo.addItem(labels[i] if i < len(labels) else str(choice), choice)
    combo.setCurrentIndex(max(combo.findData(param.default), 0))
    combo.setToolTip(param.help)
    return combo


class ParamEditor(QWidget):
    """The field for one parameter plus its in-place error message."""

    committed = Signal(str, object)  # parameter name, value
    sweep_requested = Signal(str)  # parameter name ("Sweep this")

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = param
        self.value: Any = param.default
        self.error = QLabel(self)
        self.error.setObjectName("paramError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d64545;")
        self.error.hide()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self.field = self._make_field()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.field, 1)
        bounds = range_text(param) if param.kind in ("int", "float", "ints", "floats") else ""
        if bounds:
            hint = QLabel(bounds, self)
            hint.setObjectName("paramRange")
            hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            row.addWidget(hint)
        self._layout.addLayout(row)
        self._layout.addWidget(self.error)
        tip = param.help + (f" Range: {bounds}." if bounds else "")
        if param.nullable:
            tip += " Leave empty for none."
        self.field.setToolTip(tip)
        if self.sweepable:
            add_sweep_menu(self.field, lambda: self.sweep_requested.emit(self.param.name))

    @property
    def sweepable(self) -> bool:
        """True for the kinds a sweep can vary (numbers, choices, flags)."""
        return self.param.kind in SWEEPABLE_KINDS

    # -- building ---------------------------------------------------------------------
    def _make_field(self) -> QWidget:
        kind = self.param.kind
        if kind == "bool":
            box = QCheckBox(self)
            box.clicked.connect(lambda checked: self._commit(bool(checked)))
            return box
        if kind == "choice":
            combo = WheelSafeComboBox(self)
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(8)
            for choice in self.param.choices or ():
                combo.addItem(str(choice), choice)
            if self.param.nullable:
                combo.addItem("none", None)
            combo.activated.connect(lambda i: self._commit(combo.itemData(i)))
            return combo
        edit = _StepEdit(self) if kind == "int" else QLineEdit(self)
        if kind in ("ints", "floats"):
            edit.setPlaceholderText(
                "e.g. 3, 3" if self.param.length == 2 else "numbers, comma separated"
            )
        elif self.param.nullable:
            edit.setPlaceholderText("none")
        edit.editingFinished.connect(self._text_committed)
        if isinstance(edit, _StepEdit):
            edit.stepped.connect(self._step)
        return edit

    # -- values -----------------------------------------------------------------------
    def set_value(self, value: Any) -> None:
        """Show ``value`` (from the model) and clear any error."""
        self.value = value
        field = self.field
        field.blockSignals(True)
        try:
            if isinstance(field, QCheckBox):
                field.setChecked(bool(value))
            elif isinstance(field, QComboBox):
                index = field.findData(value)
                field.setCurrentIndex(max(index, 0))
            elif isinstance(field, QLineEdit):
                field.setText(display_text(self.param, value))
                field.setCursorPosition(0)
        finally:
            field.blockSignals(False)
        self.show_error(None)

    def show_error(self, message: str | None) -> None:
        """Show why a value was refused (``None`` clears it)."""
        if message:
            self.error.setText(message)
            self.error.show()
            self.field.setProperty("invalid", True)
        else:
            self.error.hide()
            self.field.setProperty("invalid", False)
        self.field.style().unpolish(self.field)
        self.field.style().polish(self.field)

    def has_error(self) -> bool:
        """True while a refused value is shown."""
        return not self.error.isHidden()

    def set_read_only(self, read_only: bool) -> None:
        """Lock or unlock the field."""
        self.field.setEnabled(not read_only)

    def parse(self, text: str) -> Any:
        """The value a text stands for (not validated)."""
        kind = self.param.kind
        if kind in ("ints", "floats"):
            if not text.strip() and self.param.nullable:
                return None
            return parse_tuple(text, kind)
        if kind in ("int", "float"):
            return parse_scalar(text, kind)
        if kind == "str":
            return text if text or not self.param.nullable else None
        return text

    def _text_committed(self) -> None:
        assert isinstance(self.field, QLineEdit)
        text = self.field.text()
        if text == display_text(self.param, self.value) and not self.has_error():
            return
        self._commit(self.parse(text))

    def _step(self, delta: int) -> None:
        current = self.value if isinstance(self.value, int) else 0
        self._commit(current + delta)

    def _commit(self, value: Any) -> None:
        self.committed.emit(self.param.name, value)


class _StepEdit(QLineEdit):
    """A line edit for whole numbers where Up/Down step the value."""

    stepped = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.stepped.emit(1 if event.key() == Qt.Key.Key_Up else -1)
            event.accept()
            return
        super().keyPressEvent(event)
