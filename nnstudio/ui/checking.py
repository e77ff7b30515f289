"""Continuous validation: debounced re-checks of the graph off the GUI thread (each on a
:class:`~nnstudio.ui.tasks.Task`).

Before the engine is ready only the structural checks run (NetworkX; shapes are shown as
pending); once it is ready the full :class:`GraphChecker` runs, which is incremental (it
memoises per-node results, so after an edit only what changed is recomputed).  The worker
checks a snapshot of the graph, so the GUI thread may keep editing meanwhile; a result is
applied only if no newer request has been made since.

Issues of the project outside its graph (a missing data file: ``core.project.project_issues``)
are added to every result (:meth:`CheckRunner.set_project_issues`), so the Issues panel lists
them and Train sees them like any other error.

Debounce: the first request after a quiet spell runs on the next turn of the event loop
(edit-to-badge latency stays low); requests that follow within :data:`DEBOUNCE_MS` of a
check are coalesced into one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from nnstudio.core.graph.check import CheckResult, GraphChecker
from nnstudio.core.graph.model import Graph
from nnstudio.core.graph.validation import Issue, check_structure
from nnstudio.core.preflight import with_preflight
from nnstudio.core.tasks import TaskState
from nnstudio.ui.tasks import Task

DEBOUNCE_MS = 50


@dataclass
class CheckReport:
    """One finished check: ``full`` is False when shapes were not inferred (engine loading)."""

    result: CheckResult
    full: bool
    generation: int
    seconds: float


def snapshot(graph: Graph) -> Graph:
    """A detached copy of the graph's state, cheap enough to take on every edit."""
    copy = Graph()
    copy.nodes = {nid: node.copy() for nid, node in graph.nodes.items()}
    copy.edges = list(graph.edges)
    copy.outputs = [o.copy() for o in graph.outputs]
    blocks = getattr(graph, "blocks", None)
    if blocks:  # block definitions too (their inner graphs are copied: the GUI edits them)
        from nnstudio.core.graph.model import share_blocks

        copy.blocks = {name: d.copy() for name, d in blocks.items()}
        for d in copy.blocks.values():
            share_blocks(d.graph, copy.blocks)
        copy.refresh_block_specs()
    return copy


def structural_result(graph: Graph) -> CheckResult:
    """The structural issues only, ordered like :meth:`GraphChecker.check` orders them."""
    issues = check_structure(graph)
    order = {nid: i for i, nid in enumerate(graph.nodes)}
    issues.sort(key=lambda i: (i.severity != "error", order.get(i.node or "", -1)))
    return CheckResult(issues, {})


def with_issues(result: CheckResult, extra: Sequence[Issue]) -> CheckResult:
    """``result`` with ``extra`` issues (the project's) added, errors still first."""
    issues = [i for i in result.issues if i.severity == "error"]
    issues += [i for i in extra if i.severity == "error"]
    issues += [i for i in result.issues if i.severity != "error"]
    issues += [i for i in extra if i.severity != "error"]
    return CheckResult(issues, result.shapes)


def _check(
    state: TaskState,
    box: dict[str, GraphChecker],
    generation: int,
    graph: Graph,
    full: bool,
    data: Any = None,
    extra: Sequence[Issue] = (),
    preflight: Callable[..., CheckResult] | None = None,
) -> CheckReport:
    """One check, run on a :class:`~nnstudio.ui.tasks.Task`.  ``box`` keeps the one
    memoising checker across checks (made off the GUI thread on first use; used by one
    check at a time: the runner starts the next only after this one has ended)."""
    start = time.perf_counter()
    if full:
        if "checker" not in box:
            box["checker"] = GraphChecker()
        result = box["checker"].check(graph)
        if data is not None:  # (report, targets): the pre-flight check of data vs model
            report, targets = data
            result = (preflight or with_preflight)(result, graph, report, targets)
    else:
        result = structural_result(graph)
    if extra:
        result = with_issues(result, extra)
    return CheckReport(result, full, generation, time.perf_counter() - start)


class CheckRunner(QObject):
    """Re-checks ``graph`` when asked, off the GUI thread; emits ``checked(CheckReport)``."""

    checked = Signal(object)

    def __init__(self, graph: Graph, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.graph = graph
        self.full = False
        self.data: tuple[object, str | None] | None = None
        self.project_issues: list[Issue] = []
        self.preflight: Callable[..., CheckResult] | None = None  # None: with_preflight
        self._generation = 0
        self._held = False
        self._busy = False
        self._pending = False
        self._last_start = 0.0
        self._checker: dict[str, GraphChecker] = {}
        self._task: Task | None = None
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._launch)

    def set_graph(self, graph: Graph) -> None:
        """Check another graph from now on (a new project); re-checks at once."""
        self.graph = graph
        self.request()

    def set_data(self, report: object | None, targets: str | None = None) -> None:
        """Check the graph against this data too (a data-layer Report; ``None``: no data);
        the pre-flight issues then appear on the Input/output nodes."""
        self.data = None if report is None else (report, targets)
        self.request()

    def set_project_issues(self, issues: Sequence[Issue]) -> None:
        """Add these issues of the project (outside its graph) to every result; re-checks
        when they change."""
        issues = list(issues)
        if issues != self.project_issues:
            self.project_issues = issues
            self.request()

    def set_full(self, full: bool) -> None:
        """Switch shape inference on (engine ready) and re-check."""
        self.full = full
        self.request()

    def hold(self, held: bool) -> None:
        """Postpone checks (while the window paints its first frame); release runs them."""
        self._held = held
        if not held and (self._pending or self._generation):
            self.request()

    def request(self) -> None:
        """Ask for a re-check (debounced)."""
        self._generation += 1
        if self._held:
            self._pending = True
            return
        if self._busy:
            self._pending = True
            return
        if self._timer.isActive():
            return
        since = (time.perf_counter() - self._last_start) * 1000
        self._timer.start(0 if since >= DEBOUNCE_MS else int(DEBOUNCE_MS - since))

    def is_idle(self) -> bool:
        """True when no check is running or waiting."""
        return not (self._busy or self._pending or self._timer.isActive())

    def shutdown(self) -> None:
        """Stop checking (waits for a running check to finish)."""
        self._timer.stop()
        self._closed = True
        if self._task is not None:
            self._task.join()

    def _launch(self) -> None:
        if self._closed or self._held:
            return
        self._busy = True
        self._pending = False
        self._last_start = time.perf_counter()
        task = Task(
            _check,
            self._checker,
            self._generation,
            snapshot(self.graph),
            self.full,
            self.data,
            list(self.project_issues),
            self.preflight,
            parent=self,
            name="nnstudio-graph-check",
        )
        task.result.connect(self._on_done)
        task.error.connect(self._on_error)
        task.finished.connect(self._on_task_finished)
        self._task = task
        task.start()

    def _on_task_finished(self) -> None:
        task = self.sender()
        if task is self._task:
            self._task = None
        if isinstance(task, Task):
            task.deleteLater()

    def _on_error(self, exc: BaseException) -> None:
        self._busy = False  # a bug in a check (logged by the task)
        if self._pending and not self._closed:
            self._pending = False
            self.request_now()

    def _on_done(self, report: CheckReport) -> None:
        self._busy = False
        if self._closed:
            return
        if self._pending or report.generation != self._generation:
            self._pending = False
            self.request_now()
            return
        self.checked.emit(report)

    def request_now(self) -> None:
        """Re-check without the leading-edge shortcut (used after a stale result)."""
        if not self._timer.isActive():
            since = (time.perf_counter() - self._last_start) * 1000
            self._timer.start(max(0, int(DEBOUNCE_MS - since)))
