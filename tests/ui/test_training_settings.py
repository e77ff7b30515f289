"""The training settings form: generated from the core catalog, fits a narrow panel, and
the wheel over it scrolls instead of changing the optimizer."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout

from nnstudio.core.objectives.settings import SETTINGS
from nnstudio.core.training.config import TrainingConfig
from tests.ui.test_param_editors import _wheel


def _panel(qtbot):
    from nnstudio.ui.training.panel import TrainingPanel

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.resize(300, 500)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_every_catalog_setting_has_an_editor_and_round_trips(qtbot) -> None:
    panel = _panel(qtbot)
    assert set(panel.form.widgets) == {s.param.name for s in SETTINGS}
    config = TrainingConfig(
        optimizer="sgd",
        momentum=0.7,
        schedule="cosine",
        seed=None,
        probe_budget=0.1,
        monitor="val_mae",
        early_stopping=True,
    )
    panel.set_config(config)
    assert panel.config() == config


def test_only_the_chosen_optimizers_and_schedules_parameters_are_shown(qtbot) -> None:
    panel = _panel(qtbot)
    form: QFormLayout = panel.form.forms["Optimizer"]
    panel.set_config(TrainingConfig(optimizer="adam", schedule="constant"))
    assert not form.isRowVisible(panel.momentum) and not form.isRowVisible(panel.step_epochs)
    panel.set_config(TrainingConfig(optimizer="sgd", schedule="step"))
    assert form.isRowVisible(panel.momentum) and form.isRowVisible(panel.step_epochs)
    assert not form.isRowVisible(panel.weight_decay)


def test_settings_fit_a_narrow_panel_and_show_many_rows(qtbot) -> None:
    panel = _panel(qtbot)
    viewport = panel.settings_scroll.viewport()
    assert viewport.height() >= 220, viewport.height()  # about a dozen rows, not one
    assert panel.form.minimumSizeHint().width() <= viewport.width()  # nothing cut off
    assert panel.optimizer.isVisibleTo(panel)


def test_the_wheel_over_the_settings_does_not_change_the_optimizer(qtbot) -> None:
    panel = _panel(qtbot)
    panel.settings_scroll.setFocus()
    before = panel.config()
    _wheel(panel.optimizer)
    _wheel(panel.batch_size, +1)
    assert panel.config() == before
