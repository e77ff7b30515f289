"""The Data panel's "Quality" tab: what the data-quality scan found.

A tree lists each problem (kind, count, where) with its groups of samples as children;
selecting a problem or a group shows its samples below: rows with their location, label,
split and values, or images as thumbnails with their file names. Under them, the class
weights the training split suggests, with a button that asks for balanced class weights
(``use_balanced_weights``; the window makes it one undoable training-settings step).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.data.quality import QualityProblem, QualityReport, SampleGroup
from nnstudio.ui.data_preview import SEVERITY_COLORS, SEVERITY_WORDS, THUMB, _dot, load_thumbnail

__all__ = ["KIND_TITLES", "QualityView"]

KIND_TITLES = {
    "split_leakage": "Leakage across splits",
    "label_conflicts": "Label conflicts",
    "duplicate_rows": "Duplicate rows",
    "duplicate_files": "Duplicate files",
    "near_duplicates": "Near-duplicate images",
    "class_imbalance": "Class imbalance",
}
_ROLE = Qt.ItemDataRole.UserRole
_THUMBS_SHOWN = 60


class QualityView(QWidget):
    """The quality problems, the samples of the one selected, and the class weights."""

    use_balanced_weights = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.quality: QualityReport | None = None
        self.balanced = False  # the training settings use balanced class weights
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Problem", "Samples", "Where"])
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.tree.currentItemChanged.connect(self._selected)
        self.detail_label = QLabel("Select a problem to see its samples.")
        self.detail_label.setWordWrap(True)
        self.rows = QTableWidget()
        self.rows.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rows.setAlternatingRowColors(True)
        self.rows.verticalHeader().hide()
        self.images = QListWidget()
        self.images.setViewMode(QListWidget.ViewMode.IconMode)
        self.images.setIconSize(QSize(THUMB, THUMB))
        self.images.setGridSize(QSize(THUMB + 56, THUMB + 34))
        self.images.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.images.setMovement(QListWidget.Movement.Static)
        self.images.setWordWrap(True)
        self.samples = QStackedWidget()
        self.samples.addWidget(self.rows)
        self.samples.addWidget(self.images)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.detail_label)
        detail_layout.addWidget(self.samples, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(detail)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.tree.setMinimumHeight(9 * self.tree.fontMetrics().height())
        self.weights_label = QLabel()
        self.weights_label.setWordWrap(True)
        self.weights_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.balance_button = QPushButton("Use balanced class weights")
        self.balance_button.setToolTip(
            "Weight each class by n / (classes x its count) in training "
            "(Training settings: class weight = balanced; one undo step)"
        )
        self.balance_button.clicked.connect(self.use_balanced_weights)
        weights = QHBoxLayout()
        weights.addWidget(self.weights_label, 1)
        weights.addWidget(self.balance_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(weights)
        self._icons = {k: _dot(v) for k, v in SEVERITY_COLORS.items()}
        self.show_quality(None)

    # -- showing --------------------------------------------------------------------
    def show_quality(self, quality: QualityReport | None, balanced: bool = False) -> None:
        """Show a scan (``None``: nothing scanned); ``balanced``: the training settings
        already weight the classes."""
        self.quality = quality
        self.balanced = balanced
        self.tree.clear()
        self._show_samples([], "Select a problem to see its samples.")
        if quality is None:
            self.summary.setText(
                "Each inspection checks for duplicates, near-duplicate images, leakage "
                "across the splits, label conflicts and class imbalance."
            )
            self._show_weights(None, balanced)
            return
        n = len(quality.problems)
        found = (
            f"{n} problem{'s' if n != 1 else ''}" if n else "No duplicates, leakage or conflicts"
        )
        took = f"{quality.seconds:.1f} s" if quality.seconds >= 0.1 else "under 0.1 s"
        text = f"{found} in {quality.samples:,} samples (the scan took {took})."
        if quality.notes:
            text += " " + " ".join(f"{note[0].upper()}{note[1:]}." for note in quality.notes)
        self.summary.setText(text)
        for problem in quality.problems:
            self.tree.addTopLevelItem(self._problem_item(problem))
        first = self.tree.topLevelItem(0)
        if first is not None:
            self.tree.setCurrentItem(first)
        self._show_weights(quality.class_weights, balanced)

    def set_balanced(self, balanced: bool) -> None:
        """The training settings changed: is ``class_weight`` balanced now?"""
        self.balanced = balanced
        self._show_weights(self.quality.class_weights if self.quality else None, balanced)

    def _show_weights(self, weights: dict[str, float] | None, balanced: bool) -> None:
        if not weights:
            self.weights_label.setText("")
            self.balance_button.hide()
            return
        shown = " · ".join(f"{name} {w:.3g}" for name, w in weights.items())
        state = "in use" if balanced else "suggested"
        self.weights_label.setText(
            f"Balanced class weights ({state}, from the training split): {shown}"
        )
        self.balance_button.show()
        self.balance_button.setEnabled(not balanced)

    def _problem_item(self, problem: QualityProblem) -> QTreeWidgetItem:
        title = KIND_TITLES.get(problem.kind, problem.kind)
        count = "" if problem.kind == "class_imbalance" else f"{problem.count:,}"
        item = QTreeWidgetItem([title, count, problem.location])
        item.setIcon(0, self._icons[problem.severity])
        item.setToolTip(0, f"{SEVERITY_WORDS[problem.severity]}: {problem.message}")
        item.setToolTip(2, problem.message)
        item.setData(0, _ROLE, problem)
        for number, group in enumerate(problem.groups, start=1):
            where = ", ".join(group.locations)
            more = group.size - len(group.locations)
            child = QTreeWidgetItem(
                [
                    f"Group {number}",
                    f"{group.size:,}",
                    where + (f" and {more} more" if more else ""),
                ]
            )
            child.setData(0, _ROLE, group)
            item.addChild(child)
        if problem.n_groups > len(problem.groups):
            rest = problem.n_groups - len(problem.groups)
            note = QTreeWidgetItem([f"… {rest:,} more groups", "", "see nnstudio inspect --json"])
            note.setFlags(Qt.ItemFlag.NoItemFlags)
            item.addChild(note)
        return item

    def _selected(self, current: QTreeWidgetItem | None, _previous: object = None) -> None:
        data = current.data(0, _ROLE) if current is not None else None
        if isinstance(data, QualityProblem) and data.class_counts:
            self._show_samples([], data.message)
            self._show_classes(data)
        elif isinstance(data, QualityProblem):
            self._show_samples(list(data.groups), data.message)
        elif isinstance(data, SampleGroup):
            parent = current.parent() if current is not None else None
            problem = parent.data(0, _ROLE) if parent is not None else None
            title = KIND_TITLES.get(problem.kind, "") if isinstance(problem, QualityProblem) else ""
            self._show_samples([data], f"{title}: {data.size} samples in this group.")

    def _show_samples(self, groups: list[SampleGroup], text: str) -> None:
        """The samples of ``groups``: thumbnails for images, a table for rows."""
        self.detail_label.setText(text)
        self.images.clear()
        self.rows.clear()
        self.rows.setRowCount(0)
        self.rows.setColumnCount(0)
        if any(g.paths for g in groups):
            self._show_images(groups)
        else:
            self._show_rows(groups)

    def _show_images(self, groups: list[SampleGroup]) -> None:
        shown = 0
        for number, group in enumerate(groups, start=1):
            for i, path in enumerate(group.paths):
                if shown >= _THUMBS_SHOWN:
                    break
                name = group.files[i] if i < len(group.files) else path
                split = group.splits[i] if i < len(group.splits) else ""
                item = QListWidgetItem(f"{name}\n{split}" if split else name)
                image = load_thumbnail(path)
                if not image.isNull():
                    item.setIcon(QIcon(QPixmap.fromImage(image)))
                item.setToolTip(f"group {number}: {path}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
                self.images.addItem(item)
                shown += 1
        self.samples.setCurrentWidget(self.images)

    def _show_rows(self, groups: list[SampleGroup]) -> None:
        columns = [name for name, _ in groups[0].values] if groups and groups[0].values else []
        headers = ["Group", "Where", "Label", "Split", *columns]
        self.rows.setColumnCount(len(headers))
        self.rows.setHorizontalHeaderLabels(headers)
        records: list[list[str]] = []
        for number, group in enumerate(groups, start=1):
            values = [text for _, text in group.values]
            for i, where in enumerate(group.locations):
                label = group.labels[i] if i < len(group.labels) else ""
                split = group.splits[i] if i < len(group.splits) else ""
                records.append([str(number), where, label, split, *values])
        self.rows.setRowCount(len(records))
        for r, record in enumerate(records):
            for c, text in enumerate(record):
                self.rows.setItem(r, c, QTableWidgetItem(text))
        self.rows.resizeColumnsToContents()
        self.samples.setCurrentWidget(self.rows)

    def _show_classes(self, problem: QualityProblem) -> None:
        """Each class's samples and its balanced weight."""
        weights = dict(problem.class_weights)
        self.rows.setColumnCount(3)
        self.rows.setHorizontalHeaderLabels(["Class", "Samples", "Balanced weight"])
        self.rows.setRowCount(len(problem.class_counts))
        for r, (name, count) in enumerate(problem.class_counts):
            weight = weights.get(name)
            texts = [name, f"{count:,}", "" if weight is None else f"{weight:.3g}"]
            for c, text in enumerate(texts):
                self.rows.setItem(r, c, QTableWidgetItem(text))
        self.rows.resizeColumnsToContents()

    def problem_kinds(self) -> list[str]:
        """The kinds listed, in order (for tests and the tab's title)."""
        kinds = []
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            data = item.data(0, _ROLE) if item is not None else None
            if isinstance(data, QualityProblem):
                kinds.append(data.kind)
        return kinds
