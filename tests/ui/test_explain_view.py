"""The Insight workspace's Explain panel: overlays with a colour scale for images, bars for
rows (with the mean |attribution| over the split) and steps, the next misclassified sample
in one click, all computed on background tasks; readable at 1366x768."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QApplication

from nnstudio.core.insight.explain import cam_layers, predict
from nnstudio.core.insight.explain_session import RunSamples
from nnstudio.ui.insight.explain_view import EMPTY, ExplainView
from nnstudio.ui.workspaces import INSIGHT

MIN_PLOT = 200


@pytest.fixture(scope="module")
def image_samples() -> RunSamples:
    """A tiny CNN trained for two epochs on 16x16 images (class 1: a bright square)."""
    import keras

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 0.3, (96, 16, 16, 1)).astype(np.float32)
    y = rng.integers(0, 2, 96)
    for i in np.flatnonzero(y):
        r, c = rng.integers(0, 12, 2)
        x[i, r : r + 4, c : c + 4] = 1.0
    keras.utils.set_random_seed(0)
    inp = keras.Input((16, 16, 1))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inp)
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = keras.Model(inp, keras.layers.Dense(2, activation="softmax")(h))
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    preds = predict(model, x[:32])
    return RunSamples(
        model,
        "run-1",
        "Run 1",
        x[:32],
        y[:32],
        preds,
        "image",
        ["empty", "square"],
        [],
        cam_layers(model),
    )


def _wait(qtbot, view: ExplainView) -> None:
    qtbot.waitUntil(lambda: view.task is None and view._pending is None, timeout=20000)


def test_an_image_overlay_with_its_colour_scale(qtbot, image_samples) -> None:
    view = ExplainView(lambda: None)
    qtbot.addWidget(view)
    view.set_samples(image_samples)
    _wait(qtbot, view)
    e = view.explanation
    assert e.method == "gradcam" and e.layer == "conv" and view.layer_box.isEnabled()
    assert view.image_item.image.shape == (16, 16, 3)
    lo, hi = view.color_bar.levels()
    assert (lo, hi) == (0, 1)  # scaled to the largest attribution, which the text gives
    assert f"{float(e.heatmap().max()):.3g}" in view.sample_info.text()
    top = np.unravel_index(np.argmax(e.heatmap()), e.heatmap().shape)
    shown = view.image_item.image  # transposed: [x, y, rgb]
    assert shown[top[1], top[0]].sum() > shown.sum(axis=-1).mean()  # the hottest is bright
    assert "class" in view.sample_info.text() and view.status.text().startswith(
        "Run 1: 32 validation samples"
    )
    view.method.setCurrentIndex(3)  # integrated gradients
    view.class_box.setCurrentIndex(2)  # "square"
    _wait(qtbot, view)
    assert view.explanation.method == "ig" and view.explanation.class_name == "square"
    assert not view.layer_box.isEnabled()


def test_next_misclassified_in_one_click(qtbot, image_samples) -> None:
    view = ExplainView(lambda: None)
    qtbot.addWidget(view)
    view.set_samples(image_samples)
    wrong = image_samples.misclassified()
    assert wrong, "the two-epoch model gets some wrong"
    view.show_misclassified()
    assert view.sample.value() in wrong
    _wait(qtbot, view)
    shown = view.sample.value()
    assert image_samples.predicted[shown] != image_samples.labels[shown]
    assert "true" in view.sample_info.text()


def test_a_model_it_cannot_explain_clears_the_panel_and_says_why(
    qtbot, image_samples, monkeypatch, caplog
) -> None:
    from types import SimpleNamespace

    from nnstudio.core.insight.explain_maps import ExplainError
    from nnstudio.ui.insight import explain_view

    view = ExplainView(lambda: SimpleNamespace(runs=["run-2"]))
    qtbot.addWidget(view)
    view.set_samples(image_samples)  # an earlier run's explanation on show
    _wait(qtbot, view)
    assert view.sample_info.text() and view.image_item.image is not None

    def refuse(_state, _project):
        raise ExplainError('input "tokens" takes int32 values (tokens): gradients need a float')

    monkeypatch.setattr(explain_view, "load_run_samples", refuse)
    caplog.clear()
    view.reload()  # the next run is of a token model
    _wait(qtbot, view)
    assert view.status.text().startswith('input "tokens" takes int32 values')
    assert view.sample_info.text() == "" and view.image_item.image is None
    assert view.samples is None and not view.sample.isEnabled()
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # said, not logged


def test_rows_get_feature_bars_and_the_split_mean(qtbot) -> None:
    import keras

    keras.utils.set_random_seed(1)
    inp = keras.Input((4,))
    model = keras.Model(inp, keras.layers.Dense(3, activation="softmax")(inp))
    x = np.random.default_rng(1).normal(size=(20, 4)).astype(np.float32)
    samples = RunSamples(
        model,
        "r",
        "r",
        x,
        None,
        predict(model, x),
        "tabular",
        ["a", "b", "c"],
        ["age", "height", "weight", "income"],
        [],
    )
    view = ExplainView(lambda: None)
    qtbot.addWidget(view)
    view.set_samples(samples)
    _wait(qtbot, view)
    assert view.current_method() == "ig"  # no convolution: Grad-CAM is off
    assert not view.method.model().item(0).isEnabled()
    assert view.stack.currentIndex() == 2 and view.mean_abs is not None
    assert view.mean_abs.shape == (4,) and np.all(view.mean_abs >= 0)
    heights = view.row_bars.opts["height"]
    np.testing.assert_allclose(heights, view.explanation.attributions, rtol=1e-6)
    ticks = view.row_plot.getAxis("bottom")._tickLevels
    names = ["age", "height", "weight", "income"]
    assert [i for i, _ in ticks[0]] == [0, 1, 2, 3]
    assert all(n.startswith(t.rstrip("…")) for (_, t), n in zip(ticks[0], names, strict=True))


def test_sequences_get_one_bar_per_step(qtbot) -> None:
    import keras

    inp = keras.Input((10, 3))
    h = keras.layers.Conv1D(2, 3, padding="same", name="conv")(inp)
    model = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(h)))
    x = np.random.default_rng(2).normal(size=(5, 10, 3)).astype(np.float32)
    samples = RunSamples(
        model,
        "r",
        "r",
        x,
        None,
        predict(model, x),
        "sequence",
        ["no", "yes"],
        [],
        cam_layers(model),
    )
    view = ExplainView(lambda: None)
    qtbot.addWidget(view)
    view.set_samples(samples)
    view.method.setCurrentIndex(1)  # saliency
    _wait(qtbot, view)
    assert view.explanation.method == "saliency"
    assert len(view.row_bars.opts["height"]) == 10
    assert not view.mean_plot.isVisible()


def test_the_panel_in_the_insight_workspace_at_1366x768(
    make_window, keras_engine, qtbot, image_samples
) -> None:
    from nnstudio.ui.training import TrainingController

    window = make_window(plugins=True, engine=keras_engine)
    window.resize(1366, 768)
    window.show_workspace(INSIGHT)
    QApplication.processEvents()
    ctl = window.findChild(TrainingController)
    view = window.workspaces.widget("explain")
    assert isinstance(view, ExplainView) and view.status.text() == EMPTY  # no run yet
    view.set_samples(image_samples)
    _wait(qtbot, view)
    view.raise_()
    for d in window.findChildren(pg.QtWidgets.QDockWidget):
        if d.isAncestorOf(view):
            d.raise_()
    QApplication.processEvents()
    assert view.isVisible()
    box = view.image_plot.getViewBox().sceneBoundingRect()
    assert box.height() >= MIN_PLOT and box.width() >= MIN_PLOT, box
    ctl._project_changed()  # another project: emptied in place
    assert view.samples is None and view.status.text() == EMPTY
    assert view.stack.currentIndex() == 0  # no chart while there is nothing to show
