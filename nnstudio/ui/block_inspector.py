"""The inspector's section for a block use: its definition (renamed here), description,
layers, how many times it repeats (a spin box) and a button that opens it; each change is one
undo step and every use of the definition follows."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from nnstudio.core.graph.command import Command
from nnstudio.core.graph.model import EditRefused, Graph, Node

MAX_REPEAT = 1000


class BlockSection(QGroupBox):
    """Definition, description, layer count, ``repeat`` and Open Block for one use."""

    def __init__(
        self,
        graph: Graph,
        node: Node,
        push: Callable[[Command], bool],
        open_block: Callable[[str], object] | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Block", parent)
        self.setObjectName("blockSection")
        self.graph = graph
        self.node_id = node.id
        self.push = push
        form = QFormLayout(self)
        self.definition_label = QLineEdit()
        self.definition_label.setObjectName("blockDefinition")
        self.definition_label.setToolTip("The block definition's name (every use shows it)")
        self.definition_label.editingFinished.connect(self._rename_definition)
        self.description_label = QLineEdit()
        self.description_label.setObjectName("blockDescription")
        self.description_label.setPlaceholderText("What the block does")
        self.description_label.editingFinished.connect(self._describe)
        self.layers_label = QLabel()
        self.repeat_spin = QSpinBox()
        self.repeat_spin.setObjectName("blockRepeat")
        self.repeat_spin.setRange(1, MAX_REPEAT)
        self.repeat_spin.setToolTip(
            "How many chained copies of the block, each with its own weights "
            "(copy k's outputs feed copy k + 1's inputs)."
        )
        self.repeat_spin.setKeyboardTracking(False)
        self.repeat_spin.valueChanged.connect(self._repeat_changed)
        self.error = QLabel()
        self.error.setStyleSheet("color: #d64545;")
        self.error.setWordWrap(True)
        self.error.hide()
        form.addRow("Definition", self.definition_label)
        form.addRow("Description", self.description_label)
        form.addRow("Layers", self.layers_label)
        form.addRow("Repeat", self.repeat_spin)
        form.addRow(self.error)
        self.open_button = QPushButton("Open Block")
        self.open_button.setToolTip("Edit the block's layers on their own canvas (Enter)")
        self.open_button.setEnabled(open_block is not None)
        if open_block is not None:
            self.open_button.clicked.connect(lambda: open_block(self.node_id))
        form.addRow(self.open_button)
        self.refresh()

    def refresh(self) -> None:
        """Show the use's current values."""
        node = self.graph.nodes.get(self.node_id)
        if node is None:
            return
        name = str(node.params.get("definition", ""))
        definition = getattr(self.graph, "blocks", {}).get(name)
        if not self.definition_label.hasFocus():
            self.definition_label.setText(name if definition is not None else f"{name} (missing)")
        if not self.description_label.hasFocus():
            self.description_label.setText(getattr(definition, "description", "") or "")
            self.description_label.setCursorPosition(0)
        inner = definition.graph.nodes.values() if definition is not None else []
        count = sum(1 for n in inner if n.key != "Input")
        ins = len(definition.input_ports()) if definition is not None else 0
        outs = len(definition.output_ports()) if definition is not None else 0
        self.layers_label.setText(f"{count} · {ins} input(s), {outs} output(s)")
        repeat = node.params.get("repeat", 1)
        self.repeat_spin.blockSignals(True)
        self.repeat_spin.setValue(repeat if isinstance(repeat, int) else 1)
        self.repeat_spin.blockSignals(False)

    def _repeat_changed(self, value: int) -> None:
        from nnstudio.core.graph.block_commands import SetRepeat

        node = self.graph.nodes.get(self.node_id)
        if node is None or node.params.get("repeat", 1) == value:
            return
        self._run(lambda: SetRepeat(self.graph, self.node_id, value))

    def _definition(self) -> str:
        node = self.graph.nodes.get(self.node_id)
        return str(node.params.get("definition", "")) if node is not None else ""

    def _rename_definition(self) -> None:
        from nnstudio.core.graph.block_commands import RenameBlock

        old, new = self._definition(), self.definition_label.text().strip()
        if new and new != old:
            self._run(lambda: RenameBlock(self.graph, old, new))

    def _describe(self) -> None:
        from nnstudio.core.graph.block_commands import SetBlockDescription

        name = self._definition()
        definition = self.graph.blocks.get(name)
        text = self.description_label.text().strip()
        if definition is not None and text != definition.description:
            self._run(lambda: SetBlockDescription(self.graph, name, text))

    def _run(self, factory: Callable[[], Command]) -> None:
        try:
            command = factory()
        except EditRefused as exc:
            self.error.setText(str(exc))
            self.error.show()
            self.refresh()
            return
        self.error.hide()
        if not self.push(command):
            self.refresh()

    def set_locked(self, locked: bool) -> None:
        """Read-only while the model is locked."""
        self.repeat_spin.setEnabled(not locked)
        self.definition_label.setReadOnly(locked)
        self.description_label.setReadOnly(locked)
