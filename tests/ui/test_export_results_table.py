"""The export results table sizes its columns to their content (no "esu" for "Result")."""

from __future__ import annotations

from pathlib import Path

from nnstudio.core.export.report import ExportReport, FormatResult, Verification
from nnstudio.ui.export_dialog import COLUMNS, ExportDialog


def test_result_column_shows_its_whole_text(qtbot, tmp_path: Path) -> None:
    dialog = ExportDialog(lambda: None, None)
    qtbot.addWidget(dialog)
    dialog.resize(420, 400)  # narrower than the table's content
    dialog.show()
    qtbot.waitExposed(dialog)
    ok = FormatResult("keras", tmp_path / "model.keras")
    ok.verification = Verification("keras.saving.load_model", 8, 1e-7, {"y": 1e-7}, 1e-4)
    bad = FormatResult(
        "onnx", tmp_path / "model.onnx", error="ONNX failed: " + "a long reason " * 12
    )
    dialog._fill_table(ExportReport(results=[ok, bad]))
    table = dialog.table
    result = COLUMNS.index("Result")
    metrics = table.fontMetrics()
    for row in range(2):
        text = table.item(row, result).text()
        assert table.columnWidth(result) >= metrics.horizontalAdvance(text)
    header_text = table.horizontalHeaderItem(result).text()
    assert table.columnWidth(result) >= metrics.horizontalAdvance(header_text)
