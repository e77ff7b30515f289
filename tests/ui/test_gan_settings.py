"""The GAN rows of the training settings: shown for a GAN, round-trip a GanConfig, WGAN-GP
rows only in that mode, roles detected and changeable, and an edit in the window is one
undo step on the project (undo shows the old value again)."""

from __future__ import annotations

import copy

from nnstudio.core.gan.config import GanConfig, GanOptimizer
from nnstudio.core.gan.template import TRAINING, dcgan
from nnstudio.core.layout import apply_positions, layered_layout
from nnstudio.core.project import Project
from nnstudio.core.training.config import TrainingConfig


def _panel(qtbot):
    from nnstudio.ui.training.panel import TrainingPanel

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.resize(320, 700)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _dcgan_project() -> Project:
    graph = dcgan().graph
    apply_positions(graph, layered_layout(graph))
    return Project(graph=graph, name="DCGAN", training=copy.deepcopy(TRAINING))


def test_an_ordinary_run_keeps_no_gan_and_the_rows_stay_folded(qtbot) -> None:
    panel = _panel(qtbot)
    panel.set_config(TrainingConfig(epochs=3))
    assert panel.config().gan is None and panel.config() == TrainingConfig(epochs=3)
    assert not panel.gan.body.isVisibleTo(panel)
    assert panel.gan.enabled_box.isVisibleTo(panel)


def test_gan_settings_round_trip_and_wgan_rows(qtbot) -> None:
    panel = _panel(qtbot)
    panel.gan.set_graph(dcgan().graph)
    gan = GanConfig(
        mode="wgan-gp",
        critic_steps=3,
        gp_weight=5.0,
        generator=GanOptimizer(1e-4, 0.0, 0.9),
        discriminator=GanOptimizer(3e-4, 0.5, 0.99),
        latent_input="noise",
        grid=6,
        noise_seed=7,
        extra={"future": 1},
    )
    config = TrainingConfig(epochs=4, gan=gan)
    panel.set_config(config)
    assert panel.config() == config  # unknown keys and unshown settings ride on
    form = panel.gan.form
    assert form.isRowVisible(panel.gan.critic_steps) and form.isRowVisible(panel.gan.gp_weight)
    panel.set_config(TrainingConfig(gan=GanConfig(mode="standard")))
    assert not form.isRowVisible(panel.gan.critic_steps)
    assert not form.isRowVisible(panel.gan.gp_weight)


def test_roles_are_detected_and_can_be_named(qtbot) -> None:
    panel = _panel(qtbot)
    graph = dcgan().graph
    panel.gan.set_graph(graph)
    panel.set_config(TrainingConfig(gan=GanConfig()))
    latent = panel.gan.roles["latent_input"]
    assert latent.currentData() is None and latent.currentText() == "Detected: noise"
    disc_out = panel.gan.roles["discriminator_output"]
    assert disc_out.currentText() == "Detected: real_or_fake"
    assert panel.gan.latent_label.text().startswith("64 numbers")
    edits = []
    panel.config_changed.connect(edits.append)
    latent.setCurrentIndex(latent.findData("noise"))
    assert edits and edits[-1].gan.latent_input == "noise"
    panel.gan.mode.setCurrentIndex(panel.gan.mode.findData("wgan-gp"))
    assert edits[-1].gan.mode == "wgan-gp" and edits[-1].gan.latent_input == "noise"
    graph.node_by_name("noise").params["shape"] = (16,)  # the latent size follows the graph
    panel.gan.refresh_roles()
    assert panel.gan.latent_label.text().startswith("16 numbers")
    assert latent.currentData() == "noise"  # the choice survives a refresh


def test_turning_gan_training_on_and_off(qtbot) -> None:
    panel = _panel(qtbot)
    panel.set_config(TrainingConfig())
    edits = []
    panel.config_changed.connect(edits.append)
    panel.gan.enabled_box.setChecked(True)
    assert isinstance(edits[-1].gan, GanConfig) and panel.gan.body.isVisibleTo(panel)
    panel.gan.enabled_box.setChecked(False)
    assert edits[-1].gan is None


def test_a_gan_edit_in_the_window_is_one_undo_step(make_window, keras_engine, qtbot) -> None:
    window = make_window(plugins=True, engine=keras_engine)
    window.set_project(_dcgan_project())
    window.show_workspace("train")
    controller = next(p for p in window.plugins if hasattr(p, "gan"))
    panel = controller.panel
    assert panel.gan.enabled_box.isChecked()
    assert panel.gan.roles["generator_output"].currentData() == "generated"
    lr = panel.gan.generator.lr
    lr.setValue(0.001)
    assert window.project.training.gan.generator.learning_rate == 0.001
    assert window.project.training.gan.discriminator.learning_rate == 0.0005
    window.undo_stack.undo()
    assert window.project.training.gan.generator.learning_rate == 0.0005
    assert lr.value() == 0.0005  # the form shows the undone value
    window.undo_stack.redo()
    assert lr.value() == 0.001
    saved = window.project.to_json()["training"]["gan"]
    assert saved["generator"]["learning_rate"] == 0.001 and saved["latent_input"] == "noise"


def test_the_gan_rows_fit_the_narrow_settings_panel(qtbot) -> None:
    panel = _panel(qtbot)
    panel.gan.set_graph(dcgan().graph)
    panel.set_config(TrainingConfig(gan=GanConfig(mode="wgan-gp")))
    assert panel.gan.minimumSizeHint().width() <= panel.settings_scroll.viewport().width()
