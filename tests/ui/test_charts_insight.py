"""Insight at 1366x768: every activation plot at least 200 px tall, and the layer list
sharing the selection with the canvas."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QApplication
from ui_helpers import chain_project, node_id, show

from nnstudio.ui.workspaces import INSIGHT

MIN_PLOT = 200


def test_insight_plots_keep_their_height_on_a_laptop(make_window, keras_engine):
    from nnstudio.ui.training import TrainingController

    window = make_window(plugins=True, engine=keras_engine)
    ctl = window.findChild(TrainingController)
    show(window, chain_project())
    window.resize(1366, 768)
    window.show_workspace(INSIGHT)
    QApplication.processEvents()
    assert (window.width(), window.height()) == (1366, 768)
    view = ctl.activations
    plots = [view.main_plot, view.hist_plot, view.weight_plot, view.grad_plot]
    for tab in range(view.tabs.count()):
        view.tabs.setCurrentIndex(tab)
        QApplication.processEvents()
        shown = [w for w in view.findChildren(pg.GraphicsView) if w.isVisibleTo(window)]
        assert len(shown) == 1, tab  # one chart per tab: each gets the whole height
        assert shown[0].height() >= MIN_PLOT, (tab, shown[0].height())
        box = plots[tab].getViewBox().sceneBoundingRect()  # the plotting area itself
        assert box.height() >= MIN_PLOT, (view.tabs.tabText(tab), box.height())


def test_layer_list_and_canvas_select_the_same_node(make_window, keras_engine):
    from nnstudio.ui.training import TrainingController

    window = make_window(plugins=True, engine=keras_engine)
    ctl = window.findChild(TrainingController)
    show(window, chain_project())
    window.show_workspace(INSIGHT)
    QApplication.processEvents()
    view = ctl.activations
    names = [view.layer_list.item(i).text() for i in range(view.layer_list.count())]
    assert names == ["features", "hidden", "scores"]
    window.select_nodes([node_id(window, "hidden")])  # on the canvas (or any map)
    QApplication.processEvents()
    assert view.layer == "hidden" and view.layer_list.currentItem().text() == "hidden"
    view.layer_list.setCurrentRow(2)  # in the list
    QApplication.processEvents()
    assert window.canvas.graph_scene().selected_node_ids() == [node_id(window, "scores")]
    assert view.layer == "scores"


def test_evaluation_plots_keep_their_height_on_a_laptop(make_window, keras_engine):
    """The confusion matrix, both regression plots and the reconstruction errors: each
    plotting area at least 200 px in the Insight workspace at 1366x768."""
    import numpy as np

    from nnstudio.core.training.evaluation import Evaluation, Reconstruction, per_class_scores
    from nnstudio.ui.training import TrainingController

    window = make_window(plugins=True, engine=keras_engine)
    ctl = window.findChild(TrainingController)
    show(window, chain_project())
    window.resize(1366, 768)
    window.show_workspace(INSIGHT)
    view = ctl.evaluation
    names = [str(i) for i in range(10)]
    cm = np.eye(10, dtype=np.int64) * 12 + 1
    rng = np.random.default_rng(0)
    y = rng.normal(size=200)
    x = np.zeros((28, 28, 1), np.float32)
    cases = [
        (
            Evaluation(
                "validation",
                "classification",
                {"loss": 1.0},
                1300,
                names,
                cm,
                per_class_scores(cm, names),
            ),
            [view.cm_plot],
        ),
        (
            Evaluation("validation", "regression", {"loss": 1.0}, 200, y_true=y, y_pred=y + 0.1),
            [view.scatter_plot, view.residual_plot],
        ),
        (
            Evaluation(
                "validation",
                "reconstruction",
                {"loss": 0.1},
                3,
                errors=np.array([0.1, 0.2, 0.3]),
                worst=[Reconstruction(0, x, x, 0.3)],
            ),
            [view.error_plot],
        ),
    ]
    for ev, plots in cases:
        view.show_evaluation(ev)
        QApplication.processEvents()
        for plot in plots:
            box = plot.getViewBox().sceneBoundingRect()
            assert box.height() >= MIN_PLOT, (ev.task, box.height())
