"""The plug-in panels docked by the window, file drops, Keras model import, binding check."""

from __future__ import annotations

from ui_helpers import chain_project, show

from nnstudio.ui.app import qt_binding_problem


def test_data_panel_is_docked_and_fed_by_drops(make_window, keras_engine, tmp_path):
    window = make_window(engine=keras_engine, plugins=True)
    assert window.data_panel is not None
    assert window.data_dock.widget() is window.data_panel
    assert window.data_dock.objectName() == "DataDock"

    csv = tmp_path / "table.csv"
    csv.write_text("a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n")
    calls = []
    window.data_panel.set_path = calls.append
    assert window.open_dropped(str(csv))
    assert calls == [str(csv)]

    project_file = tmp_path / "p.nnstudio"
    chain_project().save(project_file)
    assert window.open_dropped(str(project_file))
    assert window.project.path == project_file

    assert not window.open_dropped(str(tmp_path / "notes.docx"))
    assert "not a project or a data source" in window.statusBar().currentMessage()


def test_import_keras_model_as_a_new_project(window, tmp_path):
    import keras

    inputs = keras.Input((6,), name="numbers")
    hidden = keras.layers.Dense(5, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(2, activation="softmax", name="classes")(hidden)
    path = tmp_path / "tiny.keras"
    keras.Model(inputs, outputs).save(path)

    show(window, chain_project())
    assert window.import_model_file(path)
    assert [n.name for n in window.graph.nodes.values()] == ["numbers", "hidden", "classes"]
    assert window.graph.nodes[window.graph.node_by_name("hidden").id].params["units"] == 5
    assert window.isWindowModified()
    assert window.project.path is None

    errors = []
    window.show_error = lambda title, text: errors.append(text)
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip archive")
    before = window.graph.to_json()
    assert not window.import_model_file(bad)
    assert errors and window.graph.to_json() == before


def test_qt_binding_check_names_the_crashing_combination():
    assert "6.11.3" in qt_binding_problem("6.12.0", (3, 11))
    assert qt_binding_problem("6.12.0", (3, 12)) is None
    assert qt_binding_problem("6.11.3", (3, 11)) is None


def test_export_is_reachable_from_the_file_menu_and_the_run_list(
    make_window, keras_engine, monkeypatch
):
    import nnstudio.ui.export_dialog as export_dialog
    from nnstudio.ui.training.runs_view import RunsView

    w = make_window(plugins=True, engine=keras_engine)
    file_menu = next(
        a.menu()
        for a in w.menuBar().actions()
        if a.menu() is not None and a.text().replace("&", "") == "File"
    )
    assert w.export_action in file_menu.actions()
    opened: list[str | None] = []
    monkeypatch.setattr(
        export_dialog, "open_export_dialog", lambda window, run_id=None: opened.append(run_id)
    )
    w.export_action.trigger()
    w.show_workspace("train")  # its panels are built when it is first shown
    view = w.findChild(RunsView)
    view.set_runs([{"id": "run-a", "name": "first"}, {"id": "run-b", "name": "second"}], {})
    view.export_button.click()  # nothing selected: nothing opens
    view.select_ids(["run-b"])
    view.export_button.click()
    assert opened == [None, "run-b"]


def test_copied_layers_survive_the_exit_handover_of_the_clipboard(window):
    from PySide6.QtGui import QGuiApplication

    from nnstudio.ui.canvas.view import FRAGMENT_MIME, clipboard_fragment, release_clipboard

    show(window, chain_project())
    window.select_nodes(list(window.graph.nodes)[:2])
    assert window.canvas.copy_selection()
    before = clipboard_fragment()
    release_clipboard()
    mime = QGuiApplication.clipboard().mimeData()
    assert not mime.hasFormat(FRAGMENT_MIME)  # now a Qt-owned copy
    assert clipboard_fragment() == before and len(before["nodes"]) == 2


def test_panels_added_after_the_window_shows_are_visible_and_remember_closing(
    make_window, keras_engine
):
    from PySide6.QtWidgets import QDockWidget

    def docks(window):
        return {d.windowTitle(): d for d in window.findChildren(QDockWidget)}

    first = make_window(engine=keras_engine)  # shown first, plug-ins after: as `nnstudio` does
    first.install_plugins()
    for name in ("data", "train"):  # panels are built when their workspace is first shown
        first.show_workspace(name)
    shown = docks(first)
    assert not shown["Data"].isHidden() and not shown["Training"].isHidden()
    assert not shown["Runs"].isHidden()
    shown["Runs"].close()  # the user closes one panel
    first.save_settings()
    second = make_window(engine=keras_engine)
    second.install_plugins()
    for name in ("data", "train"):
        second.show_workspace(name)
    again = docks(second)
    assert again["Runs"].isHidden()
    assert not again["Training"].isHidden() and not again["Data"].isHidden()


def test_the_example_can_be_reopened_from_the_file_menu(window):
    show(window, chain_project())
    assert window.example_action.isEnabled()
    window.example_action.trigger()  # nothing unsaved: no prompt
    names = {n.name for n in window.graph.nodes.values()}
    assert {"image", "conv_1", "digit"} <= names
    assert window.project.data is not None and window.project.data.kind == "images"
