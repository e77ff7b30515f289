"""A backbone node in the window: the inspector's "Backbone" box (weights file, how the
stages freeze, open the layers) and the read-only layers view, grouped by stage."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.ui.theme import format_count

BACKBONE_KEY = "PretrainedBackbone"
STAGES_TEXT = (
    "Stages follow the architecture's layer names: ResNet conv2_* ... conv5_* are stages "
    "2-5, MobileNetV2 block_N is stage N, EfficientNet blockN* is N, DenseNet convN_/poolN_ "
    "is N, ConvNeXt stage_N is N+1; stage 0 is the stem. With trainable = from_stage, the "
    "stages from “unfreeze from” on train and the earlier ones stay frozen. Frozen "
    "BatchNormalization keeps its statistics. A two-phase run (training settings: "
    "fine-tune epochs) trains the head first, then the backbone at a lower rate."
)


def _shape(shape: tuple[int | None, ...]) -> str:
    return (
        "("
        + ", ".join("batch" if d is None and i == 0 else str(d) for i, d in enumerate(shape))
        + ")"
    )


class BackboneView(QDialog):
    """The layers of a backbone node, one row per stage with its layers under it."""

    def __init__(self, params: Mapping[str, Any], name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Layers of {name}")
        self.setObjectName("backboneView")
        layout = QVBoxLayout(self)
        self.header = QLabel()
        self.header.setWordWrap(True)
        layout.addWidget(self.header)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(5)
        self.tree.setHeaderLabels(["Stage / layer", "Type", "Output shape", "Parameters", "Trains"])
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        layout.addWidget(self.tree, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(820, 560)
        self.fill(params)

    def fill(self, params: Mapping[str, Any]) -> None:
        """Build the application symbolically and list its layers."""
        from nnstudio.core.backbones.summary import layer_stages

        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            stages = layer_stages(params)
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.stages = stages
        total = sum(s.params for s in stages)
        count = sum(len(s.layers) for s in stages)
        alpha = f", alpha {params['alpha']:g}" if "MobileNet" in params["architecture"] else ""
        self.header.setText(
            f"<b>{params['architecture']}</b>{alpha} at {params['input_size']}x"
            f"{params['input_size']}, pooling {params['pooling']}: {count} layers in "
            f"{len(stages)} stages, {format_count(total)} parameters. "
            f"Trainable: {params['trainable']}"
            + (
                f" from stage {params['unfreeze_from']}"
                if params["trainable"] == "from_stage"
                else ""
            )
            + ". Read only: the architecture is fixed by keras.applications."
        )
        self.tree.clear()
        for stage in stages:
            top = QTreeWidgetItem(
                [
                    f"Stage {stage.stage}" + (" (stem)" if stage.stage == 0 else ""),
                    f"{len(stage.layers)} layers",
                    _shape(stage.layers[-1].shape),
                    format_count(stage.params),
                    stage.trainable,
                ]
            )
            for row in stage.layers:
                top.addChild(
                    QTreeWidgetItem(
                        [
                            row.name,
                            row.kind,
                            _shape(row.shape),
                            format_count(row.params) if row.params else "",
                            ("yes" if row.trainable else "no") if row.params else "",
                        ]
                    )
                )
            self.tree.addTopLevelItem(top)
        if stages:
            self.tree.topLevelItem(len(stages) - 1).setExpanded(True)
        for col in range(5):
            self.tree.resizeColumnToContents(col)


def backbone_box(
    params: Callable[[], Mapping[str, Any]],
    name: Callable[[], str],
    commit: Callable[[str, Any], None],
    parent: QWidget,
) -> QGroupBox:
    """The inspector's "Backbone" box for the selected backbone node."""
    box = QGroupBox("Backbone")
    box.setObjectName("backboneBox")
    layout = QVBoxLayout(box)
    text = QLabel(STAGES_TEXT)
    text.setWordWrap(True)
    text.setObjectName("backboneStages")
    layout.addWidget(text)
    row = QHBoxLayout()
    pick = QPushButton("Weights file…")
    pick.setToolTip("Choose a local .weights.h5 or .h5 file (weights only; nothing is downloaded).")
    view = QPushButton("View layers…")
    view.setObjectName("viewLayers")
    row.addWidget(pick)
    row.addWidget(view)
    row.addStretch(1)
    layout.addLayout(row)

    def choose() -> None:
        path, _ = QFileDialog.getOpenFileName(
            parent, "Backbone weights", "", "Keras weights (*.weights.h5 *.h5)"
        )
        if path:
            commit("weights_file", path)

    def open_view() -> None:
        dialog = BackboneView(params(), name(), parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    pick.clicked.connect(choose)
    view.clicked.connect(open_view)
    return box
