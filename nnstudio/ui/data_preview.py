"""The Data panel's views: preview (table / image grid / arrays), class counts,
summary and problems. Each view only shows what it is given."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.data.report import Report

THUMB = 64
SEVERITY_COLORS = {"error": "#d64541", "warning": "#e5a50a", "info": "#3584e4"}
SEVERITY_WORDS = {"error": "Error", "warning": "Warning", "info": "Note"}


def _dot(color: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)


def load_thumbnail(path: str, size: int = THUMB) -> QImage:
    """A thumbnail as a QImage (safe off the GUI thread); a null image if unreadable."""
    image = QImage(path)
    if image.isNull():
        return image
    return image.scaled(
        size,
        size,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )


class PreviewView(QStackedWidget):
    """First rows of a CSV, example images with their class, or array shapes and rows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.placeholder = QLabel("Choose a CSV file, an image folder or a NumPy file.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.images = QListWidget()
        self.images.setViewMode(QListWidget.ViewMode.IconMode)
        self.images.setIconSize(QSize(THUMB, THUMB))
        self.images.setGridSize(QSize(THUMB + 24, THUMB + 28))
        self.images.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.images.setMovement(QListWidget.Movement.Static)
        self.images.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.arrays = QWidget()
        arrays_layout = QVBoxLayout(self.arrays)
        arrays_layout.setContentsMargins(0, 0, 0, 0)
        self.arrays_label = QLabel()
        self.arrays_label.setWordWrap(True)
        self.arrays_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.arrays_table = QTableWidget()
        self.arrays_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        arrays_layout.addWidget(self.arrays_label)
        arrays_layout.addWidget(self.arrays_table, 1)
        for widget in (self.placeholder, self.table, self.images, self.arrays):
            self.addWidget(widget)

    def clear(self) -> None:
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.images.clear()
        self.arrays_table.clear()
        self.setCurrentWidget(self.placeholder)

    def show_table(self, columns: list[str], rows: list[list[str]]) -> None:
        self.table.clear()
        width = max([len(columns)] + [len(r) for r in rows]) if (columns or rows) else 0
        self.table.setColumnCount(width)
        self.table.setRowCount(len(rows))
        headers = list(columns) + [f"(extra {i + 1})" for i in range(width - len(columns))]
        self.table.setHorizontalHeaderLabels(headers)
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(cell))
        self.table.resizeColumnsToContents()
        self.setCurrentWidget(self.table)

    def show_images(self, examples: list[tuple[str, QImage]]) -> None:
        self.images.clear()
        for label, image in examples:
            item = QListWidgetItem(label)
            if not image.isNull():
                item.setIcon(QIcon(QPixmap.fromImage(image)))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.images.addItem(item)
        self.setCurrentWidget(self.images)

    def show_arrays(self, report: Report) -> None:
        d = report.details
        if d.get("inputs"):  # one array per Input: name its inputs, count its samples
            first = (
                f"inputs: {d.get('features', '?')} · {d.get('samples', '?')} samples  "
                f"{d.get('features_dtype', '')}"
            )
        else:
            first = (
                f"features: {d.get('features', '?')}  shape {tuple(d.get('features_shape', ()))}"
                f"  {d.get('features_dtype', '')}"
            )
        lines = [
            first,
            f"targets: {d.get('targets', '?')}  shape {tuple(d.get('targets_shape', ()))}",
        ]
        if d.get("memory_mapped"):
            lines.append("memory-mapped: streamed from disk while training")
        self.arrays_label.setText("\n".join(lines))
        rows = d.get("preview_rows") or []
        targets = d.get("preview_targets") or []
        width = max((len(r) for r in rows), default=0)
        self.arrays_table.clear()
        self.arrays_table.setColumnCount(width + 1)
        self.arrays_table.setRowCount(len(rows))
        columns = list(d.get("preview_columns") or [])
        if len(columns) != width:
            columns = [f"x[{i}]" for i in range(width)]
        self.arrays_table.setHorizontalHeaderLabels(["target", *columns])
        for r, row in enumerate(rows):
            self.arrays_table.setItem(
                r, 0, QTableWidgetItem(targets[r] if r < len(targets) else "")
            )
            for c, value in enumerate(row):
                text = f"{value:.4g}" if isinstance(value, float) else str(value)
                self.arrays_table.setItem(r, c + 1, QTableWidgetItem(text))
        self.setCurrentWidget(self.arrays)


