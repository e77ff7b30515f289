"""After a run: metrics on the test split; for classification the confusion matrix (counts or
normalized), per-class precision/recall/F1 and the misclassified samples (images as images,
rows as values); for regression predicted-versus-actual and residual plots; for
reconstruction (autoencoders) the distribution of the samples' errors and the worst
reconstructions beside their inputs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.ui.training.chart_style import HEAT_MAP, color_bar, set_levels, style_plot

THUMB = 56
MAX_CELL_TEXT = 20  # label the confusion matrix's cells up to this many classes
EMPTY = "Train a model to see how it does on the test data."


def sample_image(x: np.ndarray) -> QImage | None:
    """A grayscale/RGB image of an image-like sample (H x W, H x W x 1/3/4), else ``None``."""
    a = np.asarray(x, dtype=np.float32)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] not in (3, 4)) or min(a.shape[:2]) < 4:
        return None
    lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
    a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    data = np.ascontiguousarray((a * 255).clip(0, 255).astype(np.uint8))
    h, w = data.shape[:2]
    if data.ndim == 2:
        return QImage(data.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    rgb = np.ascontiguousarray(data[..., :3])
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def sample_text(x: np.ndarray, limit: int = 8) -> str:
    """A row's values, shortened: ``5.1, 3.5, 1.4, 0.2``."""
    flat = np.asarray(x).ravel()
    shown = ", ".join(f"{v:.3g}" for v in flat[:limit])
    return shown + (f", … ({flat.size} values)" if flat.size > limit else "")


