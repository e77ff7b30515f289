"""The training settings form, generated from the core's settings catalog
(:data:`nnstudio.core.objectives.settings.SETTINGS`) the way the inspector is generated
from layer specs: one wheel-safe editor per setting, grouped, with the help as tooltip.

The optimizer's and the schedule's parameters are shown only while the chosen entry takes
them (:func:`~nnstudio.core.objectives.settings.applicable`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.objectives import MONITORS
from nnstudio.core.objectives.settings import GROUPS, SETTINGS, Setting, applicable
from nnstudio.ui.param_editors import (
    WheelSafeComboBox,
    WheelSafeSpinBox,
    choice_box,
    float_box,
    int_box,
)

CUSTOM = "custom"


def monitor_choices() -> list[str]:
    """The early-stopping monitors offered before the graph's outputs are known: the
    core's registry (then :meth:`SettingsForm.set_monitor_choices` takes over)."""
    return [entry.name for entry in MONITORS]


class SettingsForm(QWidget):
    """One editor per setting; ``edited`` fires on any change a user makes.

    ``widgets[name]`` is the editor of a ``TrainingConfig`` field (a ``QSpinBox``,
    ``QDoubleSpinBox``, ``QComboBox``, ``QCheckBox`` or, for ``early_stopping``, the
    checkable group box); ``fixed_seed`` is the check box that turns the seed on.
    """

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.widgets: dict[str, QWidget] = {}
        self.groups: dict[str, QGroupBox] = {}
        self.forms: dict[str, QFormLayout] = {}
        self.fixed_seed = QCheckBox("Fixed seed")
        self.custom_class_weight: dict[str, float] | None = None
        self.finetune_applies = False  # the two-phase settings: only with a backbone node
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for group in GROUPS:
            box = QGroupBox(group)
            form = QFormLayout(box)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            self.groups[group], self.forms[group] = box, form
            layout.addWidget(box)
        for setting in SETTINGS:
            self._add(setting)
        self.fixed_seed.toggled.connect(self._changed)

    # -- building ---------------------------------------------------------------------
    def _add(self, s: Setting) -> None:
        form, p = self.forms[s.group], s.param
        if s.widget == "group":
            box = self.groups[s.group]
            box.setCheckable(True)
            box.setToolTip(p.help)
            box.toggled.connect(self._changed)
            self.widgets[p.name] = box
            return
        widget = self._editor(s)
        widget.setToolTip(p.help)
        self.widgets[p.name] = widget
        if s.widget == "optional":
            row = QHBoxLayout()
            row.addWidget(self.fixed_seed)
            row.addWidget(widget, 1)
            form.addRow(s.label, row)
        elif p.kind == "bool":
            form.addRow("", widget)
        else:
            form.addRow(s.label, widget)

    def _editor(self, s: Setting) -> QWidget:
        p = s.param
        widget: QWidget
        if s.widget == "percent":
            box = WheelSafeSpinBox()
            box.setRange(0, round((p.max or 1.0) * 100))
            box.setSuffix(" % of training time")
            box.valueChanged.connect(self._changed)
            return box
        if s.widget == "device":
            combo = WheelSafeComboBox()
            combo.addItem("Automatic", "auto")
            combo.addItem("CPU", "cpu")
            combo.currentIndexChanged.connect(self._changed)
            return combo
        if s.widget == "devices":
            combo = WheelSafeComboBox()
            combo.addItem("One", 1)
            for n in (2, 4, 8):
                combo.addItem(f"{n} in data parallel", n)
            combo.addItem("All in data parallel", "all")
            combo.currentIndexChanged.connect(self._changed)
            return combo
        if s.widget == "editable":
            combo = WheelSafeComboBox()
            combo.setEditable(True)
            combo.addItems(monitor_choices())
            combo.currentTextChanged.connect(self._changed)
            return combo
        if p.kind == "choice":
            widget = choice_box(p, s.choice_labels)
            widget.currentIndexChanged.connect(self._changed)
        elif p.kind == "bool":
            widget = QCheckBox(s.label)
            widget.toggled.connect(self._changed)
        elif p.kind == "int":
            widget = int_box(p, s.step)
            widget.valueChanged.connect(self._changed)
        else:
            widget = float_box(p, s.step, s.decimals)
            widget.valueChanged.connect(self._changed)
        return widget

    def _changed(self, *_: Any) -> None:
        self.update_visibility()
        self.edited.emit()

    # -- values -----------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The shown settings as ``TrainingConfig`` keyword values."""
        out: dict[str, Any] = {}
        for s in SETTINGS:
            name, w = s.param.name, self.widgets[s.param.name]
            if s.widget == "percent":
                out[name] = w.value() / 100.0  # type: ignore[attr-defined]
            elif s.widget == "optional":
                out[name] = w.value() if self.fixed_seed.isChecked() else None  # type: ignore[attr-defined]
            elif s.widget == "editable":
                out[name] = w.currentText().strip() or s.param.default  # type: ignore[attr-defined]
            elif isinstance(w, (QCheckBox, QGroupBox)):
                out[name] = w.isChecked()
            elif isinstance(w, QComboBox):
                data = w.currentData()
                if name == "class_weight" and data == CUSTOM:
                    data = dict(self.custom_class_weight or {})
                out[name] = data if data is not None else s.param.default
            else:
                out[name] = w.value()  # type: ignore[attr-defined]
        return out

    def set_monitor_choices(self, names: Sequence[str]) -> None:
        """Offer ``names`` as the early-stopping monitors (the core's
        ``graph_monitor_choices``: what the run will log); keeps the current choice."""
        combo = self.widgets["monitor"]
        assert isinstance(combo, QComboBox)
        names = list(names) or monitor_choices()
        if names == [combo.itemText(i) for i in range(combo.count())]:
            return
        combo.blockSignals(True)
        try:
            current = combo.currentText()
            combo.clear()
            combo.addItems(names)
            combo.setCurrentText(current)
        finally:
            combo.blockSignals(False)

    def set_values(self, values: dict[str, Any]) -> None:
        """Show ``values`` (``TrainingConfig.to_json()``); emits nothing."""
        for w in (*self.widgets.values(), self.fixed_seed):
            w.blockSignals(True)
        try:
            for s in SETTINGS:
                self._set(s, values.get(s.param.name, s.param.default))
        finally:
            for w in (*self.widgets.values(), self.fixed_seed):
                w.blockSignals(False)
        self.update_visibility()

    def _set(self, s: Setting, value: Any) -> None:
        name, w = s.param.name, self.widgets[s.param.name]
        if s.widget == "percent":
            w.setValue(round(value * 100))  # type: ignore[attr-defined]
        elif s.widget == "optional":
            self.fixed_seed.setChecked(value is not None)
            if value is not None:
                w.setValue(value)  # type: ignore[attr-defined]
        elif s.widget == "editable":
            w.setCurrentText(value)  # type: ignore[attr-defined]
        elif s.widget == "device":
            self.select_device(value)
        elif s.widget == "devices":
            if w.findData(value) < 0:  # type: ignore[attr-defined]
                w.addItem(f"{value} in data parallel", value)  # type: ignore[attr-defined]
            w.setCurrentIndex(w.findData(value))  # type: ignore[attr-defined]
        elif isinstance(w, (QCheckBox, QGroupBox)):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            if name == "class_weight":
                value = self._class_weight_choice(w, value)
            w.setCurrentIndex(w.findData(value))
        else:
            w.setValue(value)  # type: ignore[attr-defined]

    def _class_weight_choice(self, combo: QComboBox, value: Any) -> Any:
        custom = combo.findData(CUSTOM)
        if custom >= 0:
            combo.removeItem(custom)
        if isinstance(value, dict):  # set in the file: offered as its own choice
            self.custom_class_weight = dict(value)
            shown = ", ".join(f"{k}: {v:g}" for k, v in value.items())
            combo.addItem(f"Custom ({shown})", CUSTOM)
            return CUSTOM
        return value

    def set_devices(self, devices: Sequence[Any]) -> None:
        """Offer each device (``Device`` objects with ``id`` and ``name``)."""
        combo = self.widgets["device"]
        assert isinstance(combo, QComboBox)
        current = combo.currentData()
        combo.blockSignals(True)
        try:
            combo.clear()
            combo.addItem("Automatic", "auto")
            for d in devices:
                combo.addItem(d.name if d.id == "cpu" else f"{d.id.upper()}: {d.name}", d.id)
            self.select_device(current or "auto")
        finally:
            combo.blockSignals(False)

    def select_device(self, device: str) -> None:
        """Select ``device``, adding it when it is not listed (a GPU named in the file)."""
        combo = self.widgets["device"]
        assert isinstance(combo, QComboBox)
        index = combo.findData(device)
        if index < 0:
            combo.addItem(device.upper(), device)
            index = combo.count() - 1
        combo.setCurrentIndex(index)

    def show_finetune(self, on: bool) -> None:
        """Show the two-phase (fine-tune) settings: the model has a pretrained backbone."""
        if on != self.finetune_applies:
            self.finetune_applies = on
            self.update_visibility()

    def update_visibility(self) -> None:
        """Show the optimizer and schedule parameters the chosen entries take, and the
        fine-tune settings where the model has a backbone to fine-tune."""
        shown = applicable(
            {k: self.widgets[k].currentData() for k in ("optimizer", "schedule")}  # type: ignore[attr-defined]
        )
        if not self.finetune_applies:
            shown -= {name for name in shown if name.startswith("finetune_")}
        for s in SETTINGS:
            if s.widget not in ("group", "optional"):
                self.forms[s.group].setRowVisible(self.widgets[s.param.name], s.param.name in shown)
        self.widgets["seed"].setEnabled(self.fixed_seed.isChecked())
