"""The GAN rows of the training settings: on/off, mode (standard or WGAN-GP), critic steps
and gradient-penalty weight, each network's Adam learning rate and betas, the sample grid,
the latent size and the roles (detected from the graph, each changeable).

:class:`GanSettings` sits in the Train workspace's settings panel
(:class:`~nnstudio.ui.training.panel.TrainingPanel`); it edits
``TrainingConfig.gan`` (a :class:`~nnstudio.core.gan.config.GanConfig`, ``None`` for an
ordinary project) and fires ``edited`` on a change a user makes, so a change becomes one
undoable ``SetTraining`` like any other setting.  The roles offered are the graph's node
names (:meth:`GanSettings.set_graph`); "Detected" leaves a role to
:func:`~nnstudio.core.gan.roles.split_roles`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.gan.config import MAX_CRITIC_STEPS, MAX_GRID, MODES, GanConfig, GanOptimizer
from nnstudio.core.graph.model import Graph
from nnstudio.ui.param_editors import WheelSafeComboBox, WheelSafeDoubleSpinBox, WheelSafeSpinBox

__all__ = ["ROLE_LABELS", "GanSettings", "latent_text"]

#: the roles a user may name, with their labels in the form
ROLE_LABELS = {
    "latent_input": "Noise input",
    "generator_output": "Generator output",
    "discriminator_input": "Discriminator input",
    "discriminator_output": "Discriminator output",
    "label_input": "Class label (generator)",
    "discriminator_label_input": "Class label (discriminator)",
}
_ROLE_ATTR = {  # GanRoles attribute of each role
    "latent_input": "latent",
    "generator_output": "generator_output",
    "discriminator_input": "discriminator_input",
    "discriminator_output": "discriminator_output",
    "label_input": "label",
    "discriminator_label_input": "discriminator_label",
}
ROLE_DELAY_MS = 150  # graph edits in quick succession re-detect the roles once


def latent_text(graph: Graph, node_id: str | None) -> str:
    """The latent size in words, from the noise Input's shape."""
    node = graph.nodes.get(node_id or "")
    if node is None:
        return "no noise Input found"
    shape = node.params.get("shape")
    dims = tuple(shape) if isinstance(shape, list | tuple) else ()
    if len(dims) == 1 and isinstance(dims[0], int):
        return f"{dims[0]} numbers (Input '{node.name}')"
    return f"shape {dims} (Input '{node.name}': should be a flat vector)"


def _float_box(low: float, high: float, step: float, decimals: int, tip: str) -> Any:
    box = WheelSafeDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setToolTip(tip)
    return box


class _OptimizerRow(QWidget):
    """Learning rate, beta 1 and beta 2 of one network's Adam."""

    def __init__(self, who: str, changed: Any) -> None:
        super().__init__()
        grid = QGridLayout(self)  # two short lines: the panel is narrow
        grid.setContentsMargins(0, 0, 0, 0)
        self.lr = _float_box(1e-6, 1.0, 1e-4, 6, f"The {who}'s Adam learning rate")
        self.beta_1 = _float_box(0.0, 0.999, 0.05, 3, f"The {who}'s Adam beta 1 (DCGAN: 0.5)")
        self.beta_2 = _float_box(0.0, 0.9999, 0.001, 4, f"The {who}'s Adam beta 2")
        places = (("lr", self.lr, 0, 0), ("β1", self.beta_1, 1, 0), ("β2", self.beta_2, 1, 2))
        for label, box, row, col in places:
            grid.addWidget(QLabel(label), row, col)
            grid.addWidget(box, row, col + 1, 1, 3 if label == "lr" else 1)
            box.valueChanged.connect(changed)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

    def set(self, opt: GanOptimizer) -> None:
        self.lr.setValue(opt.learning_rate)
        self.beta_1.setValue(opt.beta_1)
        self.beta_2.setValue(opt.beta_2)

    def value(self) -> GanOptimizer:
        return GanOptimizer(self.lr.value(), self.beta_1.value(), self.beta_2.value())


