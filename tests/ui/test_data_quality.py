"""The Data panel's Quality tab: the problems of a small file with their counts, the
samples of a problem or group (rows or thumbnails), and balanced class weights in one
undoable step."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnstudio.core.data.image_folder import clear_scan_cache  # noqa: E402
from nnstudio.ui.data_panel import DataPanel  # noqa: E402
from nnstudio.ui.workspaces import DATA  # noqa: E402

TIMEOUT = 30_000


@pytest.fixture
def panel(qtbot):
    clear_scan_cache()
    widget = DataPanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    yield widget
    assert widget.shutdown(TIMEOUT)
    clear_scan_cache()


def problem_csv(path: Path) -> Path:
    rng = np.random.default_rng(0)
    rows = [
        f"{a:.3f},{b:.3f},{'common' if i % 8 else 'rare'}"
        for i, (a, b) in enumerate(rng.normal(size=(48, 2)))
    ]
    rows[30] = rows[1]  # a copy: lines 3 and 32
    a, b, label = rows[2].split(",")
    rows[40] = f"{a},{b},{'rare' if label == 'common' else 'common'}"  # a conflict
    path.write_text("x,y,kind\n" + "\n".join(rows) + "\n")
    return path


def inspected(qtbot, panel: DataPanel, path: Path) -> None:
    with qtbot.waitSignal(panel.report_ready, timeout=TIMEOUT):
        panel.set_path(str(path))


def test_quality_tab_lists_the_problems_and_shows_their_rows(panel, qtbot, tmp_path):
    inspected(qtbot, panel, problem_csv(tmp_path / "d.csv"))
    view = panel.quality
    kinds = view.problem_kinds()
    assert "duplicate_rows" in kinds and "label_conflicts" in kinds
    assert panel.tabs.tabText(4) == f"Quality ({len(kinds)})"
    tree = view.tree
    row = kinds.index("duplicate_rows")
    item = tree.topLevelItem(row)
    assert item.text(0) == "Duplicate rows" and item.text(1) == "2"
    assert item.text(2) == "line 3, line 32"
    tree.setCurrentItem(item.child(0))  # the group: its rows, with lines and labels
    table = view.rows
    assert view.samples.currentWidget() is table and table.rowCount() == 2
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["Group", "Where", "Label", "Split", "x", "y"]
    assert [table.item(r, 1).text() for r in range(2)] == ["line 3", "line 32"]
    conflict = tree.topLevelItem(kinds.index("label_conflicts"))
    tree.setCurrentItem(conflict)
    labels = {table.item(r, 2).text() for r in range(table.rowCount())}
    assert labels == {"common", "rare"}
    assert "common" in view.weights_label.text() and view.balance_button.isEnabled()
    with qtbot.waitSignal(view.use_balanced_weights, timeout=1000):
        view.balance_button.click()


def test_near_duplicate_images_are_shown_as_thumbnails(panel, qtbot, tmp_path):
    from PIL import Image, ImageEnhance

    rng = np.random.default_rng(2)
    root = tmp_path / "pics"
    for i in range(8):
        folder = root / ("cat", "dog")[i % 2]
        folder.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
        Image.fromarray(pixels).resize((32, 32)).save(folder / f"{i}.png")
    ImageEnhance.Brightness(Image.open(root / "cat" / "0.png")).enhance(1.1).save(
        root / "cat" / "0b.png"
    )
    inspected(qtbot, panel, root)
    view = panel.quality
    assert view.problem_kinds()[-1] == "near_duplicates"
    item = view.tree.topLevelItem(view.tree.topLevelItemCount() - 1)
    view.tree.setCurrentItem(item.child(0))
    assert view.samples.currentWidget() is view.images
    names = [view.images.item(i).text().split("\n")[0] for i in range(view.images.count())]
    assert names == ["cat/0.png", "cat/0b.png"]
    assert not view.images.item(0).icon().isNull()


def test_balanced_class_weights_are_one_undo_step(make_window, qtbot, tmp_path):
    window = make_window(plugins=True)
    window.show_workspace(DATA)
    panel = window.data_panel
    with qtbot.waitSignal(panel.report_ready, timeout=TIMEOUT):
        panel.set_path(str(problem_csv(tmp_path / "d.csv")))
    button = panel.quality.balance_button
    assert window.project.training.class_weight == "none" and button.isEnabled()
    button.click()
    assert window.project.training.class_weight == "balanced"
    assert not button.isEnabled() and "in use" in panel.quality.weights_label.text()
    assert "class_weight" in window.undo_stack.undoText()
    window.undo_action.trigger()
    assert window.project.training.class_weight == "none" and button.isEnabled()


def test_the_data_shows_before_its_quality_scan(tmp_path):
    """The background inspection hands its result over before the quality scan runs."""
    from nnstudio.core.data import config_for_path
    from nnstudio.core.tasks import TaskState
    from nnstudio.ui.data.inspection import INSPECTED, inspect_with_preview

    state = TaskState()
    result = inspect_with_preview(
        state, config_for_path(str(problem_csv(tmp_path / "d.csv"))), True
    )
    early = [e for e in state.drain() if e.get("type") == INSPECTED]
    assert len(early) == 1 and early[0]["result"] is result and result.table is not None
    assert result.quality is not None and result.quality.problems
    assert set(result.quality.problems) <= set(result.report.problems)
