"""The issues list: every validation issue, with a summary line of the model's size.

Clicking an issue emits ``node_activated(node_id)`` and ``issue_activated(issue)``; the window
selects and centres its node (inside a block: opens the block at the layer, ``Issue.inner``).
An issue with a one-click fix (a missing data source: code ``data-missing``) carries a button
("Re-locate…") that emits ``action_requested(issue)``; activating its row does the same.

The summary's cost (MACs, peaks) of a graph of more than
:data:`~nnstudio.ui.canvas.cost_overlay.COST_SYNC_NODES` nodes follows a moment after the
check's issues (the line says "cost: computing…" meanwhile).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.graph.check import CheckResult
from nnstudio.core.graph.model import Graph
from nnstudio.core.graph.validation import Issue
from nnstudio.core.insight.cost import (
    DEFAULT_BATCH,
    CostModel,
    CostReport,
    human_bytes,
    human_count,
)
from nnstudio.ui.canvas import cost_overlay
from nnstudio.ui.theme import canvas_colors, format_bytes, format_count

NODE_ROLE = Qt.ItemDataRole.UserRole
COST_PENDING = "cost: computing…"
ACTIONS = {"data-missing": ("Re-locate…", "Choose where the data is now")}
DATA_CODES = ("data-",)


def severity_icon(color: QColor) -> QIcon:
    """A small filled dot of ``color``."""
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    p.drawEllipse(1, 1, 10, 10)
    p.end()
    return QIcon(pixmap)


def summary_text(
    graph: Graph,
    result: CheckResult | None,
    pending_shapes: bool,
    cost: CostReport | None = None,
    batch_size: int = DEFAULT_BATCH,
    cost_pending: bool = False,
) -> str:
    """``"9 layers · 52,138 parameters (52,138 trainable) · weights ≈ 203.7 KB …"``, with
    the cost (MACs, FLOPs, peak activation memory) when ``cost`` is given
    (:data:`COST_PENDING` in its place when ``cost_pending``)."""
    n = len(graph.nodes)
    parts = [f"{n} layer{'s' if n != 1 else ''}"]
    if result is None:
        parts.append("checking…")
        return " · ".join(parts)
    if pending_shapes:
        parts.append("parameters pending (engine loading)")
    else:
        parts.append(
            f"{format_count(result.total_params)} parameters "
            f"({format_count(result.trainable_params)} trainable)"
        )
        parts.append(f"weights ≈ {format_bytes(result.weights_bytes)} (float32)")
        unknown = sum(
            1 for nid in graph.nodes if nid not in result.shapes or result.shapes[nid].shape is None
        )
        if unknown:
            parts[-1] += (
                f", without the {unknown} layer{'s' if unknown != 1 else ''} whose shape is unknown"
            )
        if cost is not None:
            parts += cost_parts(cost, batch_size)
        elif cost_pending:
            parts.append(COST_PENDING)
    errors = len(result.errors)
    warnings = len(result.issues) - errors
    parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return " · ".join(parts)


def cost_parts(cost: CostReport, batch_size: int) -> list[str]:
    """``["18.3 M MACs (36.9 M FLOPs) per sample", "peak activations 294 KiB …"]``."""
    return [
        f"{human_count(cost.total_macs)} MACs ({human_count(cost.total_flops)} FLOPs) per sample",
        f"peak activations {human_bytes(cost.peak_activation_bytes)} inference, "
        f"{human_bytes(cost.training_peak(batch_size))} training (batch {batch_size})",
    ]


def inner_names(graph: Graph, node: object, inner: tuple[str, ...]) -> str:
    """`` › stage2 › conv`` for an issue inside a block use (the names along ``inner``)."""
    names = []
    for nid in inner or ():
        definition = graph.blocks.get(str(getattr(node, "params", {}).get("definition")))
        node = definition.graph.nodes.get(nid) if definition is not None else None
        if node is None:
            break
        names.append(node.name)
    return "".join(f" › {n}" for n in names)


class IssuesPanel(QWidget):
    """The check's issues as a list (severity, layer, message, hint) under a summary."""

    node_activated = Signal(str)
    issue_activated = Signal(object)
    action_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None, cost_model: CostModel | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel(self)
        self.summary.setObjectName("modelSummary")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setWordWrap(True)  # a long line wraps instead of widening the window
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Layer", "Issue", "How to fix it"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setWordWrap(False)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.resizeSection(0, 170)
        header.resizeSection(1, 520)
        self.all_clear = QLabel("No issues: the model is complete and its shapes fit.", self)
        self.all_clear.setObjectName("allClear")
        self.all_clear.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.all_clear.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.tree)
        self.stack.addWidget(self.all_clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.summary)
        layout.addWidget(self.stack)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._activated)
        self._issues: list[Issue] = []
        self.action_buttons: list[QToolButton] = []
        self.cost_model = cost_model if cost_model is not None else CostModel()
        self.cost: CostReport | None = None
        self._shown: tuple[Graph, CheckResult | None, bool] | None = None
        self._deferred_cost = cost_overlay.cost_timer(self, self._show_cost)

    def show_result(self, graph: Graph, result: CheckResult | None, pending_shapes: bool) -> None:
        """List ``result``'s issues and update the summary line (its cost shortly after on
        a big graph: :meth:`cost_pending`)."""
        self.cost = None
        self._shown = (graph, result, pending_shapes)
        self._deferred_cost.stop()
        if result is not None and not pending_shapes:
            if cost_overlay.defer_cost(len(graph.nodes)):
                self._deferred_cost.start()
            else:
                self.cost = self.cost_model.compute(graph, result)
        self._show_summary()
        self.tree.clear()
        self._issues = []
        self.action_buttons = []
        clear = result is not None and not result.issues
        self.all_clear.setText(
            "No issues: the model is complete and its shapes fit."
            if not pending_shapes
            else "No structural issues; shapes are checked once the engine has loaded."
        )
        self.stack.setCurrentWidget(self.all_clear if clear else self.tree)
        if result is None:
            return
        colors = canvas_colors()
        icons = {s: severity_icon(colors.severity(s)) for s in ("error", "warning")}
        items = []
        for issue in result.issues:
            node = graph.nodes.get(issue.node) if issue.node else None
            where = node.name if node else "data" if issue.code.startswith(DATA_CODES) else "model"
            if node is not None and issue.port and len(node.spec.inputs) > 1:
                where += f" · {issue.port}"
            where += inner_names(graph, node, getattr(issue, "inner", ()))
            item = QTreeWidgetItem([where, issue.message, issue.hint])
            item.setIcon(0, icons[issue.severity])
            item.setData(0, NODE_ROLE, issue.node)
            item.setToolTip(1, issue.message)
            item.setToolTip(2, issue.hint)
            if issue.severity == "error":
                item.setForeground(0, QBrush(colors.error))
            items.append(item)
            self._issues.append(issue)
        self.tree.addTopLevelItems(items)
        for item, issue in zip(items, self._issues, strict=True):
            if issue.code in ACTIONS:
                self._add_action(item, issue)

    def _add_action(self, item: QTreeWidgetItem, issue: Issue) -> None:
        """A button in the hint column that asks for the issue's fix."""
        text, tip = ACTIONS[issue.code]
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(lambda: self.action_requested.emit(issue))
        cell = QWidget()
        row = QHBoxLayout(cell)
        row.setContentsMargins(2, 0, 2, 0)
        row.addWidget(button)
        hint = QLabel(issue.hint)
        hint.setToolTip(issue.hint)
        row.addWidget(hint, 1)
        item.setText(2, "")
        self.tree.setItemWidget(item, 2, cell)
        self.action_buttons.append(button)

    def cost_pending(self) -> bool:
        """True while the summary waits for the cost of the latest check."""
        return self._deferred_cost.isActive()

    def _show_cost(self) -> None:
        if self._shown is None:
            return
        graph, result, pending_shapes = self._shown
        if result is not None and not pending_shapes:
            self.cost = self.cost_model.compute(graph, result)
            self._show_summary()

    def _show_summary(self) -> None:
        if self._shown is None:
            return
        graph, result, pending_shapes = self._shown
        text = summary_text(
            graph, result, pending_shapes, self.cost, self._batch_size(), self.cost_pending()
        )
        self.summary.setText(text)

    def issues(self) -> list[Issue]:
        """The issues listed, in order."""
        return list(self._issues)

    def issue_count(self) -> int:
        """How many issues are listed."""
        return self.tree.topLevelItemCount()

    def _activated(self, item: QTreeWidgetItem) -> None:
        index = self.tree.indexOfTopLevelItem(item)
        issue = self._issues[index] if 0 <= index < len(self._issues) else None
        if issue is not None and issue.code in ACTIONS:
            self.action_requested.emit(issue)
        else:
            self._clicked(item)

    def _clicked(self, item: QTreeWidgetItem) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.node_activated.emit(node_id)
            index = self.tree.indexOfTopLevelItem(item)
            if 0 <= index < len(self._issues):
                self.issue_activated.emit(self._issues[index])

    def _batch_size(self) -> int:
        """The open project's training batch size (the window's), for the training peak."""
        training = getattr(getattr(self.window(), "project", None), "training", None)
        size = getattr(training, "batch_size", DEFAULT_BATCH)
        return size if isinstance(size, int) and size > 0 else DEFAULT_BATCH