class GanSettings(QGroupBox):
    """The GAN settings (see the module docstring); ``edited`` fires on a user's change."""

    edited = Signal()
    arrange_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("GAN (generative)", parent)
        self.setObjectName("ganSettings")
        self._base = GanConfig()  # the settings not shown (noise seed, unknown keys) ride on
        self._graph: Graph | None = None
        self._loading = False
        self._roles_timer = QTimer(self)
        self._roles_timer.setSingleShot(True)
        self._roles_timer.setInterval(ROLE_DELAY_MS)
        self._roles_timer.timeout.connect(self.refresh_roles)
        outer = QVBoxLayout(self)
        self.enabled_box = QCheckBox("Train as a GAN")
        self.enabled_box.setToolTip(
            "Train the graph's two networks against each other: the generator makes samples "
            "from noise, the discriminator tells them from the data"
        )
        self.enabled_box.toggled.connect(self._toggled)
        outer.addWidget(self.enabled_box)
        self.body = QWidget()
        self.form = QFormLayout(self.body)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addWidget(self.body)
        self._build_rows()
        self.set_config(None)

    # -- building ---------------------------------------------------------------------
    def _build_rows(self) -> None:
        self.mode = WheelSafeComboBox()
        for key, label in MODES.items():
            self.mode.addItem(label, key)
        self.mode.setToolTip(
            "Standard: the non-saturating GAN loss.  WGAN-GP: a critic scored by the "
            "Wasserstein distance with a gradient penalty (steadier, slower per step)"
        )
        self.mode.currentIndexChanged.connect(self._changed)
        self.critic_steps = WheelSafeSpinBox()
        self.critic_steps.setRange(1, MAX_CRITIC_STEPS)
        self.critic_steps.setToolTip("Critic (discriminator) steps per generator step")
        self.critic_steps.valueChanged.connect(self._changed)
        self.gp_weight = _float_box(0.0, 1e4, 1.0, 2, "Weight of the gradient penalty")
        self.gp_weight.valueChanged.connect(self._changed)
        self.generator = _OptimizerRow("generator", self._changed)
        self.discriminator = _OptimizerRow("discriminator", self._changed)
        self.grid = WheelSafeSpinBox()
        self.grid.setRange(1, MAX_GRID)
        self.grid.setSuffix(" × grid")
        self.grid.setToolTip("The sample grid: this many rows and columns of a fixed noise batch")
        self.grid.valueChanged.connect(self._changed)
        self.latent_label = QLabel()
        self.latent_label.setWordWrap(True)
        self.latent_label.setToolTip("The latent size is the shape of the noise Input")
        self.form.addRow("Mode", self.mode)
        self.form.addRow("Critic steps", self.critic_steps)
        self.form.addRow("Gradient penalty", self.gp_weight)
        self.form.addRow("Generator Adam", self.generator)
        self.form.addRow("Discriminator Adam", self.discriminator)
        self.form.addRow("Samples", self.grid)
        self.form.addRow("Latent size", self.latent_label)
        self.roles: dict[str, WheelSafeComboBox] = {}
        for role, label in ROLE_LABELS.items():
            combo = WheelSafeComboBox()
            combo.setToolTip(f"The node that is the {label.lower()}; Detected finds it")
            combo.currentIndexChanged.connect(self._changed)
            self.roles[role] = combo
            self.form.addRow(label, combo)
        self.arrange_button = QPushButton("Arrange the two networks")
        self.arrange_button.setToolTip(
            "Place the generator above the discriminator, each in its own frame (Ctrl+Z undoes it)"
        )
        self.arrange_button.clicked.connect(self.arrange_requested)
        self.form.addRow("", self.arrange_button)
        for combo in (self.mode, *self.roles.values()):  # narrow, not as wide as a long name
            combo.setSizeAdjustPolicy(
                WheelSafeComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(8)

    # -- values -----------------------------------------------------------------------
    def set_config(self, config: GanConfig | None) -> None:
        """Show ``config`` (``None``: not a GAN); emits nothing."""
        self._loading = True
        try:
            self.enabled_box.setChecked(config is not None)
            gan = config or GanConfig()
            self._base = gan
            self.mode.setCurrentIndex(max(self.mode.findData(gan.mode), 0))
            self.critic_steps.setValue(gan.critic_steps)
            self.gp_weight.setValue(gan.gp_weight)
            self.generator.set(gan.generator)
            self.discriminator.set(gan.discriminator)
            self.grid.setValue(gan.grid)
            self._fill_roles(keep=False)
        finally:
            self._loading = False
        self._update_visibility()

    def config(self) -> GanConfig | None:
        """The GAN settings shown (``None`` when "Train as a GAN" is off)."""
        if not self.enabled_box.isChecked():
            return None
        roles = {role: combo.currentData() for role, combo in self.roles.items()}
        return self._base.replace(
            mode=self.mode.currentData(),
            critic_steps=self.critic_steps.value(),
            gp_weight=self.gp_weight.value(),
            generator=self.generator.value(),
            discriminator=self.discriminator.value(),
            grid=self.grid.value(),
            **roles,
        )

    def _toggled(self, _on: bool) -> None:
        if not self._loading:
            self._fill_roles(keep=False)
        self._changed()

    def _changed(self, *_: Any) -> None:
        self._update_visibility()
        if not self._loading:
            self.edited.emit()

    def _update_visibility(self) -> None:
        on = self.enabled_box.isChecked()
        self.body.setVisible(on)
        wgan = self.mode.currentData() == "wgan-gp"
        self.form.setRowVisible(self.critic_steps, wgan)
        self.form.setRowVisible(self.gp_weight, wgan)

    def set_running(self, running: bool) -> None:
        """While a run trains, the settings it uses are shown but not editable."""
        self.enabled_box.setEnabled(not running)
        for w in (self.mode, self.critic_steps, self.gp_weight, self.generator):
            w.setEnabled(not running)
        for w in (self.discriminator, self.grid, *self.roles.values()):
            w.setEnabled(not running)

    # -- roles --------------------------------------------------------------------------
    def set_graph(self, graph: Graph | None) -> None:
        """Offer ``graph``'s nodes as the roles; re-detects them now."""
        self._graph = graph
        self.refresh_roles()

    def graph_edited(self) -> None:
        """The graph changed: re-detect the roles shortly (edits in a burst coalesce)."""
        if self.enabled_box.isChecked():
            self._roles_timer.start()

    def refresh_roles(self) -> None:
        """Re-list the nodes and the detected roles (keeps each choice); emits nothing."""
        self._roles_timer.stop()
        self._fill_roles(keep=True)

    def _detected(self) -> Any:
        if self._graph is None or not self._graph.nodes:
            return None
        from nnstudio.core.gan.roles import split_roles

        unnamed = self._base.replace(**{role: None for role in ROLE_LABELS})
        roles, _issues = split_roles(self._graph, unnamed)
        return roles

    def _fill_roles(self, keep: bool) -> None:
        """Fill the role boxes; ``keep`` keeps each box's choice, else the config's."""
        graph = self._graph
        detected = self._detected() if self.enabled_box.isChecked() else None
        names = [n.name for n in graph.nodes.values()] if graph is not None else []
        for role, combo in self.roles.items():
            current = combo.currentData() if keep else getattr(self._base, role)
            found = getattr(detected, _ROLE_ATTR[role], None) if detected else None
            found_name = graph.nodes[found].name if graph is not None and found else None
            combo.blockSignals(True)
            try:
                combo.clear()
                combo.addItem(f"Detected: {found_name or 'none'}", None)
                for name in names:
                    combo.addItem(name, name)
                if current is not None and combo.findData(current) < 0:
                    combo.addItem(f"{current} (missing)", current)
                combo.setCurrentIndex(max(combo.findData(current), 0) if current else 0)
            finally:
                combo.blockSignals(False)
        latent = self.roles["latent_input"].currentData()
        latent_id = None
        if graph is not None:
            node = graph.node_by_name(latent) if latent else None
            latent_id = node.id if node is not None else getattr(detected, "latent", None)
        self.latent_label.setText(latent_text(graph, latent_id) if graph is not None else "–")
