"""A GAN project in the window: both regions framed on the canvas, the sample-shape check
between them shown on the nodes and in the Issues panel, the samples panel shown in Train,
"Sample now" raising the run's request flag, a recorded run stepped through afterwards."""

from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace

from PySide6.QtGui import QColor, QImage

from nnstudio.core.gan.template import TRAINING, dcgan
from nnstudio.core.graph.commands import SetParam
from nnstudio.core.layout import apply_positions, layered_layout
from nnstudio.core.project import Project
from nnstudio.core.templates import TEMPLATES, build_template


def _project() -> Project:
    graph = dcgan().graph
    apply_positions(graph, layered_layout(graph))
    return Project(graph=graph, name="DCGAN", training=copy.deepcopy(TRAINING))


def _controller(window):
    return next(p for p in window.plugins if hasattr(p, "gan"))


def test_a_gan_project_is_framed_and_its_shape_check_is_on_the_nodes(
    make_window, keras_engine, wait_checked, qtbot
) -> None:
    window = make_window(plugins=True, engine=keras_engine)
    window.set_project(_project())
    result = wait_checked(window)
    assert result.ok
    scene = window.canvas.graph_scene()
    frames = scene.region_frames.frames
    assert set(frames) == {"Generator", "Discriminator"}
    qtbot.waitUntil(lambda: "(28, 28, 1)" in frames["Generator"].subtitle, timeout=5000)
    sample = window.graph.node_by_name("sample").id
    generated = window.graph.node_by_name("generated").id
    window.push(SetParam(window.graph, sample, "shape", (32, 32, 1)))

    def flagged() -> bool:
        check = window.last_check
        return check is not None and any(i.code == "gan-sample-shape" for i in check.issues)

    qtbot.waitUntil(lambda: flagged() and window.checker.is_idle(), timeout=10000)
    for nid in (sample, generated):
        status = scene.node_items[nid].status
        assert status.severity == "error"
        assert any("(28, 28, 1)" in i.message for i in status.issues)
    assert "error" in window.issues_panel.summary.text()
    assert _controller(window).train_blocked_reason() is not None
    window.undo_stack.undo()
    qtbot.waitUntil(lambda: not flagged() and window.checker.is_idle(), timeout=10000)
    assert scene.node_items[sample].status.severity is None
    # an ordinary project: no frames, no GAN issues
    window.set_project(Project())
    assert not window.canvas.graph_scene().region_frames.frames


def test_the_samples_panel_in_train_and_sample_now(
    make_window, keras_engine, qtbot, tmp_path: Path
) -> None:
    from nnstudio.core.gan.samples import REQUEST_FLAG

    window = make_window(plugins=True, engine=keras_engine)
    window.set_project(_project())
    window.show_workspace("train")
    dock = window.workspaces.dock("ganSamples")
    qtbot.waitUntil(dock.isVisible, timeout=3000)
    link = _controller(window).gan
    state = SimpleNamespace()
    worker = _controller(window).worker
    worker.state = state
    worker.is_running = lambda: True  # a run in progress, as far as the link can tell
    link.sample_now()
    assert getattr(state, REQUEST_FLAG) is True
    del worker.is_running  # the worker's own again: no run
    worker.state = None
    # a recorded GAN run: its grids can be stepped through afterwards
    folder = tmp_path / "runs" / "run-1"
    (folder / "samples").mkdir(parents=True)
    for epoch in (1, 2):
        image = QImage(16, 16, QImage.Format.Format_RGB32)
        image.fill(QColor(90 * epoch, 0, 0))
        image.save(str(folder / "samples" / f"epoch_{epoch:04d}.png"))
    record = {
        "id": "r1",
        "name": "run 1",
        "dir": str(folder),
        "config": window.project.training.to_json(),
        "history": {"d_loss": [0.9, 0.7], "diversity": [0.3, 0.29]},
        "epochs_completed": 2,
    }
    window.project.add_run(record)
    view = link.view
    assert view.run_box.findData("r1") >= 0
    link._fill_view()
    assert len(view.grids) == 2 and view.current().epoch == 2
    view.step(-1)
    assert view.current().epoch == 1 and "diversity 0.300" in view.caption.text()
    # a sharp fall of the diversity during a run is also said in the run log
    link.run_started(window.project.training)
    events = [
        {"type": "gan_samples", "epoch": e, "batch": None, "path": None, "diversity": d}
        for e, d in enumerate((0.3, 0.32, 0.1))
    ]
    link.handle_events(events)
    log_text = _controller(window).panel.log_view.toPlainText()
    assert "— GAN: Standard (non-saturating)" in log_text and "mode collapse" in log_text
    # another project opened during a run: the panel stops following that run
    window.set_project(Project())
    assert not view.live and view.grids == [] and not view.sample_button.isEnabled()


def test_the_dcgan_template_opens_with_both_regions_framed_apart(
    make_window, keras_engine, qtbot
) -> None:
    from nnstudio.ui.templates_dialog import TemplatesDialog

    assert "dcgan" in TEMPLATES
    dialog = TemplatesDialog()
    qtbot.addWidget(dialog)
    dialog.select("dcgan")
    assert dialog.chosen_key() == "dcgan"
    window = make_window(plugins=True, engine=keras_engine)
    assert window.new_from_template("dcgan")
    frames = window.canvas.graph_scene().region_frames.frames
    assert set(frames) == {"Generator", "Discriminator"}
    assert not frames["Generator"].rect.intersects(frames["Discriminator"].rect)
    assert not window.undo_stack.count()  # placed as a new graph is, not an edit


def test_model_arrange_on_a_gan_keeps_its_regions_framed_apart(
    make_window, keras_engine, wait_checked
) -> None:
    window = make_window(plugins=True, engine=keras_engine)
    from nnstudio.core.layout import layout_command

    window.set_project(_project())
    wait_checked(window)
    window.push(layout_command(window.graph))  # the ordinary layout: the two frames overlap
    frames = window.canvas.graph_scene().region_frames.frames
    assert frames["Generator"].rect.intersects(frames["Discriminator"].rect)
    window.arrange()  # Model > Arrange (Ctrl+L)
    assert not frames["Generator"].rect.intersects(frames["Discriminator"].rect)
    assert window.undo_stack.count() == 2
    assert window.undo_stack.undoText() == "Arrange GAN regions"
    window.undo_stack.undo()
    assert frames["Generator"].rect.intersects(frames["Discriminator"].rect)
    # an ordinary project gets the ordinary layout
    window.set_project(build_template("mlp"))
    window.arrange()
    assert window.undo_stack.undoText() != "Arrange GAN regions"
