"""A backbone node in the window: one node with its parameter count and output shape, the
inspector's Backbone box, and the read-only layers view grouped by stage."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QApplication, QGroupBox, QPushButton
from ui_helpers import node_id, show

from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.project import Project
from nnstudio.ui.backbone_view import BackboneView

SMALL = {"architecture": "MobileNetV2", "alpha": 0.35, "input_size": 32}


def _project() -> Project:
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(28, 28, 1), pos=(0.0, 0.0))
    h = b.add("PretrainedBackbone", x, name="backbone", pos=(280.0, 0.0), **SMALL)
    y = b.add("Dense", h, name="digit", units=10, activation="softmax", pos=(560.0, 0.0))
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    return Project(graph=b.graph, name="transfer")


def _shots() -> Path | None:
    folder = os.environ.get("NNSTUDIO_BACKBONE_SHOTS")  # set to look at the screenshots
    return Path(folder) if folder else None


def test_the_node_its_inspector_and_its_layers_view(window, wait_checked, tmp_path) -> None:
    window.resize(1366, 768)
    show(window, _project())
    wait_checked(window)
    nid = node_id(window, "backbone")
    shape = window.last_check.shapes[nid]
    assert shape.shape == (None, 1280) and shape.params > 400_000 and shape.trainable == 0
    issues = window.last_check.for_node(nid)
    assert [i.severity for i in issues] == ["warning"]
    assert "randomly initialised" in issues[0].message
    window.select_nodes([nid])
    QApplication.processEvents()
    inspector = window.inspector
    assert inspector.shape_label.text().startswith("(batch, 1280)")
    box = inspector.findChild(QGroupBox, "backboneBox")
    assert box is not None and "conv2_" in box.findChildren(type(inspector.shape_label))[0].text()
    shots = _shots() or tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(shots / "backbone-window.png"))
    inspector.grab().save(str(shots / "backbone-inspector.png"))

    box.findChild(QPushButton, "viewLayers").click()
    views = [w for w in QApplication.topLevelWidgets() if isinstance(w, BackboneView)]
    assert len(views) == 1
    view = views[0]
    tops = [view.tree.topLevelItem(i) for i in range(view.tree.topLevelItemCount())]
    assert tops[0].text(0) == "Stage 0 (stem)" and tops[-1].text(0) == "Stage 16"
    assert sum(t.childCount() for t in tops) == sum(len(s.layers) for s in view.stages) > 150
    assert {t.text(4) for t in tops} == {"none"}  # frozen
    assert "Read only" in view.header.text()
    view.grab().save(str(shots / "backbone-layers.png"))
    view.close()


def test_the_layers_view_shows_which_stages_fine_tune(qtbot, keras_engine) -> None:
    params = {
        **SMALL,
        "pooling": "avg",
        "trainable": "from_stage",
        "unfreeze_from": 13,
        "batchnorm": "inference",
    }
    view = BackboneView(params, "backbone")
    qtbot.addWidget(view)
    trains = {s.stage: s.trainable for s in view.stages}
    assert trains[12] == "none" and trains[13] == "some" and trains[16] == "some"
    rows = [r for s in view.stages for r in s.layers if r.stage >= 13 and r.params]
    assert {r.trainable for r in rows if r.kind == "BatchNormalization"} == {False}
    assert {r.trainable for r in rows if r.kind != "BatchNormalization"} == {True}


def test_the_fine_tune_settings_show_only_for_a_model_with_a_backbone(
    make_window, keras_engine, wait_checked
) -> None:
    from nnstudio.core.graph.commands import RemoveNodes
    from nnstudio.core.templates import build_template
    from nnstudio.ui.training import TrainingController

    window = make_window(plugins=True, engine=keras_engine)
    panel = window.findChild(TrainingController).panel
    form = panel.form.forms["Run"]
    rows = [panel.form.widgets[k] for k in ("finetune_epochs", "finetune_learning_rate")]
    window.set_project(build_template("mlp"))
    assert not any(form.isRowVisible(w) for w in rows)
    show(window, _project())
    assert all(form.isRowVisible(w) for w in rows)
    window.push(RemoveNodes(window.graph, [node_id(window, "backbone")]))
    assert not any(form.isRowVisible(w) for w in rows)
    window.undo_stack.undo()  # the node comes back, and with it the settings
    assert all(form.isRowVisible(w) for w in rows)


def test_the_transfer_template_opens_with_its_shipped_weights(window, wait_checked) -> None:
    assert window.new_from_template("transfer")
    result = wait_checked(window)
    assert result.issues == []  # the weights are found: no "randomly initialised" warning
    weights = Path(window.graph.node_by_name("backbone").params["weights_file"])
    assert weights.is_absolute() and weights.is_file()  # an untitled project has no folder
    assert weights.name == "mobilenetv2_0.35_32_letters.weights.h5"
    assert window.project.training.finetune_epochs == 3
