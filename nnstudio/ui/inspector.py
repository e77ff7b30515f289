"""The inspector: a form generated from the selected layer's catalog spec.

It shows the layer's name, type and help, its output shape and parameter count, its issues,
one typed editor per parameter and the model-output settings.  Every change is a core
command (one undo step); a value the core refuses is shown in place with the reason and the
model is left unchanged.  Right-clicking a parameter (its label or field) offers "Sweep
this", emitted as ``sweep_requested(node id, parameter name)``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.graph import model as gm
from nnstudio.core.graph.check import CheckResult
from nnstudio.core.graph.commands import (
    Command,
    Rename,
    SetOutput,
    SetParam,
    UndeclareOutput,
)
from nnstudio.core.graph.model import EditRefused, Graph
from nnstudio.core.graph.shapes import format_shape
from nnstudio.core.objectives import LOSSES, default_loss_and_metrics, output_task
from nnstudio.ui.backbone_view import BACKBONE_KEY, backbone_box
from nnstudio.ui.block_inspector import BlockSection
from nnstudio.ui.canvas.block_items import BLOCK_KEY
from nnstudio.ui.param_editors import (
    ParamEditor,
    WheelSafeComboBox,
    add_sweep_menu,
    parse_scalar,
)
from nnstudio.ui.resources import category_icon
from nnstudio.ui.theme import canvas_colors, format_bytes, format_count

Push = Callable[[Command], bool]


def _muted(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


class Inspector(QScrollArea):
    """Shows and edits the selected node(s); ``push`` applies a command for it."""

    sweep_requested = Signal(str, str)  # node id, parameter name

    def __init__(self, push: Push, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inspector")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.push = push
        self.graph: Graph | None = None
        self.node_id: str | None = None
        self.selection: list[str] = []
        self.result: CheckResult | None = None
        self.pending_shapes = True
        self.locked_reason: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self._body: QWidget | None = None
        self.name_edit: QLineEdit | None = None
        self.name_error: QLabel | None = None
        self.shape_label: QLabel | None = None
        self.params_label: QLabel | None = None
        self.issues_label: QLabel | None = None
        self.output_box: QCheckBox | None = None
        self.loss_combo: QComboBox | None = None
        self.metrics_edit: QLineEdit | None = None
        self.weight_edit: QLineEdit | None = None
        self.output_error: QLabel | None = None
        self._output_rows: list[QWidget] = []
        self.lock_banner: QLabel | None = None
        self.summary_label: QLabel | None = None
        self._rebuild()

    # -- wiring -----------------------------------------------------------------------
    def set_graph(self, graph: Graph) -> None:
        """Inspect another graph (a new project)."""
        if self.graph is not None:
            self.graph.unsubscribe(self._on_event)
        self.graph = graph
        graph.subscribe(self._on_event)
        self.result = None
        self.show_nodes([])

    def show_nodes(self, node_ids: list[str]) -> None:
        """Inspect this selection (one node: its form; none or several: a summary)."""
        self.selection = list(node_ids)
        self.node_id = node_ids[0] if len(node_ids) == 1 else None
        self._rebuild()

    def apply_check(self, result: CheckResult, pending_shapes: bool) -> None:
        """Show a new check result (shape, parameters and issues of the node)."""
        self.result = result
        self.pending_shapes = pending_shapes
        self._refresh_check()

    def set_locked(self, reason: str | None) -> None:
        """Make the form read-only (``reason`` shown) or editable again."""
        self.locked_reason = reason
        self._apply_lock()

    def _on_event(self, event: str, payload: Any) -> None:
        if event in (gm.NODE_CHANGED,) and self.node_id == payload.id:
            self._refresh_values()
        elif event == gm.NODE_REMOVED and payload.id in self.selection:
            self.show_nodes([n for n in self.selection if n != payload.id])
        elif event == gm.OUTPUTS_CHANGED and self.node_id is not None:
            self._refresh_output()
        elif event in (gm.NODE_ADDED, gm.NODE_REMOVED) and self.node_id is None:
            self._refresh_check()

    # -- building ---------------------------------------------------------------------
    def _rebuild(self) -> None:
        self.editors = {}
        self.name_edit = self.name_error = self.shape_label = self.params_label = None
        self.issues_label = self.output_box = self.loss_combo = self.metrics_edit = None
        self.weight_edit = self.output_error = self.summary_label = None
        self.block_section: BlockSection | None = None
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(10)
        self.lock_banner = QLabel(body)
        self.lock_banner.setObjectName("lockBanner")
        self.lock_banner.setWordWrap(True)
        self.lock_banner.hide()
        layout.addWidget(self.lock_banner)
        graph = self.graph
        if graph is not None and self.node_id is not None and self.node_id in graph.nodes:
            self._build_node_form(layout, self.node_id)
        else:
            self._build_summary(layout)
        layout.addStretch(1)
        self.setWidget(body)  # the scroll area deletes the previous body
        self._body = body
        self._refresh_values()
        self._refresh_check()
        self._apply_lock()

    def _build_node_form(self, layout: QVBoxLayout, node_id: str) -> None:
        assert self.graph is not None
        node = self.graph.nodes[node_id]
        spec = node.spec
        head = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(category_icon(spec.category).pixmap(28, 28))
        head.addWidget(icon)
        self.name_edit = QLineEdit(node.name)
        self.name_edit.setObjectName("nameEdit")
        font = self.name_edit.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.name_edit.setFont(font)
        self.name_edit.setToolTip("The layer's name (unique; used in the Keras model).")
        self.name_edit.editingFinished.connect(self._rename)
        head.addWidget(self.name_edit, 1)
        layout.addLayout(head)
        self.name_error = QLabel()
        self.name_error.setStyleSheet("color: #d64545;")
        self.name_error.setWordWrap(True)
        self.name_error.hide()
        layout.addWidget(self.name_error)
        layout.addWidget(_muted(f"{spec.display} · {spec.category}"))
        help_label = QLabel(spec.help)
        help_label.setWordWrap(True)
        help_label.setObjectName("layerHelp")
        layout.addWidget(help_label)

        info = QGroupBox("Output")
        form = QFormLayout(info)
        self.shape_label = QLabel("—")
        self.shape_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.params_label = QLabel("—")
        form.addRow("Shape", self.shape_label)
        form.addRow("Parameters", self.params_label)
        self.issues_label = QLabel()
        self.issues_label.setWordWrap(True)
        self.issues_label.setTextFormat(Qt.TextFormat.RichText)
        self.issues_label.hide()
        form.addRow(self.issues_label)
        layout.addWidget(info)

        if node.key == BLOCK_KEY:  # a block use: its own section instead of raw parameters
            blocks = getattr(self.window(), "blocks", None)
            opener = blocks.open_block if blocks is not None else None
            self.block_section = BlockSection(self.graph, node, self.push, opener)
            layout.addWidget(self.block_section)
        elif spec.params:
            box = QGroupBox("Parameters")
            params_form = QFormLayout(box)
            params_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for param in spec.params:
                editor = ParamEditor(param)
                editor.committed.connect(self._param_committed)
                editor.sweep_requested.connect(self._sweep_requested)
                label = QLabel(param.name.replace("_", " "))
                label.setToolTip(param.help)
                if editor.sweepable:
                    add_sweep_menu(label, lambda n=param.name: self._sweep_requested(n))
                params_form.addRow(label, editor)
                self.editors[param.name] = editor
            layout.addWidget(box)
        if spec.key == BACKBONE_KEY:
            layout.addWidget(
                backbone_box(
                    lambda: spec.validate_params(node.params)[0],
                    lambda: node.name,
                    self._param_committed,
                    self,
                )
            )

        if not spec.is_input:
            layout.addWidget(self._build_output_box())

    def _build_output_box(self) -> QGroupBox:
        box = QGroupBox("Model output")
        form = QFormLayout(box)
        self.output_box = QCheckBox("Model output")
        self.output_box.setToolTip(
            "Return this layer's output from the model and train it with the loss below."
        )
        self.output_box.clicked.connect(self._output_toggled)
        form.addRow(self.output_box)
        self.loss_combo = WheelSafeComboBox()
        self.loss_combo.setEditable(True)
        self.loss_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.loss_combo.setMinimumContentsLength(12)
        for entry in LOSSES:
            self.loss_combo.addItem(entry.name)
            self.loss_combo.setItemData(
                self.loss_combo.count() - 1, entry.help, Qt.ItemDataRole.ToolTipRole
            )
        self.loss_combo.setToolTip("The loss this output is trained with (a Keras loss name).")
        self.loss_combo.activated.connect(lambda _: self._output_changed())
        self.loss_combo.lineEdit().editingFinished.connect(self._output_changed)
        self.metrics_edit = QLineEdit()
        self.metrics_edit.setPlaceholderText("e.g. accuracy")
        self.metrics_edit.setToolTip("Metrics reported for this output, comma separated.")
        self.metrics_edit.editingFinished.connect(self._output_changed)
        self.weight_edit = QLineEdit()
        self.weight_edit.setToolTip("Weight of this output's loss when there are several.")
        self.weight_edit.editingFinished.connect(self._output_changed)
        self._output_rows = []
        for text, field in (
            ("Loss", self.loss_combo),
            ("Metrics", self.metrics_edit),
            ("Loss weight", self.weight_edit),
        ):
            label = QLabel(text)
            form.addRow(label, field)
            self._output_rows += [label, field]
        self.output_error = QLabel()
        self.output_error.setStyleSheet("color: #d64545;")
        self.output_error.setWordWrap(True)
        self.output_error.hide()
        form.addRow(self.output_error)
        return box

    def _build_summary(self, layout: QVBoxLayout) -> None:
        title = QLabel()
        title.setObjectName("summaryTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        title.setFont(font)
        if self.selection:
            title.setText(f"{len(self.selection)} layers selected")
        else:
            title.setText("Model")
        layout.addWidget(title)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.summary_label)
        if not self.selection:
            layout.addWidget(
                _muted(
                    "Select a layer to edit its settings. Drag layers from the palette onto the "
                    "canvas, or press Tab on the canvas to search for one. Drag from a layer's "
                    "output port (right) to another layer's input port (left) to connect them."
                )
            )

    # -- refreshing -------------------------------------------------------------------
    def _refresh_values(self) -> None:
        graph = self.graph
        if graph is None or self.node_id is None or self.node_id not in graph.nodes:
            return
        node = graph.nodes[self.node_id]
        if self.name_edit is not None and not self.name_edit.hasFocus():
            self.name_edit.setText(node.name)
        for name, editor in self.editors.items():
            if editor.field.hasFocus() and editor.has_error():
                continue
            editor.set_value(node.params.get(name, editor.param.default))
        if self.block_section is not None:
            self.block_section.refresh()
        self._refresh_output()

    def _refresh_output(self) -> None:
        graph = self.graph
        if graph is None or self.output_box is None or self.node_id is None:
            return
        decl = graph.output_decl(self.node_id)
        self.output_box.setChecked(decl is not None)
        for w in (self.loss_combo, self.metrics_edit, self.weight_edit):
            w.setEnabled(self.locked_reason is None)
        for row in self._output_rows:
            row.setVisible(decl is not None)
        if decl is not None:
            self.loss_combo.setCurrentText(decl.loss)
            self.loss_combo.lineEdit().setCursorPosition(0)
            self.metrics_edit.setText(", ".join(decl.metrics))
            self.weight_edit.setText(f"{decl.loss_weight:g}")

    def _refresh_check(self) -> None:
        result = self.result
        if self.summary_label is not None:
            self.summary_label.setText(self._summary_html())
            return
        if self.shape_label is None or self.node_id is None:
            return
        shape = result.shapes.get(self.node_id) if result else None
        if shape is not None and shape.shape is not None:
            self.shape_label.setText(f"{format_shape(shape.shape)} · {shape.dtype}")
            trainable = (
                f" ({format_count(shape.trainable)} trainable)"
                if shape.trainable != shape.params
                else ""
            )
            self.params_label.setText(f"{format_count(shape.params)}{trainable}")
        elif self.pending_shapes:
            self.shape_label.setText("pending — the engine is loading")
            self.params_label.setText("pending")
        else:
            self.shape_label.setText("unknown (see the issues)")
            self.params_label.setText("—")
        issues = result.for_node(self.node_id) if result else []
        if issues:
            colors = canvas_colors()
            parts = []
            for issue in issues:
                color = colors.severity(issue.severity).name()
                parts.append(f"<p style='color:{color}; margin:0'>{html.escape(issue.message)}</p>")
                if issue.hint:
                    parts.append(
                        f"<p style='margin:2px 0 6px 0'><i>{html.escape(issue.hint)}</i></p>"
                    )
            self.issues_label.setText("".join(parts))
            self.issues_label.show()
        else:
            self.issues_label.hide()

    def _summary_html(self) -> str:
        graph, result = self.graph, self.result
        if graph is None:
            return ""
        ids = self.selection or list(graph.nodes)
        lines = [f"{len(ids)} layer{'s' if len(ids) != 1 else ''}"]
        if result is not None and not self.pending_shapes:
            total = sum(result.shapes[n].params for n in ids if n in result.shapes)
            trainable = sum(result.shapes[n].trainable for n in ids if n in result.shapes)
            lines.append(f"{format_count(total)} parameters ({format_count(trainable)} trainable)")
            lines.append(f"weights ≈ {format_bytes(4 * total)} as float32")
        elif self.pending_shapes:
            lines.append("parameters pending — the engine is loading")
        if result is not None:
            errors = sum(
                1
                for i in result.issues
                if i.severity == "error" and (not self.selection or i.node in ids)
            )
            warnings = sum(
                1
                for i in result.issues
                if i.severity == "warning" and (not self.selection or i.node in ids)
            )
            lines.append(
                f"{errors} error{'s' if errors != 1 else ''}, "
                f"{warnings} warning{'s' if warnings != 1 else ''}"
            )
        if self.selection:
            names = ", ".join(html.escape(graph.nodes[n].name) for n in ids[:8] if n in graph.nodes)
            lines.append(f"<i>{names}{'…' if len(ids) > 8 else ''}</i>")
        return "<br>".join(lines)

    def _apply_lock(self) -> None:
        locked = self.locked_reason is not None
        if self.lock_banner is not None:
            self.lock_banner.setText(f"Editing is locked: {self.locked_reason}" if locked else "")
            self.lock_banner.setVisible(locked)
        for editor in self.editors.values():
            editor.set_read_only(locked)
        if self.block_section is not None:
            self.block_section.set_locked(locked)
        if self.name_edit is not None:
            self.name_edit.setReadOnly(locked)
        if self.output_box is not None:
            self.output_box.setEnabled(not locked)
            self._refresh_output()

    # -- edits ------------------------------------------------------------------------
    def _param_committed(self, name: str, value: Any) -> None:
        graph, node_id = self.graph, self.node_id
        editor = self.editors.get(name)
        if graph is None or node_id is None or editor is None:
            return
        try:
            command = SetParam(graph, node_id, name, value)
        except EditRefused as exc:
            editor.show_error(str(exc))
            return
        if command.new == command.old:
            editor.set_value(command.new[name])
            return
        self.push(command)
        editor.set_value(graph.nodes[node_id].params.get(name))

    def _sweep_requested(self, name: str) -> None:
        if self.node_id is not None:
            self.sweep_requested.emit(self.node_id, name)

    def _rename(self) -> None:
        graph, node_id, edit = self.graph, self.node_id, self.name_edit
        if graph is None or node_id is None or edit is None:
            return
        name = edit.text().strip()
        if name == graph.nodes[node_id].name:
            self.name_error.hide()
            return
        try:
            command = Rename(graph, node_id, name)
        except EditRefused as exc:
            self.name_error.setText(str(exc))
            self.name_error.show()
            return
        self.name_error.hide()
        if not self.push(command):
            edit.setText(graph.nodes[node_id].name)

    def _output_toggled(self, checked: bool) -> None:
        graph, node_id = self.graph, self.node_id
        if graph is None or node_id is None:
            return
        try:
            if checked:
                loss, metrics = _default_output(graph, node_id)
                command: Command = SetOutput(graph, node_id, loss, 1.0, metrics)
            else:
                command = UndeclareOutput(graph, node_id)
        except EditRefused as exc:
            self._show_output_error(str(exc))
            return
        if not self.push(command):
            self._refresh_output()

    def _output_changed(self) -> None:
        graph, node_id = self.graph, self.node_id
        if graph is None or node_id is None or self.loss_combo is None:
            return
        decl = graph.output_decl(node_id)
        if decl is None:
            return
        loss = self.loss_combo.currentText().strip()
        metrics = [m.strip() for m in self.metrics_edit.text().split(",") if m.strip()]
        weight = parse_scalar(self.weight_edit.text(), "float")
        if not loss:
            self._show_output_error("The loss needs a name, e.g. mse.")
            return
        if not isinstance(weight, float) or weight < 0:
            self._show_output_error("The loss weight must be a number ≥ 0.")
            return
        if (loss, metrics, weight) == (decl.loss, decl.metrics, decl.loss_weight):
            self._show_output_error(None)
            return
        self._show_output_error(None)
        if not self.push(SetOutput(graph, node_id, loss, weight, metrics)):
            self._refresh_output()

    def _show_output_error(self, message: str | None) -> None:
        if self.output_error is None:
            return
        self.output_error.setText(message or "")
        self.output_error.setVisible(bool(message))


def _default_output(graph: Graph, node_id: str) -> tuple[str, list[str]]:
    """A sensible loss for a new output, by the core's one default rule: cross-entropy
    after softmax (binary after sigmoid), else mse."""
    node = graph.nodes[node_id]
    return default_loss_and_metrics(output_task(node.key, node.params))
