"""The sweep definition panel: the swept parameters (each with its SPEC text, checked as it
is typed), the strategy, the budget, the metric, the seed and the pruner; Run, Stop and
Resume, and the sweep's progress.

SPEC is written as on the command line: ``a,b,c`` (choices), ``lo..hi`` (a range),
``lo..hi:log`` (a log range).  The panel only edits; the controller
(:mod:`nnstudio.ui.sweeps.controller`) runs the sweep and keeps the definition in the
project.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.sweeps import ParamSpec, SweepConfig, SweepError, parse_param
from nnstudio.ui.param_editors import WheelSafeComboBox, WheelSafeSpinBox

STRATEGIES = (("random", "Random"), ("grid", "Grid"), ("bayes", "Bayesian (TPE)"))
PRUNERS = (("median", "Median"), ("hyperband", "Hyperband"), ("none", "None"))
Checker = Callable[[ParamSpec], str | None]
#: ``(group, name, enabled, tip)`` entries of the "Add parameter" menu
MenuEntries = Callable[[], list[tuple[str, str, bool, str]]]


class SpecRow(QWidget):
    """One swept parameter: its name, the SPEC field, a remove button, the error."""

    changed = Signal()
    remove_clicked = Signal(str)

    def __init__(self, name: str, text: str, check: Checker | None = None) -> None:
        super().__init__()
        self.name = name
        self._check = check
        label = QLabel(name)
        label.setObjectName("sweepParamName")
        label.setToolTip(name)
        label.setMinimumWidth(90)
        self.edit = QLineEdit(text)
        self.edit.setObjectName("sweepSpec")
        self.edit.setPlaceholderText("a,b,c  or  lo..hi  or  lo..hi:log")
        self.edit.setToolTip(
            "The values to try: a,b,c (choices), lo..hi (a range), lo..hi:log (a log range)"
        )
        self.edit.textChanged.connect(self._text_changed)
        remove = QToolButton()
        remove.setText("✕")
        remove.setAutoRaise(True)
        remove.setToolTip(f"Stop sweeping {name}")
        remove.clicked.connect(lambda: self.remove_clicked.emit(self.name))
        self.error = QLabel()
        self.error.setObjectName("sweepSpecError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d64545;")
        self.error.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label)
        row.addWidget(self.edit, 1)
        row.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addLayout(row)
        layout.addWidget(self.error)
        self._validate()

    def spec(self) -> ParamSpec:
        """The parsed spec (:class:`SweepError` if the text cannot be used)."""
        spec = parse_param(f"{self.name}={self.edit.text()}")
        problem = self._check(spec) if self._check is not None else None
        if problem:
            raise SweepError(problem)
        return spec

    def problem(self) -> str | None:
        """Why the text cannot be used (``None``: it can)."""
        try:
            self.spec()
        except SweepError as exc:
            return str(exc)
        return None

    def _text_changed(self, _text: str) -> None:
        self._validate()
        self.changed.emit()

    def _validate(self) -> None:
        problem = self.problem()
        self.error.setText(problem or "")
        self.error.setVisible(problem is not None)
        self.edit.setProperty("invalid", problem is not None)
        self.edit.style().unpolish(self.edit)
        self.edit.style().polish(self.edit)


class SweepDefinition(QWidget):
    """The definition form.  Signals: ``changed()`` (any edit), ``run_clicked()``,
    ``stop_clicked()``, ``resume_clicked()``, ``add_requested(str)`` (a name picked in the
    "Add parameter" menu)."""

    changed = Signal()
    run_clicked = Signal()
    stop_clicked = Signal()
    resume_clicked = Signal()
    add_requested = Signal(str)

    def __init__(self, menu_entries: MenuEntries | None = None, check: Checker | None = None):
        super().__init__()
        self.setObjectName("sweepDefinition")
        self.rows: dict[str, SpecRow] = {}
        self._menu_entries = menu_entries
        self._check = check
        self._loading = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._build_params_box())
        layout.addWidget(self._build_search_box())
        layout.addLayout(self._build_buttons())
        self.progress = QProgressBar()
        self.progress.setObjectName("sweepProgress")
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v / %m trials")
        self.progress.hide()
        self.status = QLabel("")
        self.status.setObjectName("sweepStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.set_running(False, can_resume=False)

    # -- building -----------------------------------------------------------------------
    def _build_params_box(self) -> QGroupBox:
        box = QGroupBox("Swept parameters")
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setSpacing(4)
        self.empty_hint = QLabel(
            "Right-click a layer parameter in the inspector and choose “Sweep this”, or add "
            "one here."
        )
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setObjectName("sweepEmptyHint")
        self.add_button = QToolButton()
        self.add_button.setObjectName("sweepAddParam")
        self.add_button.setText("Add parameter")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.add_menu = QMenu(self.add_button)
        self.add_menu.aboutToShow.connect(self.fill_add_menu)
        self.add_button.setMenu(self.add_menu)
        outer = QVBoxLayout(box)
        outer.addWidget(self.empty_hint)
        outer.addLayout(self._rows_layout)
        outer.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        return box

    def _build_search_box(self) -> QGroupBox:
        box = QGroupBox("Search")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.strategy = WheelSafeComboBox()
        self.strategy.setObjectName("sweepStrategy")
        for key, label in STRATEGIES:
            self.strategy.addItem(label, key)
        self.strategy.setToolTip(
            "Grid tries every combination; random samples; Bayesian (TPE) "
            "learns from the trials so far"
        )
        self.trials = self._spin(1, 10_000, 10, "sweepTrials", "The most trials to run")
        self.time_limit = self._spin(0, 100_000, 0, "sweepTimeLimit", "Stop after this long")
        self.time_limit.setSuffix(" min")
        self.time_limit.setSpecialValueText("no limit")
        self.metric_box = WheelSafeComboBox()
        self.metric_box.setObjectName("sweepMetric")
        self.metric_box.setEditable(False)
        self.metric_box.setToolTip("What the search optimises (losses down, accuracies up)")
        self.seed = self._spin(0, 2**31 - 1, 0, "sweepSeed", "The sampler's seed")
        self.pruner = WheelSafeComboBox()
        self.pruner.setObjectName("sweepPruner")
        for key, label in PRUNERS:
            self.pruner.addItem(label, key)
        self.pruner.setToolTip("Stop poor trials early (compared epoch by epoch)")
        self.epochs = self._spin(0, 10_000, 0, "sweepEpochs", "Epochs each trial trains")
        self.epochs.setSpecialValueText("as in Train")
        for combo in (self.strategy, self.metric_box, self.pruner):
            combo.currentIndexChanged.connect(self._emit_changed)
        form.addRow("Strategy", self.strategy)
        form.addRow("Trials", self.trials)
        form.addRow("Time limit", self.time_limit)
        form.addRow("Metric", self.metric_box)
        form.addRow("Seed", self.seed)
        form.addRow("Early stop", self.pruner)
        form.addRow("Epochs", self.epochs)
        return box

    def _spin(self, lo: int, hi: int, value: int, name: str, tip: str) -> WheelSafeSpinBox:
        box = WheelSafeSpinBox()
        box.setObjectName(name)
        box.setRange(lo, hi)
        box.setValue(value)
        box.setToolTip(tip)
        box.valueChanged.connect(self._emit_changed)
        return box

    def _build_buttons(self) -> QHBoxLayout:
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("sweepRun")
        self.run_button.setToolTip("Start a new sweep with these settings")
        self.run_button.clicked.connect(self.run_clicked)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("sweepStop")
        self.stop_button.setToolTip("Stop after the current batch (Resume continues)")
        self.stop_button.clicked.connect(self.stop_clicked)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setObjectName("sweepResume")
        self.resume_button.setToolTip("Continue the last sweep where it stopped")
        self.resume_button.clicked.connect(self.resume_clicked)
        row = QHBoxLayout()
        row.addWidget(self.run_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.resume_button)
        return row

    # -- parameters ---------------------------------------------------------------------
    def add_param(self, spec: ParamSpec | tuple[str, str]) -> SpecRow:
        """Sweep one more parameter (an existing row of that name is kept and returned)."""
        name, text = (spec.name, spec.to_text()) if isinstance(spec, ParamSpec) else spec
        row = self.rows.get(name)
        if row is not None:
            row.edit.setFocus()
            return row
        row = SpecRow(name, text, self._check)
        row.changed.connect(self._emit_changed)
        row.remove_clicked.connect(self.remove_param)
        self.rows[name] = row
        self._rows_layout.addWidget(row)
        self.empty_hint.setVisible(False)
        self._emit_changed()
        return row

    def remove_param(self, name: str) -> None:
        """Stop sweeping ``name``."""
        row = self.rows.pop(name, None)
        if row is None:
            return
        row.setParent(None)
        row.deleteLater()
        self.empty_hint.setVisible(not self.rows)
        self._emit_changed()

    def fill_add_menu(self) -> None:
        """The "Add parameter" menu: the layers' parameters and the training settings."""
        menu = self.add_menu
        menu.clear()
        groups: dict[str, QMenu] = {}
        for group, name, enabled, tip in self._menu_entries() if self._menu_entries else []:
            sub = groups.get(group)
            if sub is None:
                sub = groups[group] = menu.addMenu(group)
                sub.setToolTipsVisible(True)
            action = sub.addAction(name)
            action.setEnabled(enabled and name not in self.rows)
            action.setToolTip(tip)
            action.triggered.connect(lambda _c=False, n=name: self.add_requested.emit(n))
        if not groups:
            menu.addAction("No parameters to sweep").setEnabled(False)

    # -- the whole definition -----------------------------------------------------------
    def set_metric_choices(self, names: Iterable[str]) -> None:
        """The metrics offered (the model's monitors); the current one is kept."""
        current = self.metric_box.currentText() or "val_loss"
        names = list(dict.fromkeys(names)) or ["val_loss", "loss"]
        if current not in names:
            names.append(current)
        self.metric_box.blockSignals(True)
        self.metric_box.clear()
        self.metric_box.addItems(names)
        self.metric_box.setCurrentText(current)
        self.metric_box.blockSignals(False)

    def config(self) -> SweepConfig:
        """The sweep as the core runs it (:class:`SweepError` naming the first problem)."""
        specs = []
        for row in self.rows.values():
            problem = row.problem()
            if problem:
                raise SweepError(problem)
            specs.append(row.spec())
        minutes = self.time_limit.value()
        return SweepConfig(
            params=tuple(specs),
            strategy=self.strategy.currentData(),
            trials=self.trials.value(),
            time_limit_s=minutes * 60.0 if minutes else None,
            metric=self.metric_box.currentText() or "val_loss",
            seed=self.seed.value(),
            pruner=self.pruner.currentData(),
            epochs=self.epochs.value() or None,
        )

    def to_json(self) -> dict[str, Any]:
        """What the project keeps: the texts as typed (valid or not) and the settings."""
        minutes = self.time_limit.value()
        return {
            "params": [{"name": n, "spec": r.edit.text()} for n, r in self.rows.items()],
            "strategy": self.strategy.currentData(),
            "trials": self.trials.value(),
            "time_limit_s": minutes * 60 if minutes else None,
            "metric": self.metric_box.currentText() or "val_loss",
            "seed": self.seed.value(),
            "pruner": self.pruner.currentData(),
            "epochs": self.epochs.value() or None,
        }

    def load(self, data: Any) -> None:
        """Show a definition kept by :meth:`to_json` (anything unreadable is skipped)."""
        self._loading = True
        try:
            for name in list(self.rows):
                self.remove_param(name)
            data = data if isinstance(data, dict) else {}
            for item in data.get("params") or []:
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    self.add_param((item["name"], str(item.get("spec") or "")))
            _set_data(self.strategy, data.get("strategy"))
            _set_data(self.pruner, data.get("pruner"))
            _set_int(self.trials, data.get("trials"), 10)
            seconds = data.get("time_limit_s")
            _set_int(self.time_limit, round(seconds / 60) if _is_num(seconds) else 0, 0)
            _set_int(self.seed, data.get("seed"), 0)
            _set_int(self.epochs, data.get("epochs"), 0)
            metric = data.get("metric")
            if isinstance(metric, str) and metric:
                if self.metric_box.findText(metric) < 0:
                    self.metric_box.addItem(metric)
                self.metric_box.setCurrentText(metric)
        finally:
            self._loading = False

    def set_running(self, running: bool, can_resume: bool) -> None:
        """Enable the buttons for a running or an idle sweep."""
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.resume_button.setEnabled(not running and can_resume)

    def show_status(self, text: str) -> None:
        """A line under the buttons."""
        self.status.setText(text)

    def _emit_changed(self, *_: Any) -> None:
        if not self._loading:
            self.changed.emit()


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _set_int(box: QSpinBox, value: Any, default: int) -> None:
    box.setValue(int(value) if _is_num(value) else default)


def _set_data(combo: QComboBox, value: Any) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(max(index, 0))