class ClassChart(QWidget):
    """A bar per class (pyqtgraph, created on first use), or the regression range."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.note = QLabel("No classes yet.")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setWordWrap(True)
        self._layout.addWidget(self.note)
        self.plot: Any = None
        self.bars: Any = None

    def _ensure_plot(self) -> Any:
        if self.plot is None:
            import pyqtgraph as pg

            self.plot = pg.PlotWidget(background=self.palette().color(QPalette.ColorRole.Base))
            text = self.palette().color(QPalette.ColorRole.Text)
            for axis in ("left", "bottom"):
                self.plot.getAxis(axis).setPen(text)
                self.plot.getAxis(axis).setTextPen(text)
            self.plot.setMenuEnabled(False)
            self.plot.setMouseEnabled(x=False, y=False)
            self.plot.hideButtons()
            self.plot.setLabel("left", "samples")
            self._layout.addWidget(self.plot, 1)
        return self.plot

    def clear(self) -> None:
        if self.plot is not None and self.bars is not None:
            self.plot.removeItem(self.bars)
            self.bars = None
        if self.plot is not None:
            self.plot.hide()
        self.note.setText("No classes yet.")
        self.note.show()

    def show_report(self, report: Report) -> None:
        self.clear()
        if report.task != "classification" or not report.classes:
            if report.task == "regression" and report.target_range is not None:
                lo, hi = report.target_range
                self.note.setText(
                    f"Regression: {report.num_outputs} target(s), from {lo:.6g} to {hi:.6g}."
                )
            return
        import pyqtgraph as pg

        plot = self._ensure_plot()
        names = [n for n, _ in report.classes]
        counts = [c for _, c in report.classes]
        self.bars = pg.BarGraphItem(
            x=list(range(len(counts))), height=counts, width=0.7, brush="#3584e4"
        )
        plot.addItem(self.bars)
        step = max(1, len(names) // 20)
        ticks = [(i, names[i]) for i in range(0, len(names), step)]
        plot.getAxis("bottom").setTicks([ticks, []])
        plot.setXRange(-0.6, len(names) - 0.4, padding=0)
        plot.setYRange(0, max(counts) * 1.08 if counts else 1, padding=0)
        self.note.hide()
        plot.show()

    @property
    def bar_heights(self) -> list[float]:
        if self.bars is None:
            return []
        return [float(h) for h in self.bars.opts["height"]]


class ProblemsView(QTreeWidget):
    """Every problem of the report: severity, where, what."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(3)
        self.setHeaderLabels(["", "Where", "Problem"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self._icons = {k: _dot(v) for k, v in SEVERITY_COLORS.items()}

    def show_report(self, report: Report | None) -> None:
        self.clear()
        if report is None:
            return
        order = {"error": 0, "warning": 1, "info": 2}
        for p in sorted(report.problems, key=lambda p: order[p.severity]):
            item = QTreeWidgetItem(["", p.location, p.message])
            item.setIcon(0, self._icons[p.severity])
            item.setToolTip(0, SEVERITY_WORDS[p.severity])
            item.setToolTip(2, p.message)
            item.setData(0, Qt.ItemDataRole.UserRole, p.severity)
            if p.severity == "error":
                item.setForeground(2, QBrush(QColor(SEVERITY_COLORS["error"])))
            self.addTopLevelItem(item)
        self.resizeColumnToContents(1)


def problem_counts(report: Report | None) -> str:
    """``"2 errors · 1 warning · 3 notes"``."""
    if report is None or not report.problems:
        return "no problems"
    parts = []
    for severity, word in (("error", "error"), ("warning", "warning"), ("info", "note")):
        n = sum(1 for p in report.problems if p.severity == severity)
        if n:
            parts.append(f"{n} {word}{'s' if n != 1 else ''}")
    return " · ".join(parts)
