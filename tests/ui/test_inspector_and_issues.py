"""The inspector form, the issues list and the error badges on nodes."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit
from ui_helpers import chain_project, node_id, show

from nnstudio.core import catalog
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import SetParam
from nnstudio.core.project import Project


def _commit(editor, text: str) -> None:
    field = editor.field
    assert isinstance(field, QLineEdit)
    field.setText(text)
    field.editingFinished.emit()


def test_form_is_generated_from_the_spec(window):
    show(window, chain_project())
    window.select_nodes([node_id(window, "hidden")])
    inspector = window.inspector
    spec = catalog.get("Dense")
    assert list(inspector.editors) == [p.name for p in spec.params]
    assert isinstance(inspector.editors["units"].field, QLineEdit)
    assert isinstance(inspector.editors["use_bias"].field, QCheckBox)
    combo = inspector.editors["activation"].field
    assert isinstance(combo, QComboBox)
    assert [combo.itemText(i) for i in range(combo.count())] == list(
        spec.param("activation").choices
    )
    assert combo.currentText() == "relu"
    assert inspector.editors["units"].field.text() == "16"
    assert "1 – 1000000" in inspector.editors["units"].field.toolTip()
    help_labels = [
        w.text()
        for w in inspector.findChildren(type(inspector.shape_label))
        if w.objectName() == "layerHelp"
    ]
    assert help_labels == [spec.help]


def test_edit_is_one_undo_step_and_rechecks_at_once(window, wait_checked):
    show(window, chain_project())
    wait_checked(window)
    hidden = node_id(window, "hidden")
    window.select_nodes([hidden])
    before = window.last_check.shapes[hidden]
    assert before.shape == (None, 16)

    _commit(window.inspector.editors["units"], "32")

    assert window.graph.nodes[hidden].params["units"] == 32
    assert window.undo_stack.count() == 1
    result = wait_checked(window)
    assert result.shapes[hidden].shape == (None, 32)
    assert result.shapes[hidden].params == 8 * 32 + 32
    assert window.inspector.shape_label.text().startswith("(batch, 32)")
    assert window.inspector.params_label.text() == "288"
    item = window.canvas.graph_scene().node_items[hidden]
    assert item.status.shape == (None, 32)

    window.undo_stack.undo()
    assert window.graph.nodes[hidden].params["units"] == 16
    assert window.inspector.editors["units"].field.text() == "16"
    window.undo_stack.redo()
    assert window.graph.nodes[hidden].params["units"] == 32
    assert window.inspector.editors["units"].field.text() == "32"


def test_invalid_value_is_refused_in_place_with_the_reason(window):
    show(window, chain_project())
    hidden = node_id(window, "hidden")
    window.select_nodes([hidden])
    editor = window.inspector.editors["units"]

    _commit(editor, "0")
    assert editor.has_error()
    assert "units must be at least 1" in editor.error.text()
    assert window.graph.nodes[hidden].params["units"] == 16
    assert window.undo_stack.count() == 0

    _commit(editor, "many")
    assert "whole number" in editor.error.text()
    assert window.graph.nodes[hidden].params["units"] == 16

    _commit(editor, "12")
    assert not editor.has_error()
    assert window.graph.nodes[hidden].params["units"] == 12


def test_choice_bool_and_tuple_editors(window):
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(28, 28, 1), pos=(0.0, 0.0))
    b.add("Conv2D", x, name="conv", pos=(280.0, 0.0))
    show(window, Project(graph=b.graph))
    conv = node_id(window, "conv")
    window.select_nodes([conv])
    eds = window.inspector.editors

    combo = eds["activation"].field
    combo.setCurrentIndex(combo.findText("gelu"))
    combo.activated.emit(combo.currentIndex())
    assert window.graph.nodes[conv].params["activation"] == "gelu"

    eds["use_bias"].field.click()
    assert window.graph.nodes[conv].params["use_bias"] is False

    _commit(eds["kernel_size"], "5, 5")
    assert window.graph.nodes[conv].params["kernel_size"] == (5, 5)
    _commit(eds["kernel_size"], "5")
    assert "exactly 2 values" in eds["kernel_size"].error.text()
    assert window.graph.nodes[conv].params["kernel_size"] == (5, 5)
    assert window.undo_stack.count() == 3


def test_rename_and_refused_name(window):
    show(window, chain_project())
    hidden = node_id(window, "hidden")
    window.select_nodes([hidden])
    edit = window.inspector.name_edit
    edit.setText("scores")
    edit.editingFinished.emit()
    assert "already exists" in window.inspector.name_error.text()
    assert window.graph.nodes[hidden].name == "hidden"
    edit.setText("body")
    edit.editingFinished.emit()
    assert window.graph.nodes[hidden].name == "body"
    item = window.canvas.graph_scene().node_items[hidden]
    assert item.name == "body"


def test_output_declaration_from_the_inspector(window):
    show(window, chain_project())
    hidden = node_id(window, "hidden")
    window.select_nodes([hidden])
    box = window.inspector.output_box
    assert not box.isChecked()
    box.click()
    decl = window.graph.output_decl(hidden)
    assert decl is not None and decl.loss == "mse"
    assert window.canvas.graph_scene().node_items[hidden].is_output
    window.inspector.metrics_edit.setText("mae, mse")
    window.inspector.metrics_edit.editingFinished.emit()
    assert window.graph.output_decl(hidden).metrics == ["mae", "mse"]
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert window.graph.output_decl(hidden) is None


def test_error_badge_appears_and_disappears_as_the_graph_is_fixed(window, wait_checked):
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(16,), pos=(0.0, 0.0))
    conv = b.add("Conv2D", x, name="conv", filters=4, pos=(280.0, 0.0))
    g = b.add("GlobalAveragePooling2D", conv, name="gap", pos=(560.0, 0.0))
    y = b.add("Dense", g, name="out", units=2, activation="softmax", pos=(840.0, 0.0))
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    show(window, Project(graph=b.graph))
    result = wait_checked(window)
    scene = window.canvas.graph_scene()
    item = scene.node_items[conv]
    assert item.status.severity == "error"
    assert "expects a 4-D input" in item.toolTip()
    assert "Reshape" in item.toolTip()  # the hint is shown on hover too
    assert any(i.node == conv for i in result.errors)
    assert window.issues_panel.issue_count() == len(result.issues)
    assert "1 error" in window.issues_panel.summary.text()

    window.push(SetParam(window.graph, x, "shape", (8, 8, 1)))
    result = wait_checked(window)
    assert result.ok
    assert item.status.severity is None
    assert scene.node_items[y].status.shape == (None, 2)
    assert window.issues_panel.issue_count() == 0
    assert "0 errors" in window.issues_panel.summary.text()

    window.undo_stack.undo()
    wait_checked(window)
    assert item.status.severity == "error"


def test_warning_is_amber_not_red(window, wait_checked):
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(8, 8, 3), pos=(0.0, 0.0))
    d = b.add("Dense", x, name="dense", units=4, pos=(280.0, 0.0))
    b.output(d, "mse")
    show(window, Project(graph=b.graph))
    wait_checked(window)
    item = window.canvas.graph_scene().node_items[d]
    assert item.status.severity == "warning"
    warning_color = window.canvas.graph_scene().colors.warning.name()
    assert warning_color in item.toolTip()


def test_clicking_an_issue_selects_and_centres_its_node(window, wait_checked):
    b = GraphBuilder()
    b.add("Input", name="x", shape=(4,), pos=(0.0, 0.0))
    far = b.add("Dense", name="far_away", units=2, pos=(3000.0, 2000.0))
    show(window, Project(graph=b.graph))
    wait_checked(window)
    tree = window.issues_panel.tree
    row = next(
        tree.topLevelItem(i)
        for i in range(tree.topLevelItemCount())
        if tree.topLevelItem(i).text(0) == "far_away"
    )
    tree.itemClicked.emit(row, 1)
    assert window.canvas.graph_scene().selected_node_ids() == [far]
    visible = window.canvas.visible_scene_rect()
    assert visible.contains(
        window.canvas.graph_scene().node_items[far].sceneBoundingRect().center()
    )
    assert window.inspector.node_id == far


def test_summary_line_shows_parameters_and_float32_memory(window, wait_checked):
    show(window, chain_project())
    result = wait_checked(window)
    text = window.issues_panel.summary.text()
    expected = 8 * 16 + 16 + 16 * 3 + 3
    assert result.total_params == expected
    assert f"{expected:,} parameters ({expected:,} trainable)" in text
    assert f"weights ≈ {4 * expected} B (float32)" in text


def test_shapes_are_pending_until_the_engine_is_ready(make_window, qtbot):
    from nnstudio.ui.engine import Engine

    engine = Engine(modules=("json",))  # not started: the window waits for it
    window = make_window(engine=engine)
    show(window, chain_project())
    qtbot.waitUntil(lambda: window.last_report is not None and window.checker.is_idle())
    assert not window.last_report.full
    item = window.canvas.graph_scene().node_items[node_id(window, "hidden")]
    assert item.status.pending and item.status.shape is None
    assert "pending" in window.issues_panel.summary.text()
    assert "loading" in window.engine_label.text()
    with qtbot.waitSignal(window.engine_ready, timeout=5000):
        engine.start()
    qtbot.waitUntil(lambda: window.last_report.full and window.checker.is_idle(), timeout=15000)
    assert item.status.shape == (None, 16)
    assert "ready" in window.engine_label.text()
