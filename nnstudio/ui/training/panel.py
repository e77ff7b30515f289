"""The training panel: the run's settings, the outputs' losses and metrics, Start / Pause /
Resume / Stop, progress bars with elapsed time and ETA, and the run log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.objectives import LOSSES
from nnstudio.core.training.config import ConfigError, TrainingConfig
from nnstudio.core.training.state import eta_seconds, format_duration
from nnstudio.ui.gan.settings import GanSettings
from nnstudio.ui.param_editors import WheelSafeComboBox
from nnstudio.ui.training.settings_form import SettingsForm

IDLE, RUNNING, PAUSED = "idle", "running", "paused"
SP = QStyle.StandardPixmap
_LOCKED_WHILE_RUNNING = (
    "batch_size",
    "epochs",
    "optimizer",
    "schedule",
    "device",
    "devices",
    "mixed_precision",
    "class_weight",
    "validation",
)


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
        self._shuffle = True
        self._build()
        self.set_config(TrainingConfig())
        self._apply_state()

    # -- building ---------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(4)
        outer.addLayout(self._build_buttons())
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
        for w in (self.epoch_label, self.run_label):
            w.setWordWrap(True)
        for label, bar in ((self.epoch_label, self.epoch_bar), (self.run_label, self.run_bar)):
            outer.addWidget(label)
            outer.addWidget(bar)

        self.form = SettingsForm()
        for name, widget in self.form.widgets.items():  # panel.batch_size, panel.optimizer, ...
            setattr(self, "early" if name == "early_stopping" else name, widget)
        self.fixed_seed = self.form.fixed_seed
        self.form.edited.connect(self._edited)
        self.gan = GanSettings()  # TrainingConfig.gan (ui.gan.settings)
        self.gan.edited.connect(self._edited)
        host = QWidget()
        form_layout = QVBoxLayout(host)
        form_layout.setContentsMargins(0, 0, 0, 0)
        form_layout.addWidget(self.form)
        form_layout.addWidget(self.gan)
        form_layout.addWidget(self._build_outputs())
        form_layout.addStretch(1)
        self.settings_scroll = QScrollArea()
        self.settings_scroll.setWidgetResizable(True)
        self.settings_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.settings_scroll.setWidget(host)
        self.settings_scroll.setMinimumHeight(160)

        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(2000)
        self.log_view.setPlaceholderText("The run's messages appear here.")
        self.log_view.setMinimumHeight(5 * self.fontMetrics().lineSpacing())  # five lines
        split = QSplitter(Qt.Orientation.Vertical)  # the user may give the log more room
        split.addWidget(self.settings_scroll)
        split.addWidget(self.log_view)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        outer.addWidget(split, 1)

    def _build_buttons(self) -> QHBoxLayout:
        buttons = QHBoxLayout()
        style = self.style()
        self.start_button = QPushButton(style.standardIcon(SP.SP_MediaPlay), "Train")
        self.start_button.setObjectName("trainButton")
        self.pause_button = QPushButton(style.standardIcon(SP.SP_MediaPause), "Pause")
        self.stop_button = QPushButton(style.standardIcon(SP.SP_MediaStop), "Stop")
        for b in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(b)
        self.start_button.clicked.connect(self.start_clicked)
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.stop_button.clicked.connect(self.stop_clicked)
        return buttons

    def _build_outputs(self) -> QGroupBox:
        outs = QGroupBox("Outputs: loss and metrics")
        v = QVBoxLayout(outs)
        self.outputs = QTableWidget(0, 3)
        self.outputs.setHorizontalHeaderLabels(["Output", "Loss", "Metrics"])
        self.outputs.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.outputs.verticalHeader().hide()
        self.outputs.setMinimumHeight(90)
        v.addWidget(self.outputs)
        return outs

    # -- configuration ------------------------------------------------------------------
    def set_config(self, config: TrainingConfig) -> None:
        """Show ``config`` in the form (no ``config_changed``)."""
        self._loading = True
        try:
            self._extra = dict(config.extra)
            self._shuffle = config.shuffle
            self.form.set_values(config.to_json())
            self.gan.set_config(config.gan)
        finally:
            self._loading = False
        self._update_enabled()

    def config(self) -> TrainingConfig:
        """The settings shown (``ConfigError`` if a combination is not usable)."""
        values = self.form.values()
        return TrainingConfig(
            **values, shuffle=self._shuffle, gan=self.gan.config(), extra=dict(self._extra)
        )

    def set_devices(self, devices: Sequence[Any]) -> None:
        """Offer each device (``Device`` objects: ``id``, ``name``, ``mixed_precision``)."""
        self._loading = True
        try:
            self._mixed_ok = {"auto": any(d.mixed_precision for d in devices)}
            self._mixed_ok.update({d.id: d.mixed_precision for d in devices})
            self.form.set_devices(devices)
        finally:
            self._loading = False
        self._update_enabled()

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
                self.outputs.setCellWidget(r, 1, self._loss_combo(r, loss))
                edit = QLineEdit(", ".join(metrics))
                edit.setPlaceholderText("accuracy, mae, …")
                edit.editingFinished.connect(lambda row=r: self._output_edited(row))
                self.outputs.setCellWidget(r, 2, edit)
            self.outputs.resizeColumnToContents(0)
            self.outputs.resizeColumnToContents(1)
        finally:
            self.outputs.blockSignals(False)

    def _loss_combo(self, row: int, loss: str) -> QComboBox:
        combo = WheelSafeComboBox()
        combo.setEditable(True)
        for entry in LOSSES:  # the core's loss registry, its help as each item's tooltip
            combo.addItem(entry.name)
            combo.setItemData(combo.count() - 1, entry.help, Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentText(loss)
        # As wide as the chosen loss (the column sizes to it), not as the longest one.
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(max(len(loss), 8))
        combo.setToolTip(loss)
        combo.activated.connect(lambda _i, row=row: self._output_edited(row))
        line = combo.lineEdit()
        assert line is not None
        line.setCursorPosition(0)  # the start of a long name, not its end
        line.editingFinished.connect(lambda row=row: self._output_edited(row))
        return combo

    def _output_edited(self, row: int) -> None:
        item = self.outputs.item(row, 0)
        combo = self.outputs.cellWidget(row, 1)
        edit = self.outputs.cellWidget(row, 2)
        if item is None or not isinstance(combo, QComboBox) or not isinstance(edit, QLineEdit):
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
        self.form.update_visibility()
        mixed = self.form.widgets["mixed_precision"]
        assert isinstance(mixed, QCheckBox)
        device = self.form.widgets["device"]
        assert isinstance(device, QComboBox)
        ok = self._mixed_ok.get(device.currentData(), False)
        mixed.setEnabled(ok or mixed.isChecked())
        mixed.setToolTip(
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
        for name in _LOCKED_WHILE_RUNNING:
            self.form.widgets[name].setEnabled(idle)
        self.outputs.setEnabled(idle)
        self.gan.set_running(not idle)
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
        """The one-line status above the bars (as a sentence: "Completed 3 epochs")."""
        self.status_label.setText(text[:1].upper() + text[1:])