class EvaluationView(QWidget):
    """Shows a :class:`~nnstudio.core.training.evaluation.Evaluation`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.evaluation: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.summary = QLabel(EMPTY)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.stack.addWidget(QWidget())  # nothing yet

        cls = QWidget()
        v = QVBoxLayout(cls)
        v.setContentsMargins(0, 0, 0, 0)
        self.normalized = QCheckBox("Normalize rows (share of each true class)")
        self.normalized.toggled.connect(lambda _on: self._draw_confusion())
        v.addWidget(self.normalized)
        self.cm_view = pg.GraphicsLayoutWidget()
        self.cm_view.setBackground(None)
        self.cm_plot = self.cm_view.addPlot(title="confusion matrix")
        self.cm_plot.invertY(True)
        self.cm_plot.setLabel("left", "true class")
        self.cm_plot.setLabel("bottom", "predicted class")
        self.cm_image = pg.ImageItem()
        self.cm_image.setColorMap(pg.colormap.get(HEAT_MAP))
        self.cm_plot.addItem(self.cm_image)
        self.cm_bar = color_bar(self.cm_image, self.cm_plot, "samples")
        self._cell_text: list[pg.TextItem] = []
        v.addWidget(self.cm_view, 5)
        self.per_class = QTableWidget(0, 5)
        self.per_class.setHorizontalHeaderLabels(["Class", "Precision", "Recall", "F1", "Support"])
        header = self.per_class.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)  # numbers stay beside their class
        self.per_class.verticalHeader().hide()
        self.per_class.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        v.addWidget(self.per_class, 2)
        v.addWidget(QLabel("Misclassified, most confident first (inputs as the model sees them):"))
        self.misclassified = QListWidget()
        self.misclassified.setViewMode(QListWidget.ViewMode.IconMode)
        self.misclassified.setIconSize(QSize(THUMB, THUMB))
        self.misclassified.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.misclassified.setWordWrap(True)
        v.addWidget(self.misclassified, 2)
        self.stack.addWidget(cls)

        reg = pg.GraphicsLayoutWidget()
        reg.setBackground(None)
        self.scatter_plot = reg.addPlot(row=0, col=0, title="predicted vs actual")
        style_plot(self.scatter_plot, "predicted (target units)", "actual (target units)")
        self.scatter = pg.ScatterPlotItem(size=5, brush=pg.mkBrush(59, 125, 216, 140), pen=None)
        self.scatter_plot.addItem(self.scatter)
        self.diagonal = self.scatter_plot.plot(pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine))
        self.residual_plot = reg.addPlot(row=1, col=0, title="residuals (actual − predicted)")
        style_plot(self.residual_plot, "residual (target units)", "predicted (target units)")
        self.residuals = pg.ScatterPlotItem(size=5, brush=pg.mkBrush(224, 122, 47, 140), pen=None)
        self.residual_plot.addItem(self.residuals)
        self.residual_plot.addLine(y=0, pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine))
        self.stack.addWidget(reg)
        self.stack.addWidget(self._build_reconstruction())

    def _build_reconstruction(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        v.setContentsMargins(0, 0, 0, 0)
        chart = pg.GraphicsLayoutWidget()
        chart.setBackground(None)
        self.error_plot = chart.addPlot(title="reconstruction error per sample")
        style_plot(self.error_plot, "samples", "mean squared error (per sample)")
        self.error_bars = pg.PlotDataItem(
            stepMode="center", fillLevel=0, brush=pg.mkBrush(59, 125, 216, 120)
        )
        self.error_plot.addItem(self.error_bars)
        v.addWidget(chart, 1)
        v.addWidget(QLabel("Worst reconstructions first (left: input, right: the model's output):"))
        self.worst = QListWidget()
        self.worst.setViewMode(QListWidget.ViewMode.IconMode)
        self.worst.setIconSize(QSize(2 * THUMB + 4, THUMB))
        self.worst.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.worst.setWordWrap(True)
        v.addWidget(self.worst, 1)
        return page

    def reset(self) -> None:
        """Empty, as new (a project was opened): no evaluation, nothing drawn."""
        self.evaluation = None
        self.summary.setText(EMPTY)
        self.cm_image.clear()
        for item in self._cell_text:
            self.cm_plot.removeItem(item)
        self._cell_text = []
        self.per_class.setRowCount(0)
        self.misclassified.clear()
        self.scatter.clear()
        self.residuals.clear()
        self.diagonal.setData([], [])
        self.error_bars.setData([], [])
        self.worst.clear()
        self.stack.setCurrentIndex(0)

    def clear(self) -> None:
        """Nothing to show (a run without an evaluation)."""
        self.evaluation = None
        self.summary.setText(
            "No evaluation: the run completed no epoch, or there is no validation or test data."
        )
        self.stack.setCurrentIndex(0)

    def show_evaluation(self, ev: Any) -> None:
        """Show ``ev`` (``None`` clears)."""
        if ev is None:
            self.clear()
            return
        self.evaluation = ev
        shown = ", ".join(f"{k} {v:.4g}" for k, v in ev.metrics.items())
        self.summary.setText(f"On the {ev.split} data ({ev.samples:,} samples): {shown}")
        if ev.task == "classification":
            self._draw_confusion()
            self._fill_per_class()
            self._fill_misclassified()
            self.stack.setCurrentIndex(1)
        elif ev.task == "reconstruction":
            self._draw_reconstruction()
            self.stack.setCurrentIndex(3)
        else:
            self._draw_regression()
            self.stack.setCurrentIndex(2)

    def _draw_confusion(self) -> None:
        ev = self.evaluation
        if ev is None or ev.confusion is None:
            return
        normalized = self.normalized.isChecked()
        cm = ev.confusion_normalized if normalized else ev.confusion.astype(np.float64)
        k = cm.shape[0]
        self.cm_image.setImage(cm.T, autoLevels=False)  # [x=predicted, y=true]
        self.cm_image.setRect(QRectF(0, 0, k, k))
        self.cm_bar.getAxis("left").setLabel("share of the true class" if normalized else "samples")
        set_levels(self.cm_image, self.cm_bar, 0.0, 1.0 if normalized else float(cm.max()))
        for item in self._cell_text:
            self.cm_plot.removeItem(item)
        self._cell_text = []
        if k <= MAX_CELL_TEXT:
            peak = cm.max() or 1.0
            for t in range(k):
                for p in range(k):
                    value = cm[t, p]
                    text = f"{value:.2f}" if normalized else str(int(value))
                    color = "k" if value > 0.6 * peak else "w"
                    item = pg.TextItem(text, color=color, anchor=(0.5, 0.5))
                    item.setPos(p + 0.5, t + 0.5)
                    self.cm_plot.addItem(item)
                    self._cell_text.append(item)
        ticks = [(i + 0.5, name) for i, name in enumerate(ev.class_names)]
        self.cm_plot.getAxis("bottom").setTicks([ticks])
        self.cm_plot.getAxis("left").setTicks([ticks])

    def _fill_per_class(self) -> None:
        rows = self.evaluation.per_class
        self.per_class.setRowCount(len(rows))
        for r, row in enumerate(rows):
            values = [
                row["class"],
                f"{row['precision']:.3f}",
                f"{row['recall']:.3f}",
                f"{row['f1']:.3f}",
                str(row["support"]),
            ]
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.per_class.setItem(r, c, item)
        self.per_class.resizeColumnsToContents()

    def _fill_misclassified(self) -> None:
        ev = self.evaluation
        self.misclassified.clear()
        images = bool(ev.misclassified) and sample_image(ev.misclassified[0].x) is not None
        self.misclassified.setViewMode(
            QListWidget.ViewMode.IconMode if images else QListWidget.ViewMode.ListMode
        )
        names = ev.class_names
        for m in ev.misclassified:
            label = f"#{m.index}: {names[m.true]} → {names[m.pred]} ({m.confidence:.0%})"
            image = sample_image(m.x)
            if image is not None:
                pixmap = QPixmap.fromImage(image).scaled(
                    THUMB,
                    THUMB,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.FastTransformation,
                )
                item = QListWidgetItem(QIcon(pixmap), label)
            else:
                item = QListWidgetItem(f"{label}    {sample_text(m.x)}")
            item.setToolTip(
                f"sample {m.index}: true {names[m.true]}, predicted "
                f"{names[m.pred]} with {m.confidence:.1%} confidence"
            )
            self.misclassified.addItem(item)
        if not ev.misclassified:
            self.misclassified.addItem("None: every sample was classified correctly.")

    def _draw_regression(self) -> None:
        ev = self.evaluation
        y, p = ev.y_true, ev.y_pred
        self.scatter.setData(y, p)
        lo, hi = float(min(y.min(), p.min())), float(max(y.max(), p.max()))
        self.diagonal.setData([lo, hi], [lo, hi])
        self.residuals.setData(p, ev.residuals)
        stats = ev.to_json().get("residuals", {})
        if stats:
            self.residual_plot.setTitle(
                f"residuals · MAE {stats['mae']:.4g} · RMSE "
                f"{stats['rmse']:.4g} · R² {stats['r2']:.3f}"
            )

    def _draw_reconstruction(self) -> None:
        ev = self.evaluation
        errors = np.asarray(ev.errors if ev.errors is not None else [], np.float64)
        if errors.size:
            counts, edges = np.histogram(errors, bins=min(40, max(5, errors.size // 4)))
            self.error_bars.setData(edges, counts)
            stats = ev.to_json().get("reconstruction", {})
            self.error_plot.setTitle(
                f"error: mean {stats['mse']:.3g} · median {stats['median_mse']:.3g} · "
                f"worst {stats['worst_mse']:.3g}"
            )
        self.worst.clear()
        images = bool(ev.worst) and sample_image(ev.worst[0].x) is not None
        self.worst.setViewMode(
            QListWidget.ViewMode.IconMode if images else QListWidget.ViewMode.ListMode
        )
        for r in ev.worst:
            label = f"#{r.index}: error {r.error:.3g}"
            pair = side_by_side(r.x, r.output) if images else None
            if pair is not None:
                item = QListWidgetItem(QIcon(pair), label)
            else:
                item = QListWidgetItem(
                    f"{label}    in: {sample_text(r.x)}    out: {sample_text(r.output)}"
                )
            item.setToolTip(f"sample {r.index}: mean squared error {r.error:.4g}")
            self.worst.addItem(item)


def side_by_side(x: np.ndarray, output: np.ndarray) -> QPixmap | None:
    """An input and its reconstruction as one thumbnail pair (each scaled like the input)."""
    a = np.asarray(x, np.float32)
    b = np.asarray(output, np.float32).reshape(a.shape)
    lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
    both = np.concatenate([a, np.full_like(a[:, :2], lo), np.clip(b, lo, hi)], axis=1)
    image = sample_image(both)
    if image is None:
        return None
    return QPixmap.fromImage(image).scaled(
        2 * THUMB + 4,
        THUMB,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.FastTransformation,
    )
