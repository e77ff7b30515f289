"""The window: hooks for other panels, locking, settings, start-up, palette, gallery, engine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel
from ui_helpers import chain_project, node_id, show

from nnstudio.core import catalog
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import AddNode, MoveNodes, SetParam
from nnstudio.core.project import Project
from nnstudio.core.templates import TEMPLATES, build_template
from nnstudio.ui.engine import Engine

REPO = Path(__file__).resolve().parents[2]


def test_locked_graph_refuses_model_edits_with_the_reason(window):
    show(window, chain_project())
    hidden = node_id(window, "hidden")
    window.push(SetParam(window.graph, hidden, "units", 20))
    window.set_graph_locked("a training run is active")

    assert not window.push(AddNode(window.graph, "Dense"))
    assert "a training run is active" in window.statusBar().currentMessage()
    assert window.lock_label.isVisibleTo(window)
    assert not window.undo_action.isEnabled()
    window._undo()
    assert window.graph.nodes[hidden].params["units"] == 20
    editor = window.inspector.editors
    window.select_nodes([hidden])
    assert not window.inspector.editors["units"].field.isEnabled()
    assert editor is not window.inspector.editors  # rebuilt for the selection, still locked
    assert window.canvas.delete_selection() is False
    assert hidden in window.graph.nodes
    # Moving is not a model edit: allowed.
    assert window.push(MoveNodes(window.graph, {hidden: (10.0, 500.0)}))

    window.set_graph_locked(None)
    assert window.undo_action.isEnabled()
    assert window.push(AddNode(window.graph, "Dense"))
    assert window.inspector.editors["units"].field.isEnabled()


def test_hooks_panels_menus_indicators_and_signals(window, qtbot, wait_checked):
    changed = []
    window.project_changed.connect(lambda: changed.append(True))
    checked = []
    window.graph_checked.connect(checked.append)
    show(window, chain_project())
    assert changed
    wait_checked(window)
    assert checked and checked[-1] is window.last_check

    label = QLabel("plots")
    dock = window.add_panel(label, "Live Plots", Qt.DockWidgetArea.BottomDockWidgetArea)
    assert dock.objectName() == "LivePlotsDock"
    assert dock.widget() is label
    menu = window.add_menu("&Train")
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.index("&Train") == titles.index("&Help") - 1
    assert menu.title() == "&Train"

    scores = node_id(window, "scores")
    window.canvas.set_node_indicator(scores, "mean 0.42", "#3f9a4f")
    item = window.canvas.graph_scene().node_items[scores]
    assert item.indicator == ("mean 0.42", QColor("#3f9a4f"))
    window.canvas.set_node_indicator(scores, None)
    assert item.indicator is None

    with qtbot.waitSignal(window.selection_changed) as blocker:
        window.select_nodes([scores])
    assert blocker.args == [[scores]]
    assert window.is_engine_ready()


def test_a_data_source_edit_marks_the_project_modified_and_undoes(window):
    from nnstudio.core.data.config import DataConfig
    from nnstudio.core.project_commands import SetDataSource

    show(window, chain_project())
    assert not window.isWindowModified()
    config = DataConfig(kind="csv", path="/data/iris.csv")
    assert window.push(SetDataSource(window.project, config), locked_ok=True)
    assert window.project.data == config
    assert window.isWindowModified()
    window.undo_stack.undo()
    assert window.project.data is None and not window.isWindowModified()


def test_layout_geometry_and_minimap_choice_persist(make_window, keras_engine):
    first = make_window(engine=keras_engine)
    first.resize(700, 540)
    assert (first.width(), first.height()) == (700, 540)
    first.issues_dock.hide()
    first.minimap_action.trigger()  # off
    first.close_without_prompt()

    second = make_window(engine=keras_engine)
    assert (second.width(), second.height()) == (first.width(), first.height())
    assert not second.issues_dock.isVisibleTo(second)
    assert not second.minimap_action.isChecked()
    assert QSettings().value("window/state") is not None


def test_first_start_opens_the_example_then_an_empty_project(make_window, keras_engine):
    first = make_window(engine=keras_engine)
    first.startup()
    assert first.project.name.startswith("Example")
    assert first.project.path is None
    assert len(first.graph.nodes) >= 5
    first.close_without_prompt()
    second = make_window(engine=keras_engine)
    second.startup()
    assert not second.graph.nodes


def test_startup_with_a_path_opens_it(make_window, keras_engine, tmp_path):
    path = tmp_path / "given.nnstudio"
    build_template("lstm").save(path)
    window = make_window(engine=keras_engine)
    window.startup(str(path))
    assert window.project.path == path
    assert window.graph.node_by_name("lstm_1") is not None


def test_palette_search_tooltips_and_double_click(window):
    palette = window.palette_panel
    palette.filter("conv")
    shown = set(palette.visible_keys())
    convs = {s.key for s in catalog.all_specs() if "conv" in s.key.lower()}
    assert convs and convs <= shown
    assert "Dense" not in shown
    palette.filter("")
    assert len(palette.visible_keys()) == len(catalog.all_specs())
    entry = palette.item_for("Dropout")
    assert catalog.get("Dropout").help in entry.toolTip(0)

    show(window, Project())
    palette.tree.itemActivated.emit(entry, 0)
    assert [n.key for n in window.graph.nodes.values()] == ["Dropout"]


def test_find_shortcut_focuses_the_palette_search(window):
    window.activateWindow()
    window.find_action.trigger()
    assert window.palette_panel.search.hasFocus() or QApplication.focusWidget() is (
        window.palette_panel.search
    )


def test_templates_gallery_has_a_picture_and_a_line_for_each(window, monkeypatch):
    from PySide6.QtWidgets import QDialog

    from nnstudio.ui.templates_dialog import TemplatesDialog

    dialog = TemplatesDialog(window)
    assert dialog.list.count() == len(TEMPLATES)
    for i, (key, (title, line, _)) in enumerate(TEMPLATES.items()):
        item = dialog.list.item(i)
        assert item.text() == f"{title}\n{line}"
        assert not item.icon().isNull()
        assert item.data(Qt.ItemDataRole.UserRole) == key
    dialog.select("transformer")
    assert dialog.chosen_key() == "transformer"

    def accept_transformer(self):
        self.select("transformer")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(TemplatesDialog, "exec", accept_transformer)
    assert window.new_from_template()
    assert window.graph.node_by_name("self_attention") is not None


def test_minimap_shows_for_large_graphs_and_navigates(window):
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(4,), pos=(0.0, 0.0))
    for i in range(40):
        x = b.add("Dense", x, units=4, pos=(260.0 * (i + 1), 0.0))
    show(window, Project(graph=b.graph))
    view = window.canvas
    view.zoom_reset()
    view.minimap.refresh()
    assert view.minimap.isVisible()
    before = view.visible_scene_rect().center()
    QTest.mouseClick(
        view.minimap,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        view.minimap.rect().center() + QPointF(60, 0).toPoint(),
    )
    assert view.visible_scene_rect().center().x() > before.x() + 500
    view.fit_to_view()
    window.minimap_action.setChecked(False)
    window._toggle_minimap(False)
    assert not view.minimap.isVisible()


def test_dark_palette_repaints_the_canvas_dark(window):
    show(window, chain_project())
    app = QApplication.instance()
    old = app.palette()
    dark = QPalette(old)
    for role, color in (
        (QPalette.ColorRole.Window, "#2b2b2b"),
        (QPalette.ColorRole.Base, "#1e1e1e"),
        (QPalette.ColorRole.Text, "#e6e6e6"),
        (QPalette.ColorRole.WindowText, "#e6e6e6"),
    ):
        dark.setColor(role, QColor(color))
    try:
        app.setPalette(dark)
        QApplication.processEvents()
        colors = window.canvas.graph_scene().colors
        assert colors.dark
        assert colors.background.lightness() < 80
        item = next(iter(window.canvas.graph_scene().node_items.values()))
        assert item.colors.dark
    finally:
        app.setPalette(old)
        QApplication.processEvents()
    assert not window.canvas.graph_scene().colors.dark


def test_engine_loads_modules_on_a_thread_and_reports_failure(qtbot, tmp_path, monkeypatch):
    (tmp_path / "nnstudio_fake_engine_mod.py").write_text("VALUE = 42\n")
    (tmp_path / "nnstudio_broken_engine_mod.py").write_text("raise ImportError('no GPU lib')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    engine = Engine(modules=("nnstudio_fake_engine_mod",))
    with qtbot.waitSignal(engine.ready, timeout=10000):
        engine.start()
        assert engine.is_loading()
    assert engine.is_ready() and not engine.is_loading()
    assert sys.modules["nnstudio_fake_engine_mod"].VALUE == 42

    broken = Engine(modules=("nnstudio_broken_engine_mod",))
    with qtbot.waitSignal(broken.failed, timeout=10000) as blocker:
        broken.start()
    assert "no GPU lib" in blocker.args[0]
    assert not broken.is_ready()
    assert broken.wait()


def test_the_window_modules_import_no_tensorflow():
    """Nor NumPy or pyqtgraph: the plug-ins bring them after the first frame (start-up)."""
    code = (
        "import sys\n"
        "import nnstudio.ui.app, nnstudio.ui.main_window, nnstudio.ui.templates_dialog\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'numpy', 'pyqtgraph') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
