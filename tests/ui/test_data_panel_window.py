"""The Data panel in the window: an editable path with completion, dialogs at the last
folder, data edits as undo steps, the data/model check and re-locating missing data."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCompleter, QFileDialog, QFileSystemModel

from nnstudio.core.data import DataConfig, config_for_path
from nnstudio.core.project import Project
from nnstudio.core.templates import build_template
from nnstudio.ui.data.dialogs import LAST_FOLDER_KEY, samples_folder
from nnstudio.ui.data_panel import DataPanel
from nnstudio.ui.workspaces import DATA

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "resources" / "samples"
SPECIES = SAMPLES / "species.csv"
HOUSING = SAMPLES / "housing.csv"
TIMEOUT = 30_000


@pytest.fixture
def panel(qtbot):
    widget = DataPanel()
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    yield widget
    assert widget.shutdown(TIMEOUT)


@pytest.fixture
def studio(make_window, keras_engine):
    """A window with the plug-ins and the engine ready."""
    return make_window(plugins=True, engine=keras_engine)


def _type_path(qtbot, panel: DataPanel, text: str) -> None:
    edit = panel.path_edit
    edit.setFocus()
    edit.selectAll()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, "\r")


def test_typed_path_is_completed_and_applied_on_enter(panel, qtbot):
    with qtbot.waitSignal(panel.source_changed, timeout=TIMEOUT) as blocker:
        _type_path(qtbot, panel, str(SPECIES))
    assert blocker.args[0].path == str(SPECIES)
    completer = panel.path_edit.completer()
    assert isinstance(completer, QCompleter)
    assert isinstance(completer.model(), QFileSystemModel)
    assert panel.report().ok


def test_a_bad_typed_path_is_reported_and_nothing_is_lost(panel, qtbot, tmp_path):
    with qtbot.waitSignal(panel.report_ready, timeout=TIMEOUT):
        panel.set_path(str(SPECIES))
    changed = []
    panel.source_changed.connect(changed.append)
    missing = tmp_path / "nowhere" / "flowers.csv"
    _type_path(qtbot, panel, str(missing))
    assert str(missing) in panel.status.text() and "no such file" in panel.status.text()
    assert "color" in panel.status.styleSheet()
    assert panel.path_edit.text() == str(missing)  # kept, to be corrected
    assert panel.config().path == str(SPECIES) and panel.report().ok
    notes = tmp_path / "notes.docx"
    notes.write_text("x")
    _type_path(qtbot, panel, str(notes))
    assert "not a data source" in panel.status.text()
    assert changed == [] and not panel.is_busy()


def test_dialogs_open_at_the_samples_then_at_the_last_folder(panel, qtbot, monkeypatch, tmp_path):
    opened: list[str] = []
    chosen = tmp_path / "mine" / "table.csv"
    chosen.parent.mkdir()
    chosen.write_text(SPECIES.read_text())

    def fake_open(parent, title, folder, filter=""):
        opened.append(folder)
        return str(chosen), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake_open))
    with qtbot.waitSignal(panel.source_changed, timeout=TIMEOUT):
        panel.open_file_button.click()
    assert opened == [samples_folder()]
    assert Path(samples_folder()) == SAMPLES
    assert QSettings().value(LAST_FOLDER_KEY) == str(chosen.parent)
    with qtbot.waitSignal(panel.source_changed, timeout=TIMEOUT):
        panel.open_file_button.click()
    assert opened[-1] == str(chosen.parent)


def test_wide_panel_puts_the_options_beside_the_preview(panel, qtbot):
    from PySide6.QtCore import Qt

    assert panel.splitter.orientation() == Qt.Orientation.Horizontal
    panel.resize(500, 700)
    qtbot.waitUntil(lambda: panel.splitter.orientation() == Qt.Orientation.Vertical)


def test_data_edits_are_undoable(studio, qtbot):
    window = studio
    window.show_workspace(DATA)
    panel = window.data_panel
    assert window.project.data is None
    with qtbot.waitSignal(panel.source_changed, timeout=TIMEOUT):
        panel.set_path(str(SPECIES))
    first = window.project.data
    assert first is not None and first.path == str(SPECIES)
    assert window.isWindowModified()
    panel.val_spin.setValue(30)
    with qtbot.waitSignal(panel.source_changed, timeout=TIMEOUT):
        panel.apply_button.click()
    assert window.project.data.val_fraction == pytest.approx(0.3)
    assert "data source" in window.undo_stack.undoText()

    window.undo_action.trigger()  # Ctrl+Z
    assert window.project.data == first
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=TIMEOUT)
    assert panel.config() == first and panel.val_spin.value() == 20
    window.undo_action.trigger()
    assert window.project.data is None and panel.config() is None
    assert panel.path_edit.text() == ""
    assert not window.isWindowModified()
    window.redo_action.trigger()
    assert window.project.data == first
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=TIMEOUT)


def _wait_for_issue(qtbot, window, test) -> None:
    def found() -> bool:
        result = window.last_check
        return window.checker.is_idle() and result is not None and any(map(test, result.issues))

    qtbot.waitUntil(found, timeout=TIMEOUT)


def test_data_that_does_not_fit_the_model_is_an_issue_on_its_input(studio, qtbot):
    window = studio
    window.set_project(build_template("mlp"))  # Input 'features' takes 4, 3 classes
    window.show_workspace(DATA)
    with qtbot.waitSignal(window.data_panel.report_ready, timeout=TIMEOUT):
        window.data_panel.set_path(str(HOUSING))  # 8 features, regression
    features = window.graph.node_by_name("features").id
    message = "The data has 8 features, Input 'features' takes 4."
    _wait_for_issue(qtbot, window, lambda i: i.node == features and i.message == message)
    assert not window.last_check.ok
    rows = [
        window.issues_panel.tree.topLevelItem(i) for i in range(window.issues_panel.issue_count())
    ]
    assert any(r.text(0) == "features" and r.text(1) == message for r in rows)
    panel = window.data_panel
    qtbot.waitUntil(lambda: message in panel.model_check.text(), timeout=TIMEOUT)
    assert panel.model_check.text().startswith("The data does not fit the model")
    assert "Fit model to data" in panel.model_check.text()
    assert "does not fit the model" in panel.status.text() and panel.fit_button.font().bold()
    # Fit model to data: the issue goes
    window.data_panel.fit_button.click()
    qtbot.waitUntil(
        lambda: (
            window.checker.is_idle()
            and window.last_check is not None
            and not window.last_check.for_node(features)
        ),
        timeout=TIMEOUT,
    )


def test_a_missing_data_source_is_relocated_in_one_click(studio, qtbot, monkeypatch, tmp_path):
    window = studio
    gone = tmp_path / "moved" / "species.csv"
    project = build_template("mlp")
    project.data = config_for_path(str(gone))
    window.set_project(project)
    _wait_for_issue(qtbot, window, lambda i: i.code == "data-missing")
    issues = window.issues_panel.issues()
    (missing,) = [i for i in issues if i.code == "data-missing"]
    assert "species.csv" in missing.message and not window.last_check.ok
    row = window.issues_panel.tree.topLevelItem(issues.index(missing))
    assert row.text(0) == "data"
    (button,) = window.issues_panel.action_buttons
    assert button.text() == "Re-locate…"

    asked: list[str] = []

    def fake_open(parent, title, folder, filter=""):
        asked.append(title)
        return str(SPECIES), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake_open))
    button.click()
    assert asked and "species.csv" in asked[0]
    assert window.project.data.path == str(SPECIES)
    assert window.project.data.kind == "csv"
    qtbot.waitUntil(
        lambda: (
            window.checker.is_idle()
            and window.last_check is not None
            and not any(i.code == "data-missing" for i in window.last_check.issues)
        ),
        timeout=TIMEOUT,
    )
    window.undo_action.trigger()
    assert window.project.data.path == str(gone)
    _wait_for_issue(qtbot, window, lambda i: i.code == "data-missing")


def test_project_issues_show_before_the_engine_is_ready(make_window, qtbot, tmp_path):
    window = make_window(plugins=True)
    project = Project()
    project.data = DataConfig(kind="images", path=str(tmp_path / "photos"))
    window.set_project(project)
    _wait_for_issue(
        qtbot, window, lambda i: i.message == f"data folder '{tmp_path / 'photos'}' not found"
    )


def test_choosing_a_moved_source_again_keeps_its_options(panel, qtbot, tmp_path):
    moved = tmp_path / "old" / "species.csv"
    config = DataConfig(kind="csv", path=str(moved), val_fraction=0.3, target_columns=["species"])
    with qtbot.waitSignal(panel.report_ready, timeout=TIMEOUT):
        panel.set_config(config)
    assert not panel.report().ok  # not found
    with qtbot.waitSignal(panel.source_changed, timeout=TIMEOUT) as blocker:
        _type_path(qtbot, panel, str(SPECIES))
    new = blocker.args[0]
    assert new.path == str(SPECIES)
    assert new.val_fraction == pytest.approx(0.3) and new.target_columns == ["species"]
    other = tmp_path / "other.csv"
    other.write_text(SPECIES.read_text())
    with qtbot.waitSignal(panel.source_changed, timeout=TIMEOUT) as blocker:
        panel.set_path(str(other))  # the source shown exists: a new source, default options
    assert blocker.args[0].val_fraction == pytest.approx(0.2)
