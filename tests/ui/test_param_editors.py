"""The wheel over a scrolling form changes a combo or spin box only while it has the focus."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QScrollArea, QVBoxLayout, QWidget

from nnstudio.core.catalog.spec import Param
from nnstudio.ui.param_editors import choice_box, int_box


def _wheel(widget: QWidget, steps: int = -1) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def _form(qtbot):
    scroll = QScrollArea()
    host = QWidget()
    layout = QVBoxLayout(host)
    combo = choice_box(Param("optimizer", "choice", "adam", "help", choices=("adam", "adagrad")))
    spin = int_box(Param("epochs", "int", 10, "help", 1, 100))
    layout.addWidget(combo)
    layout.addWidget(spin)
    layout.addSpacing(2000)  # the form scrolls
    scroll.setWidget(host)
    scroll.resize(300, 200)
    qtbot.addWidget(scroll)
    scroll.show()
    qtbot.waitExposed(scroll)
    scroll.activateWindow()
    return scroll, combo, spin


def test_the_wheel_leaves_an_unfocused_combo_and_spin_box_alone(qtbot) -> None:
    scroll, combo, spin = _form(qtbot)
    scroll.setFocus()
    assert not combo.hasFocus() and not spin.hasFocus()
    _wheel(combo)
    _wheel(spin, +1)
    assert combo.currentData() == "adam"
    assert spin.value() == 10
    assert combo.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel gives no focus


def test_the_wheel_changes_a_focused_combo_and_spin_box(qtbot) -> None:
    scroll, combo, spin = _form(qtbot)
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    _wheel(combo)
    assert combo.currentData() == "adagrad"
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    _wheel(spin, +1)
    assert spin.value() == 11


def test_inspector_choice_editor_is_wheel_safe(qtbot) -> None:
    from nnstudio.ui.param_editors import ParamEditor, WheelSafeComboBox

    editor = ParamEditor(Param("padding", "choice", "valid", "help", choices=("valid", "same")))
    qtbot.addWidget(editor)
    assert isinstance(editor.field, WheelSafeComboBox)
    _wheel(editor.field)
    assert editor.field.currentData() == "valid"
