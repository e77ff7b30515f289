"""The Data panel: choose a source, see its preview, classes, summary and problems;
inspections run in the background and can be cancelled."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDropEvent  # noqa: E402

from nnstudio.core.data import DataConfig  # noqa: E402
from nnstudio.core.data.image_folder import clear_scan_cache  # noqa: E402
from nnstudio.ui.data_panel import DataPanel  # noqa: E402

TIMEOUT = 20_000


@pytest.fixture
def panel(qtbot):
    clear_scan_cache()
    widget = DataPanel()
    qtbot.addWidget(widget)
    widget.resize(520, 760)
    widget.show()
    yield widget
    assert widget.shutdown(TIMEOUT)
    clear_scan_cache()


def species_csv(path: Path, bad: bool = False) -> Path:
    rng = np.random.default_rng(0)
    lines = ["length,width,colour,species"]
    for i in range(45):
        name = ("setosa", "versicolor", "virginica")[i % 3]
        lines.append(f"{rng.normal(i % 3, 0.2):.3f},{rng.normal(1, 0.2):.3f},{'rb'[i % 2]},{name}")
    if bad:
        lines[5] = "n/a,1.0,r,setosa"
        lines.append("1.0,2.0")
    path.write_text("\n".join(lines) + "\n")
    return path


def image_folder(root: Path, per_class: int = 4, classes=("cat", "dog", "owl")) -> Path:
    from PIL import Image

    rng = np.random.default_rng(1)
    for name in classes:
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            data = rng.integers(0, 256, (12, 10), dtype=np.uint8)
            Image.fromarray(data, mode="L").save(root / name / f"{i}.png")
    return root


def test_csv_source(panel, qtbot, tmp_path):
    path = species_csv(tmp_path / "flowers.csv")
    with qtbot.waitSignal(panel.source_changed, timeout=TIMEOUT) as blocker:
        panel.set_path(str(path))
    config = blocker.args[0]
    assert isinstance(config, DataConfig) and config.kind == "csv"
    assert config.content_hash and config.content_hash.startswith("sha256:")
    report = panel.report()
    assert report.ok
    assert panel.preview.currentWidget() is panel.preview.table
    assert panel.preview.table.rowCount() == 45
    assert panel.preview.table.horizontalHeaderItem(3).text() == "species"
    assert panel.columns_table.rowCount() == 4
    roles = [panel.columns_table.cellWidget(r, 1).currentData() for r in range(4)]
    assert roles == ["feature", "feature", "feature", "target"]
    assert panel.chart.bar_heights == [15.0, 15.0, 15.0]
    assert "samples: 45 rows" in panel.summary.toPlainText()
    assert panel.fit_button.isEnabled()
    assert "Ready to train" in panel.status.text()
    assert not panel.is_busy() and panel.progress.isHidden()
    with qtbot.waitSignal(panel.fit_requested, timeout=1000) as fit:
        panel.fit_button.click()
    assert fit.args[0] is report


def test_changing_options_re_inspects(panel, qtbot, tmp_path):
    path = species_csv(tmp_path / "flowers.csv")
    with qtbot.waitSignal(panel.source_changed, timeout=TIMEOUT):
        panel.set_path(str(path))
    # ignore "colour", make "width" the target: a regression on the other numbers
    panel.columns_table.cellWidget(2, 1).setCurrentIndex(2)
    panel.columns_table.cellWidget(1, 1).setCurrentIndex(1)
    panel.columns_table.cellWidget(3, 1).setCurrentIndex(0)
    panel.val_spin.setValue(30)
    assert panel.apply_button.font().bold()
    with qtbot.waitSignal(panel.source_changed, timeout=TIMEOUT) as blocker:
        panel.apply_button.click()
    config = blocker.args[0]
    assert config.target_columns == ["width"]
    assert config.feature_columns == ["length", "species"]
    assert config.val_fraction == pytest.approx(0.3)
    assert panel.report().task == "regression"
    assert not panel.apply_button.font().bold()
    assert "Regression" in panel.chart.note.text()


def test_problems_are_listed_with_their_location(panel, qtbot, tmp_path):
    path = species_csv(tmp_path / "bad.csv", bad=True)
    with qtbot.waitSignal(panel.source_changed, timeout=TIMEOUT):
        panel.set_path(str(path))
    assert not panel.report().ok
    rows = [
        (panel.problems.topLevelItem(i).text(1), panel.problems.topLevelItem(i).text(2))
        for i in range(panel.problems.topLevelItemCount())
    ]
    assert any(loc == "line 47" and "too few" in msg for loc, msg in rows), rows
    assert panel.tabs.currentWidget() is panel.problems
    assert panel.tabs.tabText(3).startswith("Problems (")
    assert "Not ready to train" in panel.status.text()
    assert not panel.fit_button.isEnabled()


def test_image_folder_preview_and_options(panel, qtbot, tmp_path):
    root = image_folder(tmp_path / "pets")
    (root / "owl" / "broken.png").write_text("not an image")
    with qtbot.waitSignal(panel.source_changed, timeout=TIMEOUT):
        panel.set_path(str(root))
    assert panel.options.currentIndex() == 2
    assert panel.preview.currentWidget() is panel.preview.images
    assert panel.preview.images.count() == 12
    labels = {panel.preview.images.item(i).text() for i in range(12)}
    assert labels == {"cat", "dog", "owl"}
    assert panel.chart.bar_heights == [4.0, 4.0, 4.0]
    assert (panel.height_spin.value(), panel.width_spin.value()) == (12, 10)
    assert any(
        panel.problems.topLevelItem(i).text(1) == "owl/broken.png"
        for i in range(panel.problems.topLevelItemCount())
    )
    panel.size_auto.setChecked(False)
    panel.height_spin.setValue(8)
    panel.width_spin.setValue(8)
    panel.color_box.setCurrentIndex(panel.color_box.findData("rgb"))
    with qtbot.waitSignal(panel.source_changed, timeout=TIMEOUT) as blocker:
        panel.inspect()
    assert blocker.args[0].image_size == (8, 8)
    assert panel.report().feature_shape == (8, 8, 3)


def test_numpy_preview(panel, qtbot, tmp_path):
    path = tmp_path / "seq.npz"
    np.savez(path, inputs=np.zeros((10, 6, 1), np.float32), labels=np.arange(10) % 2)
    with qtbot.waitSignal(panel.source_changed, timeout=TIMEOUT):
        panel.set_path(str(path))
    assert panel.preview.currentWidget() is panel.preview.arrays
    assert "(10, 6, 1)" in panel.preview.arrays_label.text()
    assert panel.preview.arrays_table.rowCount() == 5
    keys = [panel.features_key_box.itemData(i) for i in range(panel.features_key_box.count())]
    assert keys == [None, "inputs", "labels"]


def test_set_config_shows_without_emitting(panel, qtbot, tmp_path):
    path = species_csv(tmp_path / "flowers.csv")
    changed = []
    panel.source_changed.connect(changed.append)
    config = DataConfig(kind="csv", path=str(path), target_columns=["species"])
    with qtbot.waitSignal(panel.report_ready, timeout=TIMEOUT):
        panel.set_config(config)
    assert changed == []
    assert panel.report().ok and panel.config() == config
    panel.set_config(None)
    assert panel.config() is None and panel.path_edit.text() == ""


def test_scan_can_be_cancelled(panel, qtbot, tmp_path, monkeypatch):
    from nnstudio.core.data import image_folder as scanner

    real = scanner.check_image

    def slow(path):
        time.sleep(0.05)
        return real(path)

    monkeypatch.setattr(scanner, "check_image", slow)
    root = image_folder(tmp_path / "pets", per_class=30)
    changed = []
    panel.source_changed.connect(changed.append)
    panel.set_path(str(root))
    assert panel.is_busy() and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: panel.progress.maximum() == 90, timeout=TIMEOUT)
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=TIMEOUT)
    assert "cancelled" in panel.status.text()
    assert changed == []
    assert panel.shutdown(TIMEOUT)


def test_drop_a_file_onto_the_panel(panel, qtbot, tmp_path):
    path = species_csv(tmp_path / "dropped.csv")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(panel.source_changed, timeout=TIMEOUT) as blocker:
        panel.dropEvent(event)
    assert blocker.args[0].path == str(path)
    assert DataPanel.can_open(str(tmp_path)) and not DataPanel.can_open("model.keras")


def test_the_panel_does_not_import_tensorflow():
    code = (
        "import sys; import nnstudio.ui.data_panel; "
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_multi_input_preview_names_its_inputs_and_counts_samples(qtbot):
    from nnstudio.core.data import DataConfig, inspect_source
    from nnstudio.ui.data_preview import PreviewView
    from nnstudio.ui.resources import resources_dir

    view = PreviewView()
    qtbot.addWidget(view)
    config = DataConfig(kind="numpy", path=str(resources_dir() / "samples" / "two_inputs.npz"))
    view.show_arrays(inspect_source(config))
    table = view.arrays_table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers[:2] == ["target", "measurements[0]"] and "context[0]" in headers
    assert "600 samples" in view.arrays_label.text()
    assert "shape" not in view.arrays_label.text().splitlines()[0]
    target = table.item(0, 0).text()
    assert len(target) <= 8, target  # four significant digits, like the other cells
