"""The runs compared at scale: grouped list, group show/hide, bands, tags (undo), export."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnstudio.core.project import Project
from nnstudio.core.training.records import RunRecord
from nnstudio.ui.training.run_tree import BAND, NAME, SHOW, TAGS

CHECK = Qt.ItemDataRole.CheckStateRole
EPOCHS = 20


def synthetic_runs(sweeps: int = 2, per_sweep: int = 10, single: int = 10) -> list[RunRecord]:
    """``sweeps`` sweeps of ``per_sweep`` trials plus ``single`` tagged runs by themselves."""
    rng = np.random.default_rng(0)
    runs, n = [], 0
    for s in range(sweeps):
        for t in range(per_sweep):
            runs.append(_run(n, rng, sweep=f"sweep-{s}", trial_params={"units": 8 * (t + 1)}))
            n += 1
    for i in range(single):
        runs.append(_run(n, rng, tags=("fast",) if i % 2 else ("slow", "fast")))
        n += 1
    return runs


def _run(n: int, rng: np.random.Generator, **fields) -> RunRecord:
    loss = (1.0 / np.arange(1, EPOCHS + 1)) + rng.uniform(0, 0.2)
    history = {"loss": [float(v) for v in loss], "val_loss": [float(v) + 0.1 for v in loss]}
    return RunRecord(
        id=f"run-{n:03d}",
        name=f"trial {n}",
        status="completed",
        epochs_completed=EPOCHS,
        history=history,
        **fields,
    )


@pytest.fixture
def studio(make_window, tmp_path):
    """A window (no engine: no training here) on a saved project of 30 runs, Train shown."""
    from nnstudio.ui.training import TrainingController

    window = make_window(plugins=True)
    project = Project(name="many", runs=synthetic_runs())
    project.save(tmp_path / "many.nnstudio")
    window.set_project(Project.load(tmp_path / "many.nnstudio"))
    window.show_workspace("train")
    ctl = window.findChild(TrainingController)
    return window, ctl


def _check(model, index, on: bool = True) -> None:
    state = Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
    assert model.setData(index, state, CHECK)


def test_runs_are_grouped_by_sweep_by_tag_or_not(studio) -> None:
    _window, ctl = studio
    view, model = ctl.runs, ctl.runs.model
    assert view.grouping() == "sweep"
    assert model.rowCount() == 2 + 10  # two sweeps, ten runs by themselves
    assert model.index(0, NAME).data() == "sweep-0 (0/10 shown)"
    assert model.rowCount(model.group_index("sweep-1", 0)) == 10
    assert model.index(2, NAME).data() == "trial 20"  # ungrouped: a top-level row
    view.set_grouping("tag")
    assert set(model.groups()) == {"fast", "slow"} and model.rowCount() == 20 + 2
    assert len(model.groups()["slow"]) == 5  # the first tag decides
    view.set_grouping("none")
    assert model.rowCount() == 30 and model.groups() == {}


def test_a_group_box_shows_and_hides_its_runs_drawn_as_lines(studio, qtbot) -> None:
    _window, ctl = studio
    model, plots = ctl.runs.model, ctl.plots
    group = model.group_index("sweep-0", BAND)
    _check(model, group, False)  # this group is drawn as lines
    with qtbot.waitSignal(ctl.runs.group_toggled) as toggled:
        _check(model, model.group_index("sweep-0", SHOW))
    assert len(toggled.args[0]) == 10 and toggled.args[1] is True
    assert sum(plots.overlays().values()) == 10
    curves = plots.overlay_curves("run-000")
    assert {item.opts["pen"].style() for _, item in curves} == {
        Qt.PenStyle.SolidLine,
        Qt.PenStyle.DashLine,
    }
    (loss,) = [c for _, c in curves if c.opts["pen"].style() == Qt.PenStyle.SolidLine]
    xs, _ys = loss.getData()
    assert np.isnan(xs).sum() == 10  # one curve, ten runs separated by gaps
    _check(model, model.index_of("run-003", SHOW), False)  # one run unticked
    assert model.group_index("sweep-0", SHOW).data(CHECK) == Qt.CheckState.PartiallyChecked
    assert np.isnan(loss.getData()[0]).sum() == 9
    assert "sweep-0: lines (9 of 10 runs)" in plots.legend.text()
    _check(model, model.group_index("sweep-0", SHOW), False)
    assert not any(c.isVisible() for _, c in curves) and "sweep-0" not in plots.legend.text()
    assert ctl.runs.shown_ids() == []


def test_a_group_shown_as_a_band_draws_its_mean_and_spread(studio) -> None:
    _window, ctl = studio
    model, plots = ctl.runs.model, ctl.plots
    _check(model, model.group_index("sweep-1", SHOW))
    items = plots.runs_overlay.band_items("sweep-1")
    mean, lo, hi, fill = items["loss"]
    assert fill.isVisible() and not fill.path().isEmpty()  # a filled area is drawn
    assert "band min–max" in plots.legend.text()
    stack = np.array([r.history["loss"] for r in ctl.window.project.runs[10:20]])
    assert np.allclose(mean.getData()[1], stack.mean(axis=0))
    assert np.allclose(lo.getData()[1], stack.min(axis=0))
    assert np.allclose(hi.getData()[1], stack.max(axis=0))
    assert not any(c.isVisible() for _, c in plots.overlay_curves("run-010"))  # no N lines
    ctl.runs.spread.setCurrentIndex(1)  # mean ± 1 std
    assert np.allclose(hi.getData()[1], stack.mean(axis=0) + stack.std(axis=0))
    assert "band ±1 std" in plots.legend.text()
    _check(model, model.group_index("sweep-1", BAND), False)
    assert not fill.isVisible()
    assert any(c.isVisible() for _, c in plots.overlay_curves("run-010"))


def test_tags_are_edited_in_the_list_as_one_undo_step(studio) -> None:
    window, ctl = studio
    model = ctl.runs.model
    ctl.runs.set_grouping("tag")
    ungrouped = "run-000"  # a sweep trial without tags: by itself when grouped by tag
    assert model.index_of(ungrouped).parent().isValid() is False
    assert model.setData(model.index_of(ungrouped, TAGS), " slow, best ,slow")
    assert window.project.runs[0].tags == ("slow", "best")
    assert window.undo_stack.undoText() == "Tag run trial 0"
    index = model.index_of(ungrouped, TAGS)
    assert index.data() == "slow, best" and index.parent() == model.group_index("slow", 0)
    assert len(model.groups()["slow"]) == 6
    window.undo_stack.undo()
    assert window.project.runs[0].tags == () and len(model.groups()["slow"]) == 5
    window.undo_stack.redo()
    assert model.index_of(ungrouped, TAGS).data() == "slow, best"


def test_histories_export_to_one_csv(studio, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    window, ctl = studio
    target = tmp_path / "all.csv"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), ""))
    )
    ctl.runs.history_button.click()
    with target.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 30 * EPOCHS * 2
    assert rows[0] == {
        "run": "run-000",
        "group": "sweep-0",
        "epoch": "1",
        "metric": "loss",
        "value": rows[0]["value"],
    }
    assert {r["group"] for r in rows} == {"sweep-0", "sweep-1", ""}
    assert "Exported 1200 values of 30 runs" in window.statusBar().currentMessage()
    assert ctl.export_histories(str(tmp_path / "all.txt")) is None  # refused, said why
    assert "choose a .csv or .json" in window.statusBar().currentMessage()


def test_selection_and_compare_work_through_groups(studio) -> None:
    _window, ctl = studio
    view = ctl.runs
    view.select_ids(["run-002", "run-025"])
    assert view.selected_ids() == ["run-002", "run-025"]
    view.tree.selectionModel().clearSelection()
    view.tree.selectionModel().select(
        view.model.group_index("sweep-1", 0),
        view.tree.selectionModel().SelectionFlag.Select
        | view.tree.selectionModel().SelectionFlag.Rows,
    )
    assert view.selected_ids() == [f"run-{i:03d}" for i in range(10, 20)]
    view.compare_selected()
    assert view.compare_dialog.table.columnCount() == 10
    view.compare_dialog.close()


def test_a_narrow_run_list_offers_the_buttons_that_do_not_fit_in_a_menu(qtbot) -> None:
    from nnstudio.ui.training.runs_view import RunsView

    view = RunsView()
    qtbot.addWidget(view)
    view.resize(1000, 200)
    view.show()
    qtbot.waitExposed(view)
    bar = view.bar
    assert bar.overflow() == [] and not bar.more.isVisible()
    view.resize(380, 200)  # the Runs dock beside a GAN's samples panel at 1366x768
    qtbot.waitUntil(lambda: bool(bar.overflow()))
    assert bar.more.isVisible() and view.group_by.isVisible() and view.spread.isVisible()
    shown = [b for b in bar.buttons if b.isVisible()]
    assert shown == bar.buttons[: len(shown)]  # the left-most stay, none half-drawn
    assert all(b.geometry().right() <= bar.width() for b in shown)
    assert bar.more.geometry().right() <= bar.width()
    bar.menu.aboutToShow.emit()
    texts = [a.text() for a in bar.menu.actions()]
    assert texts == [b.text() for b in bar.overflow()] and "Export histories…" in texts
    with qtbot.waitSignal(view.history_export_requested):
        next(a for a in bar.menu.actions() if a.text() == "Export histories…").trigger()
    view.resize(1000, 200)
    qtbot.waitUntil(lambda: not bar.overflow())
    assert not bar.more.isVisible()
