"""Training widgets on their own: the settings form, the charts' buffers, evaluation views."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.training.config import TrainingConfig
from nnstudio.core.training.evaluation import Evaluation, Misclassified


def test_panel_shows_and_returns_a_config(qtbot) -> None:
    from nnstudio.ui.training.panel import TrainingPanel

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    config = TrainingConfig(
        optimizer="sgd",
        learning_rate=0.05,
        momentum=0.7,
        nesterov=True,
        schedule="step",
        step_epochs=3,
        decay_factor=0.25,
        batch_size=64,
        epochs=12,
        validation=False,
        early_stopping=True,
        monitor="val_accuracy",
        patience=4,
        restore_best=False,
        class_weight="balanced",
        seed=None,
        device="cpu",
        probe_budget=0.1,
        extra={"kept": 1},
    )
    panel.set_config(config)
    assert panel.config() == config
    with qtbot.waitSignal(panel.config_changed) as signal:
        panel.batch_size.setValue(128)
    assert signal.args[0].batch_size == 128 and signal.args[0].extra == {"kept": 1}
    custom = config.replace(class_weight={"0": 1.0, "1": 4.0})
    panel.set_config(custom)
    assert panel.config() == custom and "Custom (0: 1, 1: 4)" in panel.class_weight.currentText()
    panel.class_weight.setCurrentIndex(panel.class_weight.findData("none"))
    assert panel.config().class_weight == "none"


def test_panel_progress_and_buttons(qtbot) -> None:
    from nnstudio.ui.training.panel import IDLE, PAUSED, RUNNING, TrainingPanel

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.set_can_start(False, "engine loading")
    assert not panel.start_button.isEnabled()
    assert panel.status_label.text() == "engine loading"
    panel.set_can_start(True)
    assert panel.start_button.isEnabled() and not panel.stop_button.isEnabled()
    assert panel.status_label.text() == "Ready: press Train."  # the stale reason is gone
    panel.set_state(RUNNING)
    assert not panel.start_button.isEnabled() and panel.stop_button.isEnabled()
    assert not panel.batch_size.isEnabled()
    panel.handle_events(
        [
            {"type": "start", "epochs": 4, "steps": 10},
            {
                "type": "batch",
                "epoch": 1,
                "batch": 4,
                "steps": 10,
                "logs": {"loss": 0.5},
                "elapsed": 30.0,
                "epoch_elapsed": 5.0,
                "samples_per_s": 1234.0,
            },
        ]
    )
    assert panel.epoch_bar.value() == 5 and panel.epoch_bar.maximum() == 10
    assert panel.run_bar.value() == 15 and panel.run_bar.maximum() == 40
    assert "Epoch 2/4 · batch 5/10" in panel.epoch_label.text()
    assert "ETA 0:05" in panel.epoch_label.text()  # 5 s for 5 batches, 5 to go
    assert "ETA 0:50" in panel.run_label.text() and "1,234 samples/s" in panel.run_label.text()
    with qtbot.waitSignal(panel.pause_clicked):
        panel.pause_button.click()
    panel.set_state(PAUSED)
    assert panel.pause_button.text() == "Resume"
    with qtbot.waitSignal(panel.resume_clicked):
        panel.pause_button.click()
    panel.set_state(IDLE)
    assert panel.start_button.isEnabled()


def test_output_edits_are_reported(qtbot) -> None:
    from nnstudio.ui.training.panel import TrainingPanel

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.set_outputs([("n5", "scores", "mse", ["mae"])])
    edit = panel.outputs.cellWidget(0, 2)
    edit.setText("mae, mse")
    with qtbot.waitSignal(panel.output_changed) as signal:
        edit.editingFinished.emit()
    assert signal.args == ["n5", "mse", ["mae", "mse"]]


def test_charts_take_batches_and_epochs_from_growing_buffers(qtbot) -> None:
    from nnstudio.ui.training.plots import GrowingBuffer, MetricsPlots

    plots = MetricsPlots()
    qtbot.addWidget(plots)
    raw = [1.0, 3.0, 2.0, 6.0]
    means = np.cumsum(raw) / np.arange(1, 5)
    events = [{"type": "start", "steps": 4, "epochs": 2}]
    events += [
        {
            "type": "batch",
            "epoch": 0,
            "batch": b,
            "steps": 4,
            "logs": {"loss": float(means[b]), "auc": 0.5 + b / 10},
            "learning_rate": 0.01,
            "samples_per_s": 100.0 + b,
        }
        for b in range(4)
    ]
    events.append(
        {"type": "epoch", "epoch": 0, "logs": {"loss": 3.0, "val_loss": 2.5, "learning_rate": 0.01}}
    )
    plots.handle_events(events)
    loss = plots.series["loss"]
    assert loss.batch.x.tolist() == [0.25, 0.5, 0.75, 1.0]
    assert loss.batch.y == pytest.approx(raw)  # per-batch values, not running means
    assert plots.series["auc"].batch.y == pytest.approx([0.5, 0.6, 0.7, 0.8])  # not a mean
    assert loss.epoch.x.tolist() == [1.0] and loss.val.y.tolist() == [2.5]
    assert "learning_rate" not in plots.series and plots.lr.n == 4
    # redraws are throttled: the last data are drawn shortly after, without another event
    qtbot.waitUntil(lambda: loss.curves["val"].getData()[1] is not None, timeout=2000)
    assert list(loss.curves["val"].getData()[1]) == [2.5]
    assert len(loss.curves["batch"].getData()[0]) == 4
    assert set(plots.plots) >= {"loss", "auc", "throughput"}
    assert "learning rate 0.01 (constant)" in plots.lr_label.text() and not plots.lr_strip

    buf = GrowingBuffer(4)
    buf.extend(np.arange(1_000_000, dtype=float), np.zeros(1_000_000))
    buf.append(1e6, 1.0)
    assert buf.n == 1_000_001 and buf.x[-1] == 1e6
    loss.batch.extend(buf.x, buf.y)
    plots.refresh()  # a million points go in with one setData
    assert plots.point_count("loss") == 1_000_005


def test_overlays_of_recorded_runs(qtbot) -> None:
    from nnstudio.ui.training.plots import MetricsPlots

    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.set_overlay(
        "r1", "first", {"loss": [1.0, 0.5], "val_loss": [1.2, None], "learning_rate": [0.1, 0.1]}
    )
    assert plots.overlays() == {"r1": True}
    assert "first" in plots.legend.text()
    curves = plots.overlay_curves("r1")
    assert len(curves) == 2
    plots.show_overlay("r1", False)
    assert not any(c.isVisible() for _, c in curves) and "first" not in plots.legend.text()
    plots.remove_overlay("r1")
    assert plots.overlays() == {}


def test_evaluation_view_classification_and_regression(qtbot) -> None:
    from nnstudio.ui.training.evaluation_view import EvaluationView, sample_image

    view = EvaluationView()
    qtbot.addWidget(view)
    image = np.random.default_rng(0).random((28, 28, 1)).astype("float32")
    ev = Evaluation(
        "test",
        "classification",
        {"accuracy": 0.75},
        4,
        ["a", "b"],
        np.array([[1, 1], [0, 2]]),
        [
            {"class": "a", "precision": 1.0, "recall": 0.5, "f1": 0.667, "support": 2},
            {"class": "b", "precision": 0.667, "recall": 1.0, "f1": 0.8, "support": 2},
        ],
        [Misclassified(3, image, 0, 1, 0.9)],
    )
    view.show_evaluation(ev)
    assert view.stack.currentIndex() == 1
    assert "test data (4 samples)" in view.summary.text()
    assert view.per_class.item(1, 0).text() == "b" and view.per_class.item(0, 2).text() == "0.500"
    item = view.misclassified.item(0)
    assert "a → b (90%)" in item.text() and not item.icon().isNull()
    view.normalized.setChecked(True)
    assert [t.toPlainText() for t in view._cell_text] == ["0.50", "0.50", "0.00", "1.00"]
    assert sample_image(np.zeros(5)) is None

    y = np.linspace(0, 1, 20)
    view.show_evaluation(
        Evaluation("validation", "regression", {"mae": 0.1}, 20, y_true=y, y_pred=y + 0.1)
    )
    assert view.stack.currentIndex() == 2
    assert "MAE 0.1" in view.residual_plot.titleLabel.text
    assert len(view.residuals.data) == 20


def test_activation_view_shows_the_selected_layer(qtbot) -> None:
    from nnstudio.core.training.probes import summarize
    from nnstudio.ui.training.activations import ActivationsView, histograms_over_time

    view = ActivationsView()
    qtbot.addWidget(view)
    dense = summarize("hidden", np.abs(np.random.default_rng(1).normal(size=(8, 5))), True)
    conv = summarize("conv", np.random.default_rng(2).random((3, 6, 6, 4)), True)
    view.select_layer("conv")
    layers = {"hidden": dense.to_json(), "conv": conv.to_json()}  # events are plain data
    view.handle_events([{"type": "probe", "layers": layers}])
    assert "conv" in view.title.text() and view.sample.maximum() == 2
    assert view.main_image.image is not None
    view.select_layer("hidden")
    assert "dead units 0%" in view.stats.text()
    assert view.main_image.image.shape == (5, 8)  # [x=unit, y=sample]
    image, (lo, hi) = histograms_over_time(
        [(np.array([0, 4]), (0.0, 1.0)), (np.array([2, 0]), (1.0, 3.0))], bins=3
    )
    assert (lo, hi) == (0.0, 3.0) and image.max() == pytest.approx(1.0)
    assert image[0].argmax() == 0 and image[1].argmax() == 1


def test_a_reconstruction_shows_its_errors_and_worst_pairs(qtbot):
    from nnstudio.core.training.evaluation import Reconstruction
    from nnstudio.ui.training.evaluation_view import EvaluationView

    view = EvaluationView()
    qtbot.addWidget(view)
    x = np.linspace(0, 1, 28 * 28, dtype=np.float32).reshape(28, 28, 1)
    worst = [Reconstruction(7, x, x * 0.5, 0.08), Reconstruction(2, x, x, 0.01)]
    errors = np.array([0.01, 0.02, 0.08, 0.03])
    ev = Evaluation("validation", "reconstruction", {"loss": 0.035}, 4, errors=errors, worst=worst)
    view.show_evaluation(ev)
    assert view.stack.currentIndex() == 3
    xs, counts = view.error_bars.getData()
    assert counts.sum() == 4
    assert view.worst.count() == 2 and "#7" in view.worst.item(0).text()
    icon = view.worst.item(0).icon().pixmap(200, 200)
    assert icon.width() > icon.height()  # input and output side by side
    assert "worst 0.08" in view.error_plot.titleLabel.text
    view.reset()
    assert view.worst.count() == 0 and view.stack.currentIndex() == 0
