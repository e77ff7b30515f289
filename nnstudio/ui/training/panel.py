"""The training panel: the run's settings, the outputs' losses and metrics, Start / Pause /
Resume / Stop, progress bars with elapsed time and ETA, and the run log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.training.config import OPTIMIZERS, SCHEDULES, ConfigError, TrainingConfig
from nnstudio.core.training.state import eta_seconds, format_duration

LOSSES = (
    "sparse_categorical_crossentropy",
    "categorical_crossentropy",
    "binary_crossentropy",
    "mse",
    "mae",
    "huber",
    "log_cosh",
    "kl_divergence",
)
MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy", "val_mae", "mae")
IDLE, RUNNING, PAUSED = "idle", "running", "paused"
SP = QStyle.StandardPixmap


def _spin(low: int, high: int, value: int, step: int = 1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    box.setAccelerated(True)
    return box


def _dspin(low: float, high: float, value: float, step: float, decimals: int) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    return box


class TrainingPanel(QWidget):
    """Settings and controls of a run (see the module docstring).

    Signals: ``start_clicked``, ``pause_clicked``, ``resume_clicked``, ``stop_clicked``,
    ``config_changed(TrainingConfig)`` (a valid edit), ``output_changed(node_id, loss,
    metrics)``.
    """

    start_clicked = Signal()
    pause_clicked = Signal()
    resume_clicked = Signal()
    stop_clicked = Signal()
    config_changed = Signal(object)
    output_changed = Signal(str, str, list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self._extra: dict[str, Any] = {}
        self._state = IDLE
        self._can_start = (False, "The engine is loading…")
        self._epochs: int | None = None
        self._steps: int | None = None
        self._mixed_ok: dict[str, bool] = {}
        self._custom_class_weight: dict[str, float] | None = None
        self._shuffle = True
        self._build()
        self.set_config(TrainingConfig())
        self._apply_state()

    # -- building ---------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        buttons = QHBoxLayout()
        style = self.style()
        self.start_button = QPushButton(style.standardIcon(SP.SP_MediaPlay), "Train")
        self.start_button.setObjectName("trainButton")
        self.pause_button = QPushButton(style.standardIcon(SP.SP_MediaPause), "Pause")
        self.stop_button = QPushButton(style.standardIcon(SP.SP_MediaStop), "Stop")
        for b in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(b)
        outer.addLayout(buttons)
        self.start_button.clicked.connect(self.start_clicked)
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.stop_button.clicked.connect(self.stop_clicked)

        self.status_label = QLabel()
        self._blocked_text = ""  # the reason shown while Train is unavailable
        self.status_label.setWordWrap(True)
        outer.addWidget(self.status_label)
        self.epoch_bar = QProgressBar()
        self.epoch_bar.setFormat("epoch %p%")
        self.epoch_label = QLabel("Epoch –")
        self.run_bar = QProgressBar()
        self.run_bar.setFormat("run %p%")
        self.run_label = QLabel("Run –")
        for w in (self.epoch_label, self.epoch_bar, self.run_label, self.run_bar):
            outer.addWidget(w)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        form_host = QWidget()
        form_layout = QVBoxLayout(form_host)
        form_layout.setContentsMargins(0, 0, 0, 0)
        scroll.setWidget(form_host)
        outer.addWidget(scroll, 1)

        opt = QGroupBox("Optimizer")
        f = QFormLayout(opt)
        self.optimizer = QComboBox()
        for key, label in OPTIMIZERS.items():
            self.optimizer.addItem(label, key)
        self.learning_rate = _dspin(1e-6, 10.0, 1e-3, 1e-4, 6)
        self.momentum = _dspin(0.0, 0.999, 0.9, 0.05, 3)
        self.nesterov = QCheckBox("Nesterov momentum")
        self.weight_decay = _dspin(0.0, 1.0, 0.004, 0.001, 4)
        self.schedule = QComboBox()
        for key, label in SCHEDULES.items():
            self.schedule.addItem(label, key)
        self.step_epochs = _spin(1, 100000, 10)
        self.decay_factor = _dspin(0.01, 0.99, 0.5, 0.05, 2)
        self.plateau_patience = _spin(0, 1000, 3)
        self.min_learning_rate = _dspin(0.0, 1.0, 1e-6, 1e-6, 7)
        f.addRow("Optimizer", self.optimizer)
        f.addRow("Learning rate", self.learning_rate)
        f.addRow("Momentum", self.momentum)
        f.addRow("", self.nesterov)
        f.addRow("Weight decay", self.weight_decay)
        f.addRow("Schedule", self.schedule)
        f.addRow("Step every (epochs)", self.step_epochs)
        f.addRow("Decay factor", self.decay_factor)
        f.addRow("Plateau patience", self.plateau_patience)
        f.addRow("Minimum rate", self.min_learning_rate)
        self._opt_form = f
        form_layout.addWidget(opt)

        run = QGroupBox("Run")
        f = QFormLayout(run)
        self.batch_size = _spin(1, 65536, 32)
        self.epochs = _spin(1, 100000, 10)
        self.validation = QCheckBox("Validate after every epoch")
        self.class_weight = QComboBox()
        self.class_weight.addItem("None", "none")
        self.class_weight.addItem("Balanced (inverse frequency)", "balanced")
        self.fixed_seed = QCheckBox("Fixed seed")
        self.seed = _spin(0, 2**31 - 1, 42)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.fixed_seed)
        seed_row.addWidget(self.seed, 1)
        self.device = QComboBox()
        self.device.addItem("Automatic", "auto")
        self.device.addItem("CPU", "cpu")
        self.mixed_precision = QCheckBox("Mixed precision (GPU)")
        self.probe_budget = _spin(0, 50, 5)
        self.probe_budget.setSuffix(" % of training time")
        f.addRow("Batch size", self.batch_size)
        f.addRow("Epochs", self.epochs)
        f.addRow("", self.validation)
        f.addRow("Class weights", self.class_weight)
        f.addRow("Seed", seed_row)
        f.addRow("Device", self.device)
        f.addRow("", self.mixed_precision)
        f.addRow("Live activations", self.probe_budget)
        form_layout.addWidget(run)

        self.early = QGroupBox("Early stopping")
        self.early.setCheckable(True)
        f = QFormLayout(self.early)
        self.monitor = QComboBox()
        self.monitor.setEditable(True)
        self.monitor.addItems(MONITORS)
        self.patience = _spin(0, 10000, 5)
        self.min_delta = _dspin(0.0, 1e6, 0.0, 0.001, 4)
        self.restore_best = QCheckBox("Keep the best epoch's weights")
        f.addRow("Watch", self.monitor)
        f.addRow("Patience (epochs)", self.patience)
        f.addRow("Minimum change", self.min_delta)
        f.addRow("", self.restore_best)
        form_layout.addWidget(self.early)

        outs = QGroupBox("Outputs: loss and metrics")
        v = QVBoxLayout(outs)
        self.outputs = QTableWidget(0, 3)
        self.outputs.setHorizontalHeaderLabels(["Output", "Loss", "Metrics"])
        self.outputs.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.outputs.verticalHeader().hide()
        self.outputs.setMinimumHeight(90)
        v.addWidget(self.outputs)
        form_layout.addWidget(outs)
        form_layout.addStretch(1)

        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(2000)
        self.log_view.setPlaceholderText("The run's messages appear here.")
        self.log_view.setMaximumHeight(120)
        outer.addWidget(self.log_view)

        for w in (self.optimizer, self.schedule, self.class_weight, self.device):
            w.currentIndexChanged.connect(self._edited)
        self.monitor.currentTextChanged.connect(self._edited)
        for w in (
            self.learning_rate,
            self.momentum,
            self.weight_decay,
            self.decay_factor,
            self.min_learning_rate,
            self.min_delta,
            self.step_epochs,
            self.plateau_patience,
            self.batch_size,
            self.epochs,
            self.seed,
            self.patience,
            self.probe_budget,
        ):
            w.valueChanged.connect(self._edited)
        for w in (
            self.nesterov,
            self.validation,
            self.fixed_seed,
            self.mixed_precision,
            self.restore_best,
        ):
            w.toggled.connect(self._edited)
        self.early.toggled.connect(self._edited)

    # -- configuration ------------------------------------------------------------------
    def set_config(self, config: TrainingConfig) -> None:
        """Show ``config`` in the form (no ``config_changed``)."""
        self._loading = True
        try:
            self._extra = dict(config.extra)
            self.optimizer.setCurrentIndex(self.optimizer.findData(config.optimizer))
            self.learning_rate.setValue(config.learning_rate)
            self.momentum.setValue(config.momentum)
            self.nesterov.setChecked(config.nesterov)
            self.weight_decay.setValue(config.weight_decay)
            self.schedule.setCurrentIndex(self.schedule.findData(config.schedule))
            self.step_epochs.setValue(config.step_epochs)
            self.decay_factor.setValue(config.decay_factor)
            self.plateau_patience.setValue(config.plateau_patience)
            self.min_learning_rate.setValue(config.min_learning_rate)
            self.batch_size.setValue(config.batch_size)
            self.epochs.setValue(config.epochs)
            self.validation.setChecked(config.validation)
            self.early.setChecked(config.early_stopping)
            self.monitor.setCurrentText(config.monitor)
            self.patience.setValue(config.patience)
            self.min_delta.setValue(config.min_delta)
            self.restore_best.setChecked(config.restore_best)
            custom = self.class_weight.findData("custom")
            if custom >= 0:
                self.class_weight.removeItem(custom)
            cw = config.class_weight
            if isinstance(cw, dict):  # set in the file: offered as its own choice
                self._custom_class_weight = dict(cw)
                shown = ", ".join(f"{k}: {v:g}" for k, v in cw.items())
                self.class_weight.addItem(f"Custom ({shown})", "custom")
                cw = "custom"
            self.class_weight.setCurrentIndex(self.class_weight.findData(cw))
            self.fixed_seed.setChecked(config.seed is not None)
            if config.seed is not None:
                self.seed.setValue(config.seed)
            self._select_device(config.device)
            self.mixed_precision.setChecked(config.mixed_precision)
            self.probe_budget.setValue(round(config.probe_budget * 100))
            self._shuffle = config.shuffle
        finally:
            self._loading = False
        self._update_enabled()

    def config(self) -> TrainingConfig:
        """The settings shown (``ConfigError`` if a combination is not usable)."""
        class_weight: Any = self.class_weight.currentData()
        if class_weight == "custom":
            class_weight = dict(self._custom_class_weight or {})
        return TrainingConfig(
            optimizer=self.optimizer.currentData(),
            learning_rate=self.learning_rate.value(),
            momentum=self.momentum.value(),
            nesterov=self.nesterov.isChecked(),
            weight_decay=self.weight_decay.value(),
            schedule=self.schedule.currentData(),
            step_epochs=self.step_epochs.value(),
            decay_factor=self.decay_factor.value(),
            plateau_patience=self.plateau_patience.value(),
            min_learning_rate=self.min_learning_rate.value(),
            batch_size=self.batch_size.value(),
            epochs=self.epochs.value(),
            validation=self.validation.isChecked(),
            shuffle=self._shuffle,
            early_stopping=self.early.isChecked(),
            monitor=self.monitor.currentText().strip() or "val_loss",
            patience=self.patience.value(),
            min_delta=self.min_delta.value(),
            restore_best=self.restore_best.isChecked(),
            class_weight=class_weight,
            seed=self.seed.value() if self.fixed_seed.isChecked() else None,
            device=self.device.currentData() or "auto",
            mixed_precision=self.mixed_precision.isChecked(),
            probe_budget=self.probe_budget.value() / 100.0,
            extra=dict(self._extra),
        )

    def set_devices(self, devices: Sequence[Any]) -> None:
        """Offer each device (``Device`` objects: ``id``, ``name``, ``mixed_precision``)."""
        current = self.device.currentData()
        self._loading = True
        try:
            self.device.clear()
            self.device.addItem("Automatic", "auto")
            self._mixed_ok = {"auto": any(d.mixed_precision for d in devices)}
            for d in devices:
                label = d.name if d.id == "cpu" else f"{d.id.upper()}: {d.name}"
                self.device.addItem(label, d.id)
                self._mixed_ok[d.id] = d.mixed_precision
            self._select_device(current or "auto")
        finally:
            self._loading = False
        self._update_enabled()

    def _select_device(self, device: str) -> None:
        index = self.device.findData(device)
        if index < 0:  # a GPU named in the file but not (yet) listed here
            self.device.addItem(device.upper(), device)
            index = self.device.count() - 1
        self.device.setCurrentIndex(index)

    def set_outputs(self, rows: Iterable[tuple[str, str, str, list[str]]]) -> None:
        """The declared outputs as ``(node_id, name, loss, metrics)``."""
        self.outputs.blockSignals(True)
        try:
            rows = list(rows)
            self.outputs.setRowCount(len(rows))
            for r, (node_id, name, loss, metrics) in enumerate(rows):
                item = QTableWidgetItem(name)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                item.setData(Qt.ItemDataRole.UserRole, node_id)
                self.outputs.setItem(r, 0, item)
                combo = QComboBox()
                combo.setEditable(True)
                combo.addItems(LOSSES)
                combo.setCurrentText(loss)
                combo.activated.connect(lambda _i, row=r: self._output_edited(row))
                combo.lineEdit().editingFinished.connect(lambda row=r: self._output_edited(row))
                self.outputs.setCellWidget(r, 1, combo)
                edit = QLineEdit(", ".join(metrics))
                edit.setPlaceholderText("accuracy, mae, …")
                edit.editingFinished.connect(lambda row=r: self._output_edited(row))
                self.outputs.setCellWidget(r, 2, edit)
            self.outputs.resizeColumnToContents(0)
        finally:
            self.outputs.blockSignals(False)

    def _output_edited(self, row: int) -> None:
        item = self.outputs.item(row, 0)
        combo = self.outputs.cellWidget(row, 1)
        edit = self.outputs.cellWidget(row, 2)
        if item is None or combo is None or edit is None:
            return
        metrics = [m.strip() for m in edit.text().split(",") if m.strip()]
        self.output_changed.emit(
            item.data(Qt.ItemDataRole.UserRole), combo.currentText().strip(), metrics
        )

    def _edited(self, *_: Any) -> None:
        self._update_enabled()
        if self._loading:
            return
        try:
            config = self.config()
        except ConfigError as exc:
            self.status_label.setText(str(exc))
            return
        self.config_changed.emit(config)

    def _update_enabled(self) -> None:
        opt = self.optimizer.currentData()
        sched = self.schedule.currentData()
        rows = {
            self.momentum: opt == "sgd",
            self.nesterov: opt == "sgd",
            self.weight_decay: opt == "adamw",
            self.step_epochs: sched == "step",
            self.decay_factor: sched in ("step", "plateau"),
            self.plateau_patience: sched == "plateau",
            self.min_learning_rate: sched in ("cosine", "plateau"),
        }
        for widget, shown in rows.items():
            self._opt_form.setRowVisible(widget, shown)
        self.seed.setEnabled(self.fixed_seed.isChecked())
        ok = self._mixed_ok.get(self.device.currentData(), False)
        self.mixed_precision.setEnabled(ok or self.mixed_precision.isChecked())
        self.mixed_precision.setToolTip(
            "" if ok else "No GPU that computes fast in float16 is selected: the run uses float32."
        )

    # -- state and progress -------------------------------------------------------------
    def set_can_start(self, ok: bool, reason: str = "") -> None:
        """Whether Train may be pressed (the reason shows on the button when not)."""
        self._can_start = (ok, reason)
        self._apply_state()

    def set_state(self, state: str) -> None:
        """``idle``, ``running`` or ``paused``."""
        self._state = state
        self._apply_state()

    @property
    def state(self) -> str:
        """The state shown."""
        return self._state

    def _apply_state(self) -> None:
        idle = self._state == IDLE
        ok, reason = self._can_start
        self.start_button.setEnabled(idle and ok)
        self.start_button.setToolTip("" if ok else reason)
        self.pause_button.setEnabled(not idle)
        paused = self._state == PAUSED
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.setIcon(
            self.style().standardIcon(SP.SP_MediaPlay if paused else SP.SP_MediaPause)
        )
        self.stop_button.setEnabled(not idle)
        for box in (
            self.batch_size,
            self.epochs,
            self.optimizer,
            self.schedule,
            self.device,
            self.mixed_precision,
            self.class_weight,
            self.validation,
            self.outputs,
        ):
            box.setEnabled(idle)
        if idle and not ok:
            self.status_label.setText(reason)
            self._blocked_text = reason
        elif self._blocked_text and self.status_label.text() == self._blocked_text:
            self.status_label.setText("Ready: press Train.")  # the old reason no longer holds
            self._blocked_text = ""

    def _pause_or_resume(self) -> None:
        if self._state == PAUSED:
            self.resume_clicked.emit()
        else:
            self.pause_clicked.emit()

    def reset_progress(self) -> None:
        """Empty bars for a new run."""
        self._epochs = self._steps = None
        for bar in (self.epoch_bar, self.run_bar):
            bar.setRange(0, 100)
            bar.setValue(0)
        self.epoch_label.setText("Epoch –")
        self.run_label.setText("Run –")

    def handle_events(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Progress from a batch of run events (only the newest batch event is drawn)."""
        last_batch = None
        for e in events:
            kind = e["type"]
            if kind == "start":
                self._epochs, self._steps = e.get("epochs"), e.get("steps")
                self.status_label.setText("Training…")
            elif kind == "batch":
                last_batch = e
            elif kind == "epoch":
                logs = "  ".join(
                    f"{k} {v:.4g}" for k, v in e["logs"].items() if k != "learning_rate"
                )
                self.log(f"Epoch {e['epoch'] + 1}: {logs}")
            elif kind == "paused":
                self.status_label.setText(
                    f"Paused after epoch {e['epoch'] + 1}, batch {e['batch'] + 1}."
                )
            elif kind == "resumed":
                self.status_label.setText("Training…")
            elif kind == "log":
                self.log(e["text"], e.get("level", "info"))
        if last_batch is not None:
            self._show_batch(last_batch)

    def _show_batch(self, e: Mapping[str, Any]) -> None:
        steps = e.get("steps") or self._steps
        epochs = self._epochs
        done = e["batch"] + 1
        epoch = e["epoch"]
        if steps:
            self.epoch_bar.setRange(0, steps)
            self.epoch_bar.setValue(min(done, steps))
        epoch_eta = eta_seconds(done, steps, e["epoch_elapsed"])
        self.epoch_label.setText(
            f"Epoch {epoch + 1}/{epochs or '?'} · batch {done}/{steps or '?'} · "
            f"{format_duration(e['epoch_elapsed'])} · ETA {format_duration(epoch_eta)}"
        )
        if steps and epochs:
            total = steps * epochs
            run_done = epoch * steps + done
            self.run_bar.setRange(0, total)
            self.run_bar.setValue(min(run_done, total))
            run_eta = eta_seconds(run_done, total, e["elapsed"])
        else:
            run_eta = None
        rate = e.get("samples_per_s")
        speed = f" · {rate:,.0f} samples/s" if rate else ""
        self.run_label.setText(
            f"Run {format_duration(e['elapsed'])} · ETA {format_duration(run_eta)}{speed}"
        )

    def log(self, text: str, level: str = "info") -> None:
        """Append a line to the run log."""
        prefix = {"warning": "⚠ ", "error": "✖ "}.get(level, "")
        self.log_view.appendPlainText(prefix + text)

    def show_status(self, text: str) -> None:
        """The one-line status above the bars."""
        self.status_label.setText(text)
