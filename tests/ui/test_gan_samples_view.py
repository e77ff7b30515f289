"""The GAN samples panel: the epoch stepper over a run folder's grid PNGs, live grids from
the run's events, the diversity figure and its mode-collapse hint, a damaged PNG."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from nnstudio.ui.gan.grids import collapse_hint, grid_from_path, list_grids
from nnstudio.ui.gan.samples_view import SamplesView


def _png(path: Path, shade: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = QImage(40, 40, QImage.Format.Format_RGB32)
    image.fill(QColor(shade, shade, shade))
    assert image.save(str(path))
    return path


@pytest.fixture
def run_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "run-1"
    for epoch in (1, 2, 3):
        _png(folder / "samples" / f"epoch_{epoch:04d}.png", 60 * epoch)
    _png(folder / "samples" / "epoch_0002_batch_0005.png", 30)  # asked for during epoch 2
    (folder / "samples" / "notes.txt").write_text("not a grid")
    return folder


def _view(qtbot) -> SamplesView:
    view = SamplesView()
    qtbot.addWidget(view)
    view.resize(380, 640)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_grids_are_listed_in_run_order_with_their_diversity(run_folder: Path) -> None:
    grids = list_grids(run_folder, [0.3, 0.25, 0.2])
    names = [g.path.name for g in grids]
    assert names == [
        "epoch_0001.png",
        "epoch_0002_batch_0005.png",
        "epoch_0002.png",
        "epoch_0003.png",
    ]
    assert [g.diversity for g in grids] == [0.3, None, 0.25, 0.2]
    assert grids[1].label == "Epoch 2, batch 5 (on demand)"
    assert list_grids(run_folder / "missing") == []
    assert grid_from_path("model.keras") is None


def test_the_stepper_steps_through_every_epochs_grid(qtbot, run_folder: Path) -> None:
    view = _view(qtbot)
    count = view.show_run(run_folder, {"diversity": [0.3, 0.25, 0.2], "d_loss": [1.0, 0.9, 0.8]})
    assert count == 4
    assert view.current().path.name == "epoch_0003.png"  # the latest first
    assert not view.next_button.isEnabled() and view.prev_button.isEnabled()
    shown = view.image.pixmap().toImage().pixelColor(5, 5).red()
    assert shown == 180
    view.step(-1)
    assert view.current().path.name == "epoch_0002.png"
    assert not view.follow.isChecked()  # stepping back stops following the latest
    assert "Epoch 2" in view.caption.text() and "diversity 0.250" in view.caption.text()
    assert view.image.pixmap().toImage().pixelColor(5, 5).red() == 120
    view.slider.setValue(0)
    assert view.current().epoch == 1 and not view.prev_button.isEnabled()
    view.show_index(99)
    assert view.current().path.name == "epoch_0003.png"
    assert view.charts.point_count("d_loss") == 3


def test_a_damaged_grid_file_is_a_located_message(qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "run"
    (folder / "samples").mkdir(parents=True)
    (folder / "samples" / "epoch_0001.png").write_bytes(b"\x89PNG not really")
    view = _view(qtbot)
    assert view.show_run(folder) == 1
    assert "Cannot read the sample grid epoch_0001.png" in view.image.text()
    assert "cannot be read" in view.caption.text()


def test_live_grids_follow_the_run_and_sample_now_asks_for_one(qtbot, tmp_path: Path) -> None:
    view = _view(qtbot)
    view.begin_run()
    assert view.sample_button.isEnabled() and view.run_box.currentData() == "__live__"
    asked = []
    view.sample_requested.connect(lambda: asked.append(True))
    view.sample_button.click()
    assert asked == [True]
    samples = tmp_path / "live" / "samples"
    events = [{"type": "start", "epochs": 3, "steps": 4}]
    for epoch in range(3):
        for batch in range(4):
            logs = {"d_loss": 1.0 - 0.1 * epoch, "g_loss": 0.7, "d_real": 0.6, "d_fake": 0.4}
            events.append({"type": "batch", "epoch": epoch, "batch": batch, "logs": logs})
        events.append({"type": "epoch", "epoch": epoch, "logs": {**logs, "diversity": 0.3}})
        path = _png(samples / f"epoch_{epoch + 1:04d}.png", 50 + 50 * epoch)
        events.append(
            {
                "type": "gan_samples",
                "epoch": epoch,
                "batch": None,
                "path": str(path),
                "diversity": [0.3, 0.28, 0.1][epoch],
            }
        )
    view.handle_events(events)
    assert len(view.grids) == 3 and view.current().epoch == 3
    assert view.charts.point_count("d_loss", "batch") == 12
    assert view.charts.point_count("d_fake") == 3
    assert view.diversity_label.text().startswith("Diversity 0.100")
    assert view.hint.isVisibleTo(view) and "mode collapse" in view.hint.text()
    view.end_run()
    assert not view.sample_button.isEnabled()
    assert view.current().path.name == "epoch_0003.png"  # the grids stay to step through


def test_the_collapse_hint_only_for_a_sharp_fall() -> None:
    assert collapse_hint([]) is None and collapse_hint([0.3]) is None
    assert collapse_hint([0.30, 0.28, 0.25, 0.2]) is None  # a gentle fall: learning
    hint = collapse_hint([0.30, 0.31, 0.12])
    assert hint is not None and "61 %" in hint and "mode collapse" in hint
    assert collapse_hint([0.0, 0.0]) is None
