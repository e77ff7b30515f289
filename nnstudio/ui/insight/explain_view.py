"""The Insight workspace's Explain panel: why the latest run's model decides as it does.

Pick a method (Grad-CAM, saliency, SmoothGrad, integrated gradients), a class (the
predicted one by default), a layer for Grad-CAM and a validation sample (or jump to the next
misclassified one); images show the heat map over the input with its colour scale, rows a
bar per feature (and the mean |attribution| per feature over the validation split),
sequences a bar per step.  The model, the samples and every explanation are computed on a
background task (:mod:`nnstudio.ui.tasks`); nothing here imports Keras at module level.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.insight.explain_maps import ExplainError
from nnstudio.core.insight.explain_render import HEAT_STOPS, overlay_rgb
from nnstudio.core.insight.explain_session import explain_sample, load_run_samples
from nnstudio.core.insight.explain_session import mean_abs_over_split as _mean_abs
from nnstudio.ui.tasks import Cancelled, Task
from nnstudio.ui.training.chart_style import style_plot

METHODS = [
    ("gradcam", "Grad-CAM"),
    ("saliency", "Saliency (gradients)"),
    ("smoothgrad", "SmoothGrad"),
    ("ig", "Integrated gradients"),
]
PREDICTED = "Predicted class"
EMPTY = "Train a model, then explain its predictions on the validation samples here."
POSITIVE, NEGATIVE = (59, 125, 216), (209, 73, 91)


def heat_colormap() -> pg.ColorMap:
    """The overlays' colour scale (the same one the CLI's PNGs use)."""
    return pg.ColorMap(np.linspace(0.0, 1.0, len(HEAT_STOPS)), HEAT_STOPS.astype(np.uint8))


class ExplainView(QWidget):
    """Explanations of the project's latest trained run (``project()`` gives the project)."""

    def __init__(self, project: Callable[[], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._project = project
        self.samples: Any = None
        self.explanation: Any = None
        self.mean_abs: np.ndarray | None = None
        self.task: Task | None = None
        self._pending: tuple[str, tuple[Any, ...]] | None = None
        self._filling = False
        self._generation = 0  # bumped by reset(): results of older requests are dropped
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        self.status = QLabel(EMPTY)
        self.status.setWordWrap(True)
        top.addWidget(self.status, 1)
        self.reload_button = QPushButton("Latest run")
        self.reload_button.setToolTip("Load the latest trained run and its validation samples")
        self.reload_button.clicked.connect(self.reload)
        top.addWidget(self.reload_button)
        layout.addLayout(top)
        layout.addLayout(self._build_controls())
        self.stack = QStackedWidget()
        self.stack.addWidget(QWidget())  # nothing loaded yet
        self.stack.addWidget(self._build_image_page())
        self.stack.addWidget(self._build_bars_page())
        layout.addWidget(self.stack, 1)
        self._set_enabled(False)

    # -- building -------------------------------------------------------------------------
    def _build_controls(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        self.method = QComboBox()
        for key, title in METHODS:
            self.method.addItem(title, key)
        self.class_box = QComboBox()
        self.class_box.addItem(PREDICTED, None)
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Grad-CAM's layer (the last convolution by default)")
        self.sample = QSpinBox()
        self.sample.setRange(0, 0)
        self.sample.setToolTip("A sample of the latest run's validation split")
        self.misclassified_button = QPushButton("Next misclassified")
        self.misclassified_button.clicked.connect(self.show_misclassified)
        self.sample_info = QLabel("")
        self.sample_info.setWordWrap(True)
        self.sample_info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        for col, (label, widget) in enumerate(
            [("Method", self.method), ("Class", self.class_box), ("Layer", self.layer_box)]
        ):
            grid.addWidget(QLabel(label), 0, 2 * col)
            grid.addWidget(widget, 0, 2 * col + 1)
        grid.addWidget(QLabel("Sample"), 1, 0)
        grid.addWidget(self.sample, 1, 1)
        grid.addWidget(self.misclassified_button, 1, 2, 1, 2)
        grid.addWidget(self.sample_info, 2, 0, 1, 6)
        for col in (1, 3, 5):
            grid.setColumnStretch(col, 1)
        self.method.currentIndexChanged.connect(self._changed)
        self.class_box.currentIndexChanged.connect(self._class_changed)
        self.layer_box.currentIndexChanged.connect(self._changed)
        self.sample.valueChanged.connect(self._changed)
        return grid

    def _build_image_page(self) -> QWidget:
        self.image_view = pg.GraphicsLayoutWidget()
        self.image_view.setBackground(None)
        self.image_plot = self.image_view.addPlot(row=0, col=0)
        self.image_plot.invertY(True)
        self.image_plot.setAspectLocked(True)
        self.image_plot.hideAxis("left")
        self.image_plot.hideAxis("bottom")
        self.image_item = pg.ImageItem()
        self.image_plot.addItem(self.image_item)
        self.color_bar = pg.ColorBarItem(
            values=(0.0, 1.0),
            colorMap=heat_colormap(),
            label="attribution (share of the largest)",
            interactive=False,
            width=14,
            colorMapMenu=False,
        )
        self.color_bar.getAxis("right").enableAutoSIPrefix(False)
        self.image_view.addItem(self.color_bar, row=0, col=1)
        return self.image_view

    def _build_bars_page(self) -> QWidget:
        self.bars_view = pg.GraphicsLayoutWidget()
        self.bars_view.setBackground(None)
        self.row_plot = self.bars_view.addPlot(row=0, col=0, title="attribution per feature")
        style_plot(self.row_plot, "attribution", "feature")
        self.row_bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        self.row_plot.addItem(self.row_bars)
        self.row_plot.addLine(y=0, pen=pg.mkPen("#888"))
        self.mean_plot = self.bars_view.addPlot(
            row=1, col=0, title="mean |attribution| over the validation split"
        )
        style_plot(self.mean_plot, "mean |attribution|", "feature")
        self.mean_bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=pg.mkBrush(*POSITIVE))
        self.mean_plot.addItem(self.mean_bars)
        return self.bars_view

    # -- state --------------------------------------------------------------------------
    def _set_enabled(self, on: bool) -> None:
        for w in (self.method, self.class_box, self.sample, self.misclassified_button):
            w.setEnabled(on)
        self.layer_box.setEnabled(on and self.current_method() == "gradcam")

    def current_method(self) -> str:
        """The chosen method's key."""
        return str(self.method.currentData())

    def reset(self) -> None:
        """As new (another project was opened): nothing loaded, nothing drawn."""
        self.samples = self.explanation = self.mean_abs = None
        self._pending = None
        self._generation += 1
        self.status.setText(EMPTY)
        self.sample_info.setText("")
        self.image_item.clear()
        self.row_bars.setOpts(x=[], height=[])
        self.mean_bars.setOpts(x=[], height=[])
        self.stack.setCurrentIndex(0)
        self._set_enabled(False)

    def run_finished(self) -> None:
        """A run was recorded: explain the new model."""
        self.reload()

    def reload(self) -> None:
        """Load the latest trained run and its validation samples (in the background)."""
        project = self._project()
        if project is None or not getattr(project, "runs", None):
            self.reset()
            return
        self.status.setText("Loading the latest run…")
        self._submit("load", (project,))

    def set_samples(self, samples: Any) -> None:
        """Show ``samples`` (a :class:`~nnstudio.core.insight.explain_session.RunSamples`)."""
        self.samples, self.explanation, self.mean_abs = samples, None, None
        self._filling = True
        self.class_box.clear()
        self.class_box.addItem(PREDICTED, None)
        for i, name in enumerate(samples.class_names):
            self.class_box.addItem(name, i)
        self.layer_box.clear()
        for name in samples.layers:
            self.layer_box.addItem(name, name)
        has_cam = bool(samples.layers)
        self.method.model().item(0).setEnabled(has_cam)
        if not has_cam and self.current_method() == "gradcam":
            self.method.setCurrentIndex(3 if samples.kind == "tabular" else 1)
        self.sample.setRange(0, len(samples.x) - 1)
        self.sample.setValue(0)
        self._filling = False
        self.stack.setCurrentIndex(1 if samples.kind == "image" else 2)
        self.mean_plot.setVisible(samples.kind == "tabular")
        self._set_enabled(True)
        wrong = len(samples.misclassified())
        self.misclassified_button.setEnabled(wrong > 0)
        self.status.setText(
            f"{samples.run_name}: {len(samples.x)} validation samples"
            + (f", {wrong} misclassified" if samples.labels is not None else "")
        )
        self._changed()
        if samples.kind == "tabular":
            self._submit("mean", (samples, self.class_box.currentData()))

    def show_misclassified(self) -> None:
        """Go to the next misclassified sample (after the one shown, wrapping round)."""
        if self.samples is None:
            return
        wrong = self.samples.misclassified()
        if wrong:
            later = sorted(i for i in wrong if i > self.sample.value())
            self.sample.setValue(later[0] if later else min(wrong))

    def _class_changed(self) -> None:
        self._changed()
        if self.samples is not None and self.samples.kind == "tabular" and not self._filling:
            self._submit("mean", (self.samples, self.class_box.currentData()))

    def _changed(self) -> None:
        if self._filling or self.samples is None:
            return
        self.layer_box.setEnabled(self.current_method() == "gradcam")
        index = self.sample.value()
        self.sample_info.setText(self.samples.describe(index))
        layer = self.layer_box.currentData() if self.current_method() == "gradcam" else None
        args = (self.samples, index, self.current_method(), self.class_box.currentData(), layer)
        self._submit("explain", args)

    # -- the background work -------------------------------------------------------------
    def _submit(self, kind: str, args: tuple[Any, ...]) -> None:
        """Run now, or after the task in flight (only the latest request waits)."""
        if self.task is not None:
            self._pending = (kind, args)
            return
        fn = {"load": load_run_samples, "explain": explain_sample, "mean": _mean_abs}[kind]
        self.task = Task(
            fn,
            *args,
            parent=self,
            name=f"nnstudio-explain-{kind}",
            expected=(Cancelled, ExplainError),  # a model it cannot explain: said, not logged
        )
        self.task.setProperty("kind", kind)
        self.task.setProperty("generation", self._generation)
        self.task.result.connect(self._on_result)
        self.task.error.connect(self._on_error)
        self.task.finished.connect(self._on_finished)
        self.task.start()

    def _current(self) -> bool:
        return self.task is not None and self.task.property("generation") == self._generation

    def _on_result(self, value: Any) -> None:
        if not self._current():
            return
        kind = self.task.property("kind") if self.task is not None else None
        if kind == "load":
            self.set_samples(value)
        elif kind == "explain":
            self.show_explanation(value)
        elif kind == "mean":
            self.show_mean(value)

    def _on_error(self, exc: BaseException) -> None:
        if not self._current():
            return
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if self.task is not None and self.task.property("kind") == "load":
            self.reset()  # nothing of an earlier run or project stays on show
        self.status.setText(text)

    def _on_finished(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.deleteLater()
        if self._pending is not None:
            kind, args = self._pending
            self._pending = None
            self._submit(kind, args)

    def shutdown(self) -> None:
        """Stop waiting work and join the task in flight (the window is closing)."""
        self._pending = None
        if self.task is not None:
            self.task.shutdown()

    # -- drawing --------------------------------------------------------------------------
    def show_explanation(self, e: Any) -> None:
        """Draw one :class:`~nnstudio.core.insight.explain.Explanation`."""
        self.explanation = e
        title = dict(METHODS)[e.method]
        cls = e.class_name or str(e.class_index)
        where = f" on {e.layer}" if e.layer else ""
        self.sample_info.setText(
            f"{self.samples.describe(self.sample.value())} · {title}{where}, class {cls} "
            f"(score {e.score:.2f}; largest attribution {float(np.max(e.heatmap())):.3g})"
        )
        if e.kind == "image":
            self._draw_image(e)
        else:
            self._draw_bars(e)

    def _draw_image(self, e: Any) -> None:
        x = self.samples.x[self.sample.value()]
        heat = e.heatmap()
        rgb = overlay_rgb(x, heat)
        self.image_item.setImage(np.transpose(rgb, (1, 0, 2)), autoLevels=False, levels=(0, 255))
        self.color_bar.setLevels((0.0, 1.0))  # the overlay is scaled to its largest value
        self.image_plot.autoRange(padding=0)

    def _draw_bars(self, e: Any) -> None:
        from nnstudio.core.insight.explain import step_attributions

        tabular = e.kind == "tabular"
        values = np.asarray(
            e.attributions if tabular or e.method == "gradcam" else step_attributions(e), np.float64
        ).ravel()
        brushes = [pg.mkBrush(*(POSITIVE if v >= 0 else NEGATIVE)) for v in values]
        self.row_bars.setOpts(x=np.arange(values.size), height=values, brushes=brushes)
        what = "feature" if tabular else "step"
        self.row_plot.setTitle(f"attribution per {what}")
        self.row_plot.setLabel("left", "attribution (blue: for, red: against)")
        self.row_plot.setLabel("bottom", what)
        self._feature_ticks(self.row_plot, values.size if tabular else 0)
        self.row_plot.autoRange()

    def _feature_ticks(self, plot: pg.PlotItem, n: int) -> None:
        names = self.samples.feature_names if self.samples is not None else []
        axis = plot.getAxis("bottom")
        if n and len(names) == n and n <= 30:
            room = max(3, int(max(plot.width(), self.width() - 60) / n / 8))  # ~8 px a letter
            short = [str(x) if len(str(x)) <= room else str(x)[: room - 1] + "…" for x in names]
            axis.setTicks([list(enumerate(short))])
        else:
            axis.setTicks(None)

    def show_mean(self, values: np.ndarray) -> None:
        """Draw the mean |attribution| per feature over the validation split."""
        self.mean_abs = np.asarray(values, np.float64).ravel()
        self.mean_bars.setOpts(x=np.arange(self.mean_abs.size), height=self.mean_abs)
        self._feature_ticks(self.mean_plot, self.mean_abs.size)
        self.mean_plot.autoRange()
