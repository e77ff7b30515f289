"""Charts: TensorBoard's debiased EMA, the smoothing slider, the log-scale loss, axis labels,
the learning-rate strip, colour bars, feature-map grids, the layer list, reset() of every
view and tables sized to their content."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.core.training.evaluation import Evaluation
from nnstudio.core.training.probes import summarize
from nnstudio.ui.training.smoothing import Ema, smooth


def test_ema_matches_a_hand_computation() -> None:
    # w = 0.5: last = 0.5, 1.75, 1.875; debiased by 1 - 0.5**t = 0.5, 0.75, 0.875
    expected = [1.0, 1.75 / 0.75, 1.875 / 0.875]
    assert smooth(np.array([1.0, 3.0, 2.0]), 0.5) == pytest.approx(expected, abs=1e-12)
    ema = Ema(0.5)
    assert [ema.push(v) for v in (1.0, 3.0, 2.0)] == pytest.approx(expected, abs=1e-12)
    # a constant series stays constant from the first point (no pull towards zero)
    assert smooth(np.full(5, 7.0), 0.9) == pytest.approx([7.0] * 5)
    assert smooth(np.array([1.0, 2.0]), 0.0).tolist() == [1.0, 2.0]
    # a non-finite value is passed through and leaves the average alone
    out = smooth(np.array([1.0, math.nan, 3.0]), 0.5)
    assert math.isnan(out[1]) and out[2] == pytest.approx(1.75 / 0.75)
    with pytest.raises(ValueError):
        Ema(1.0)


@pytest.mark.parametrize("weight", [0.1, 0.6, 0.8, 0.9, 0.95, 0.99, 0.999])
def test_vectorised_ema_equals_the_streaming_one(weight: float) -> None:
    values = np.random.default_rng(3).normal(size=30_000) + np.linspace(4, 0, 30_000)
    ema = Ema(weight)
    streamed = np.array([ema.push(v) for v in values])
    assert np.max(np.abs(smooth(values, weight) - streamed)) < 1e-9


def batch_events(lrs: list[float], loss: float = 2.0) -> list[dict]:
    events: list[dict] = [{"type": "start", "steps": len(lrs), "epochs": 1}]
    events += [
        {
            "type": "batch",
            "epoch": 0,
            "batch": b,
            "steps": len(lrs),
            "logs": {"loss": loss, "accuracy": 0.5},
            "learning_rate": lr,
            "samples_per_s": 100.0,
        }
        for b, lr in enumerate(lrs)
    ]
    return events


def test_slider_resmooths_and_loss_goes_log(qtbot) -> None:
    from nnstudio.ui.training.plots import MetricsPlots

    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.handle_events(batch_events([0.01] * 3))
    loss = plots.series["loss"]
    loss.batch.clear()
    loss.smooth.clear()
    for i, v in enumerate((1.0, 3.0, 2.0)):
        loss.add_batch(float(i), 0, v)  # batch 0: the raw value itself
    plots.set_smoothing(0.5)
    assert loss.smooth.y == pytest.approx([1.0, 1.75 / 0.75, 1.875 / 0.875])
    loss.add_batch(3.0, 0, 2.0)  # streaming carries on from the re-smoothed state
    assert loss.smooth.y[-1] == pytest.approx(smooth(np.array([1.0, 3.0, 2.0, 2.0]), 0.5)[-1])
    plots.set_smoothing(0.0)
    assert loss.smooth.y.tolist() == loss.batch.y.tolist()
    assert plots.smoothing_label.text() == "0.000"

    plots.log_loss.setChecked(True)
    assert plots.plots["loss"].ctrl.logYCheck.isChecked()
    assert not plots.plots["accuracy"].ctrl.logYCheck.isChecked()
    axis = plots.plots["loss"].getAxis("left")
    levels = axis.tickValues(-1.9, 0.5, 400)  # 0.0126..3.16: decades first, labelled always
    assert levels[0] == (None, [-1.0, 0.0]) and len(levels[1][1]) == 18
    assert axis.style["textFillLimits"][-1][1] < 0.5  # the 2..9 ticks only where sparse
    plots.prepare(["digit_loss"])  # a chart made later follows the toggle
    assert plots.plots["digit_loss"].ctrl.logYCheck.isChecked()


def test_a_run_without_a_loss_gets_no_empty_loss_chart(qtbot) -> None:
    from nnstudio.ui.training.plots import MetricsPlots

    plots = MetricsPlots()
    qtbot.addWidget(plots)
    gan = ["d_loss", "g_loss", "d_real", "d_fake"]
    plots.reset(gan)  # a GAN run logs its two losses, not "loss"
    plots.prepare(gan)
    assert "validation" in plots.legend.text()
    plots.show_validation(False)  # nor does it validate
    assert "training" in plots.legend.text() and "validation" not in plots.legend.text()
    assert "loss" not in plots.plots
    assert set(gan) <= set(plots.plots)
    lead = plots.plots["d_loss"]  # the first chart leads every x axis
    lead.setXRange(0, 7, padding=0)
    for key, plot in plots.plots.items():
        assert plot.getViewBox().viewRange()[0] == [0, 7], key
    assert plots.lr_plot.getViewBox().viewRange()[0] == [0, 7]
    plots.reset(["loss", "accuracy"])  # an ordinary run brings the loss chart back
    plots.prepare(["loss", "accuracy"])
    assert set(plots.plots) == {"loss", "accuracy", "throughput"}
    plots.plots["loss"].setXRange(1, 3, padding=0)
    assert plots.plots["accuracy"].getViewBox().viewRange()[0] == [1, 3]


def test_axes_are_labelled_with_units(qtbot) -> None:
    from nnstudio.ui.training.chart_style import axis_label
    from nnstudio.ui.training.plots import MetricsPlots

    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.prepare(["loss", "accuracy", "mae"])
    for key, plot in plots.plots.items():
        assert plot.getAxis("bottom").labelText == "epoch", key
        assert plot.getAxis("left").labelText == axis_label(key), key
    assert axis_label("accuracy") == "accuracy (0–1)"
    assert axis_label("throughput") == "throughput (samples/s)"
    assert axis_label("digit_loss") == "digit loss"
    assert axis_label("mae") == "mean absolute error"


def test_learning_rate_is_text_until_it_changes_then_a_thin_strip(qtbot) -> None:
    from nnstudio.ui.training.plots import LR_STRIP_HEIGHT, MetricsPlots

    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.resize(900, 600)
    plots.show()
    plots.handle_events(batch_events([0.01] * 4))
    plots.refresh()
    assert plots.lr_label.text() == "learning rate 0.01 (constant)"
    assert plots.lr_plot.scene() is None  # no chart for a flat line
    plots.handle_events(batch_events([0.01, 0.01, 0.005, 0.0025]))
    plots.refresh()
    qtbot.wait(50)
    assert plots.lr_strip and plots.lr_plot.scene() is plots.view.scene()
    assert "0.0025 (from 0.01)" in plots.lr_label.text()
    assert plots.lr_plot.geometry().height() <= LR_STRIP_HEIGHT
    assert plots.plots["loss"].geometry().height() > 3 * LR_STRIP_HEIGHT
    assert list(plots.lr_curve.getData()[1]) == [0.01, 0.01, 0.005, 0.0025]


def test_metrics_plots_reset_to_empty(qtbot) -> None:
    from nnstudio.ui.training.plots import MetricsPlots

    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.handle_events(batch_events([0.01, 0.02]))
    plots.set_overlay("r1", "first", {"loss": [1.0], "accuracy": [0.5]})
    plots.begin_run()  # a new run keeps the overlays
    assert plots.overlays() == {"r1": True}
    plots.handle_events(batch_events([0.01, 0.02]))
    plots.reset()
    assert plots.overlays() == {} and set(plots.plots) == {"loss", "throughput"}
    assert plots.point_count("loss") == 0 and plots.lr.n == 0 and not plots.lr_strip
    assert plots.lr_label.text() == "" and "first" not in plots.legend.text()
    plots.handle_events(batch_events([0.01]))  # and works as before
    assert plots.point_count("loss") == 1 and plots.point_count("accuracy") == 1


def conv_and_dense():
    rng = np.random.default_rng(2)
    dense = summarize("hidden", np.abs(rng.normal(size=(8, 5))), True)
    conv = summarize("conv", rng.random((3, 6, 6, 4)), True)
    return dense, conv


def test_feature_maps_are_a_labelled_grid_and_heat_maps_have_colour_bars(qtbot) -> None:
    from nnstudio.ui.training.activations import ActivationsView

    view = ActivationsView()
    qtbot.addWidget(view)
    dense, conv = conv_and_dense()
    assert view.tabs.tabText(0) == "Output" and not view.main_bar.isVisible()  # nothing yet
    view.select_layer("conv")
    view.handle_events([{"type": "probe", "layers": {"hidden": dense, "conv": conv}}])
    plot = view.main_plot
    assert view.main_bar.isVisible()
    assert not plot.getAxis("left").isVisible() and not plot.getAxis("bottom").isVisible()
    assert [t.toPlainText() for t in view._tile_labels] == ["0", "1", "2", "3"]
    assert view.tabs.tabText(0) == "Feature maps"
    assert view.main_bar.levels() == (0.0, 1.0)
    view.select_layer("hidden")
    assert plot.getAxis("left").isVisible() and view._tile_labels == []
    assert plot.getAxis("bottom").labelText == "unit"
    assert plot.getAxis("bottom")._tickLevels == [[(i, str(i)) for i in range(5)]]  # whole units
    heat = dense.heat
    assert view.main_bar.levels() == pytest.approx((heat.min(), heat.max()))
    assert tuple(view.main_image.levels) == pytest.approx((heat.min(), heat.max()))
    for bar in (view.hist_bar, view.weight_bar):
        assert bar.levels() == (0.0, 1.0)
    assert view.grad_plot.getAxis("left").labelText == "gradient norm (L2)"
    assert view.grad_plot.getAxis("bottom").labelText == "epoch"


def test_probe_events_as_plain_json_dicts(qtbot) -> None:
    from nnstudio.ui.training.activations import ActivationsView

    view = ActivationsView()
    qtbot.addWidget(view)
    maps = np.random.default_rng(4).random((2, 4, 4, 3))
    probe = {
        "name": "conv",
        "kind": "conv",
        "shape": [4, 4, 3],
        "mean": 0.5,
        "std": 0.2,
        "dead": 0.0,
        "hist": [1, 2, 3],
        "hist_range": [0.0, 1.0],
        "maps": maps.tolist(),
    }
    weights = {"name": "conv", "count": 30, "norm": 1.0, "hist": [3, 1], "hist_range": [-1, 1]}
    view.select_layer("conv")
    view.handle_events(
        [
            {"type": "probe", "layers": {"conv": probe}},
            {"type": "weights", "epoch": 0, "layers": {"conv": {**weights, "grad_norm": 0.7}}},
        ]
    )
    assert "output 4×4×3" in view.title.text() and view.sample.maximum() == 1
    assert view.main_image.image.shape == (9, 9)  # a 2x2 grid of 4x4 tiles, 1 px apart
    assert list(view.grad_curve.getData()[1]) == [0.7]


def test_layer_list_follows_and_sets_the_selection(qtbot) -> None:
    from nnstudio.ui.training.activations import ActivationsView

    view = ActivationsView(layers=lambda: ["input", "conv", "hidden"])
    qtbot.addWidget(view)
    view.show()
    dense, conv = conv_and_dense()
    view.handle_events([{"type": "probe", "layers": {"hidden": dense, "conv": conv}}])
    names = [view.layer_list.item(i).text() for i in range(view.layer_list.count())]
    assert names == ["input", "conv", "hidden"]
    view.select_layer("hidden")  # selected elsewhere: the list follows, nothing emitted
    assert view.layer_list.currentItem().text() == "hidden"
    with qtbot.waitSignal(view.layer_chosen) as signal:
        view.layer_list.setCurrentRow(1)
    assert signal.args == ["conv"] and view.layer == "conv"
    assert "conv" in view.title.text()
    view.reset()
    assert view.latest == {} and view.main_image.image is None
    assert "no activations yet" in view.title.text()


def classification() -> Evaluation:
    names = ["a", "a class with a rather long name"]
    per_class = [
        {"class": n, "precision": 1.0, "recall": 0.5, "f1": 0.667, "support": 2} for n in names
    ]
    return Evaluation(
        "test", "classification", {"accuracy": 0.75}, 4, names, np.array([[1, 1], [0, 2]]),
        per_class, [],
    )  # fmt: skip


def test_evaluation_colour_bar_columns_and_reset(qtbot) -> None:
    from nnstudio.ui.training.evaluation_view import EMPTY, EvaluationView

    view = EvaluationView()
    qtbot.addWidget(view)
    view.resize(700, 700)
    view.show()
    view.show_evaluation(classification())
    assert view.cm_bar.levels() == (0.0, 2.0)
    assert view.cm_bar.getAxis("left").labelText == "samples"
    view.normalized.setChecked(True)
    assert view.cm_bar.levels() == (0.0, 1.0)
    table = view.per_class
    width = table.fontMetrics().horizontalAdvance("a class with a rather long name")
    assert table.columnWidth(0) >= width
    assert table.columnWidth(1) < table.columnWidth(0)  # not stretched to equal widths
    view.reset()
    assert view.evaluation is None and view.summary.text() == EMPTY
    assert view.per_class.rowCount() == 0 and view.misclassified.count() == 0
    assert view.cm_image.image is None and view._cell_text == []
    assert view.stack.currentIndex() == 0


def test_runs_table_fits_its_content_and_resets(qtbot) -> None:
    from nnstudio.ui.training.runs_view import RunsView

    view = RunsView()
    qtbot.addWidget(view)
    view.resize(500, 200)
    view.show()
    name = "Run 1 (adam, lr 0.002, bs 16, a long name)"
    runs = [{"id": "r1", "name": name, "status": "completed", "epochs_completed": 3}]
    view.set_runs(runs, {"r1": True})
    tree = view.tree
    assert tree.columnWidth(1) >= tree.fontMetrics().horizontalAdvance(name)
    assert view.run_ids() == ["r1"]
    view.reset()
    assert view.run_ids() == [] and view.model.rowCount() == 0
