"""The data panel and the window: data edits as undo steps, the data/model check and the
re-locating of a missing data source.

- The panel's ``source_changed(config)`` becomes a ``SetDataSource`` command on the window's
  undo stack (Ctrl+Z undoes a data change); undo/redo (the project's ``data_changed`` event)
  shows the project's source in the panel again.
- Every finished inspection goes to ``window.checker.set_data(report, config.targets)``: the
  pre-flight issues (``core.preflight``) appear on the Input/output nodes and in the Issues
  panel while the data does not fit the model.
- ``core.project.project_issues`` (a data file or folder that is missing) go to the checker
  too, so the Issues panel lists them; their "Re-locate…" button opens a dialog at the last
  folder used and applies the chosen path as an undoable command.
- The Quality tab's "Use balanced class weights" is one undoable ``SetTraining``
  (``class_weight="balanced"``); the tab follows the training settings (undo/redo too).
- Once the engine is ready, a project with data has its panel built (its workspace page is
  built, not shown), so that its inspection feeds the check without a visit to the Data
  workspace.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from nnstudio.core.graph.validation import Issue
from nnstudio.core.project import DATA_CHANGED, TRAINING_CHANGED, Project, project_issues
from nnstudio.core.project_paths import PATH_KEYS
from nnstudio.ui.data.dialogs import NUMPY_FILTER, choose_file, choose_source

if TYPE_CHECKING:
    from nnstudio.core.data.config import DataConfig
    from nnstudio.core.data.report import Report
    from nnstudio.ui.data_panel import DataPanel
    from nnstudio.ui.shell import MainWindow

log = logging.getLogger(__name__)

DATA_CHECK = "data-"  # the pre-flight issues' codes

__all__ = ["DataBridge", "missing_paths"]


def missing_paths(config: DataConfig | None) -> list[str]:
    """The keys of ``config``'s paths that do not exist, in ``project_issues``' order."""
    if config is None:
        return []
    keys = []
    for key in PATH_KEYS:
        value = getattr(config, key, None)
        if value and not os.path.exists(value):
            keys.append(key)
    return keys


class DataBridge(QObject):
    """Ties one window's data panel (once built) to its project, undo stack and checker."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.panel: DataPanel | None = None
        self._project: Project | None = None
        window.project_changed.connect(self._project_changed)
        window.engine_ready.connect(self._engine_ready)
        window.issues_panel.action_requested.connect(self._issue_action)
        window.graph_checked.connect(self._checked)

    def start(self) -> None:
        """Follow the window's project from now on (once the panel's spec is installed)."""
        self._project_changed()

    def attach(self, panel: DataPanel) -> None:
        """Connect the (just built) data panel."""
        self.panel = panel
        panel.source_changed.connect(self._source_changed)
        panel.report_ready.connect(self._report_ready)
        panel.fit_requested.connect(self.window._fit_to_data)
        panel.quality.use_balanced_weights.connect(self.use_balanced_weights)
        self._show_class_weight()

    # -- the project ----------------------------------------------------------------
    def _project_changed(self) -> None:
        if self._project is not None:
            self._project.unsubscribe(self._on_project_event)
        self._project = self.window.project
        self._project.subscribe(self._on_project_event)
        self.window.checker.set_data(None)
        self._update_issues()
        self._show_class_weight()
        self._engine_ready()

    def _engine_ready(self) -> None:
        """Build the panel (its inspection feeds the check) for a project with data."""
        window = self.window
        if self.panel is None and window.project.data is not None and window.is_engine_ready():
            # its page is built (not shown), so the panel is docked and lives as long as the
            # window; the panel's factory shows (inspects) the project's data
            _ = window.data_dock

    def _on_project_event(self, event: str, payload: Any) -> None:
        if event == TRAINING_CHANGED:
            self._show_class_weight()
        if event != DATA_CHANGED:
            return
        self._update_issues()
        if payload is None:
            self.window.checker.set_data(None)
        panel = self.panel
        if panel is not None and panel.config() != payload:
            panel.set_config(payload)  # undo/redo, re-locate: show and inspect it
        elif panel is None:
            self._engine_ready()

    def _update_issues(self) -> None:
        self.window.checker.set_project_issues(project_issues(self.window.project))

    # -- the panel --------------------------------------------------------------------
    def _source_changed(self, config: DataConfig) -> None:
        """The user chose a source or applied options: one undo step."""
        from nnstudio.core.graph.model import EditRefused
        from nnstudio.core.project_commands import SetDataSource

        window = self.window
        if config == window.project.data:
            return
        try:
            command = SetDataSource(window.project, config)
        except EditRefused as exc:
            window.show_message(f"Cannot use this data source: {exc}", 10000)
            return
        if not window.push(command) and self.panel is not None:
            self.panel.set_config(window.project.data)  # refused (locked): show what is used

    def _report_ready(self, report: Report) -> None:
        config = self.panel.config() if self.panel is not None else None
        if config is not None:
            self.window.checker.set_data(report, config.targets)

    def _checked(self, result: Any) -> None:
        """Show the data/model part of a full check in the panel."""
        if self.panel is None:
            return
        if self.window.checker.data is None:
            self.panel.show_model_check(None)
            return
        issues = [i for i in result.issues if i.code.startswith(DATA_CHECK) and i.node]
        self.panel.show_model_check(issues)

    # -- class weights ------------------------------------------------------------------
    def _show_class_weight(self) -> None:
        if self.panel is not None:
            balanced = self.window.project.training.class_weight == "balanced"
            self.panel.quality.set_balanced(balanced)

    def use_balanced_weights(self) -> bool:
        """Train with balanced class weights: one undo step; True if done."""
        from nnstudio.core.graph.model import EditRefused
        from nnstudio.core.project_commands import SetTraining

        window = self.window
        if window.project.training.class_weight == "balanced":
            return False
        try:
            command = SetTraining(window.project, class_weight="balanced")
        except EditRefused as exc:
            window.show_message(f"Cannot change the class weights: {exc}", 10000)
            return False
        if not window.push(command):
            return False
        window.show_message("Training now weights the classes (balanced); Ctrl+Z undoes it.")
        return True

    # -- re-locating --------------------------------------------------------------------
    def _issue_action(self, issue: Issue) -> None:
        if issue.code == "data-missing":
            self.relocate(issue)

    def relocate(self, issue: Issue | None = None) -> bool:
        """Ask where the missing data is now and use it (one undo step); True if done."""
        from nnstudio.core.project_commands import SetDataSource

        window = self.window
        data = window.project.data
        keys = missing_paths(data)
        if data is None or not keys:
            return False
        issues = project_issues(window.project)
        key = keys[issues.index(issue)] if issue in issues else keys[0]
        title = f"Re-locate: {issue.message}" if issue is not None else "Re-locate the data"
        if key == "path" or key == "validation_path":
            path = choose_source(window, data.kind, title)
        else:
            path = choose_file(window, title, NUMPY_FILTER)
        if not path:
            return False
        if not window.push(SetDataSource(window.project, data.replace(**{key: path}))):
            return False
        window.show_message(f"The data is now read from {path}.")
        return True
