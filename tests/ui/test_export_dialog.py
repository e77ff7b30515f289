"""The Export dialog: formats as checkboxes, export in a QThread with progress, the
verification table, "Open folder", failures shown in the dialog, no thread left behind."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices

from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.project import Project
from nnstudio.core.training.records import RunRecord
from nnstudio.ui.export_dialog import COLUMNS, ExportDialog, run_provider

RECORD = {
    "type": "tabular",
    "features": [
        {"name": f"f{i}", "type": "numeric", "mean": float(i), "std": 2.0} for i in range(4)
    ],
    "class_names": ["a", "b", "c"],
}


def _project(tmp_path) -> Project:
    b = GraphBuilder()
    x = b.add("Input", name="features", shape=(4,))
    h = b.add("Dense", x, name="hidden", units=8, activation="relu")
    y = b.add("Dense", h, name="label", units=3, activation="softmax")
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    project = Project(graph=b.graph, name="Tiny")
    project.save(tmp_path / "tiny.nnstudio")
    return project


def _with_run(project: Project, tmp_path) -> RunRecord:
    from nnstudio.core.compiler import build_model, compile_model

    model = compile_model(build_model(project.graph, seed=0), project.graph)
    run_dir = tmp_path / "tiny.runs" / "run-1"
    run_dir.mkdir(parents=True)
    model.save(run_dir / "model.keras")
    run = {
        "id": "run-1",
        "name": "First run",
        "status": "completed",
        "epochs_completed": 1,
        "dir": "tiny.runs/run-1",
        "preprocessing": RECORD,
        "class_names": ["a", "b", "c"],
        "final": {"loss": 1.0},
        "data_hash": None,
    }
    return project.add_run(run)


@pytest.fixture
def dialog(qtbot, tmp_path, keras_engine):
    project = _project(tmp_path)
    run = _with_run(project, tmp_path)
    dlg = ExportDialog(run_provider(project, "run-1"), project, run=run)
    qtbot.addWidget(dlg, before_close_func=lambda d: d.shutdown())
    dlg.folder.setText(str(tmp_path / "exports"))
    dlg.show()
    return dlg


def test_export_fills_the_verification_table_and_opens_the_folder(
    dialog, qtbot, tmp_path, monkeypatch
) -> None:
    assert dialog.selected_formats() == ["keras"]
    assert dialog.bake.isEnabled() and dialog.bake.isChecked()  # preprocessing recorded
    assert "standardize" in dialog.bake.toolTip()
    dialog.checks["onnx"].setChecked(True)
    dialog.checks["tflite-int8"].setChecked(True)
    with qtbot.waitSignal(dialog.export_finished, timeout=120_000) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        assert not dialog.close_button.isEnabled()  # busy while the thread runs
    report = blocker.args[0]
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=10_000)
    assert report.ok and [r.format for r in report.results] == ["keras", "tflite-int8", "onnx"]
    assert dialog.table.rowCount() == 3 and dialog.table.columnCount() == len(COLUMNS)
    texts = [[dialog.table.item(r, c).text() for c in range(len(COLUMNS))] for r in range(3)]
    assert texts[0][0] == "Keras (.keras)" and texts[0][4] == "ok"
    assert texts[0][1] == "model.keras"
    assert dialog.table.item(0, 1).toolTip() == str(tmp_path / "exports" / "model.keras")
    assert texts[1][4].startswith("reported") and texts[2][2] == "onnxruntime"
    assert all(float(row[3]) < 0.05 for row in texts)
    assert "All 3 export(s) written and verified." in dialog.status.text()
    assert (tmp_path / "exports" / "model.onnx.card.json").is_file()
    assert dialog.progress.value() == 1000 and dialog.export_button.isEnabled()
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    assert dialog.open_folder.isEnabled()
    qtbot.mouseClick(dialog.open_folder, Qt.MouseButton.LeftButton)
    assert [u.toLocalFile() for u in opened] == [str(tmp_path / "exports")]


def test_a_failed_format_is_a_red_row_and_the_rest_export(dialog, qtbot, monkeypatch) -> None:
    from nnstudio.core.export import formats

    def broken(saved_model, quantize):
        raise RuntimeError("converter exploded")

    monkeypatch.setattr(formats, "_convert_tflite", broken)
    dialog.checks["tflite"].setChecked(True)
    with qtbot.waitSignal(dialog.export_finished, timeout=120_000):
        dialog.start_export()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=10_000)
    results = {
        dialog.table.item(r, 0).text(): dialog.table.item(r, 4).text()
        for r in range(dialog.table.rowCount())
    }
    assert results["Keras (.keras)"] == "ok"
    assert results["TensorFlow Lite (float)"].endswith("RuntimeError: converter exploded")
    assert "1 of 2 format(s) failed" in dialog.status.text()


def test_a_model_that_cannot_be_loaded_is_reported_in_the_dialog(qtbot, tmp_path) -> None:
    from nnstudio.core.export import ExportError

    def provider():
        raise ExportError("run run-9: its model file /nowhere/model.keras is missing")

    dlg = ExportDialog(provider, _project(tmp_path))
    qtbot.addWidget(dlg, before_close_func=lambda d: d.shutdown())
    dlg.folder.setText(str(tmp_path / "out"))
    assert "no trained run is recorded" in dlg.heading.text()
    assert not dlg.bake.isEnabled()
    with qtbot.waitSignal(dlg.export_finished, timeout=60_000) as blocker:
        dlg.start_export()
    qtbot.waitUntil(lambda: not dlg.is_running(), timeout=10_000)
    assert blocker.args == [None]
    assert dlg.status.text() == (
        "Export failed: run run-9: its model file /nowhere/model.keras is missing"
    )
    assert dlg.table.rowCount() == 0 and not dlg.open_folder.isEnabled()
    assert not (tmp_path / "out").exists()


def test_export_needs_a_format_and_a_folder(qtbot, tmp_path) -> None:
    dlg = ExportDialog(lambda: None, _project(tmp_path))
    qtbot.addWidget(dlg)
    assert dlg.folder.text() == str(tmp_path / "tiny_export")
    assert dlg.export_button.isEnabled()
    dlg.checks["keras"].setChecked(False)
    assert not dlg.export_button.isEnabled()
    dlg.checks["python"].setChecked(True)
    dlg.folder.setText("  ")
    assert not dlg.export_button.isEnabled()


def test_the_dialog_module_does_not_import_tensorflow() -> None:
    code = (
        "import sys, nnstudio.ui.export_dialog; "
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_file_menu_entry_opens_the_dialog_for_the_windows_project(
    make_window, qtbot, tmp_path
) -> None:
    from nnstudio.ui.export_dialog import install

    window = make_window()
    action = install(window)
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    names = [a.text() for a in file_menu.actions()]
    assert "&Export Model…" in names and names.index("&Export Model…") < names.index("&Close")
    action.trigger()
    dialogs = [w for w in window.findChildren(ExportDialog) if w.isVisible()]
    assert len(dialogs) == 1 and dialogs[0].project is window.project
    assert "no trained run is recorded" in dialogs[0].heading.text()
    dialogs[0].close()
