"""The main window's shell: workspaces, docks, menus, the undo stack, the status bar and
continuous checking (the document side, files, is :mod:`nnstudio.ui.document`).

Hooks for the other parts of the app (data, training):

- ``window.project`` — the open :class:`~nnstudio.core.project.Project`;
  ``window.graph`` — its graph; ``window.undo_stack`` — the ``QUndoStack``;
  ``window.canvas`` — the :class:`~nnstudio.ui.canvas.view.GraphView`.
- ``window.push(core_command, locked_ok=False) -> bool`` — apply a core command as one undo
  step; a refusal (the core raised an ``EditRefused``, or the graph is locked and the edit is
  not ``locked_ok``) is shown on the status bar and returns False.
- Signals: ``selection_changed(list[str])`` (selected node ids), ``project_changed()`` (new,
  open, restore: every view resets to the new project), ``graph_checked(object)`` (a full
  :class:`CheckResult`, once the engine is ready), ``engine_ready()``,
  ``workspace_changed(str)``.
- ``window.is_engine_ready()``; ``window.last_check`` (the latest result, full or structural).
  ``engine_ready`` is emitted again right after the plug-ins are installed if the engine was
  already loaded by then, so a plug-in may simply connect to it in ``install``.
- ``window.set_graph_locked(reason | None)`` — while locked (e.g. training) every edit that
  changes the model is refused with the visible reason; selecting, moving and panning work.
- ``window.canvas.set_node_indicator(node_id, text | None, color | None)`` — a small live
  label under a node (e.g. a mean activation).
- ``window.add_panel_spec(PanelSpec)`` — the one way to add a panel to a workspace (built
  when that workspace is first shown; see :mod:`nnstudio.ui.workspaces`);
  ``window.add_panel(widget, title, area, workspace)`` — the same for a ready widget;
  ``window.add_menu(title) -> QMenu`` — a menu before Help;
  ``window.mark_modified()`` — the project changed outside the graph (e.g. its data source).
- ``window.show_workspace(name)``, ``window.current_workspace()``, ``window.reset_layout()``;
  ``window.set_run_progress(done | None, total, text)`` — the status bar's run progress.
- ``window.show_message(text, timeout_ms)`` — a status-bar message.
- ``window.select_nodes(ids, center=False)``; ``window.checker`` (the background
  :class:`~nnstudio.ui.checking.CheckRunner`; ``is_idle()``), ``window.last_report``.

Plug-ins (:class:`~nnstudio.ui.workspaces.Plugin`): the Data workspace
(:mod:`nnstudio.ui.workspaces.data`), training (:mod:`nnstudio.ui.training`) and export,
each guarded by ``ImportError`` only.  ``nnstudio`` installs them right after the window's
first frame, once a background thread has imported their modules (see
:mod:`nnstudio.ui.app`); ``MainWindow(plugins=True)`` installs them at construction.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QCloseEvent, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QUndoView,
    QWidget,
)

from nnstudio.core.graph import model as gm
from nnstudio.core.graph.check import CheckResult
from nnstudio.core.graph.commands import Command, MoveNodes
from nnstudio.core.graph.model import EditRefused, Graph
from nnstudio.core.layout import layout_command
from nnstudio.core.project import Project
from nnstudio.ui import resources
from nnstudio.ui.autosave import Autosaver
from nnstudio.ui.blocks import BlockController
from nnstudio.ui.canvas.view import GraphView
from nnstudio.ui.checking import CheckReport, CheckRunner
from nnstudio.ui.document import APP_TITLE, DocumentActions
from nnstudio.ui.engine import Engine
from nnstudio.ui.engine import engine as process_engine
from nnstudio.ui.inspector import Inspector
from nnstudio.ui.issues_panel import IssuesPanel
from nnstudio.ui.palette import PaletteWidget
from nnstudio.ui.shell_actions import STATE_VERSION, ShellActions
from nnstudio.ui.undo import CoreCommand
from nnstudio.ui.workspaces import DESIGN, PanelSpec, WorkspaceHost, WorkspacePage, design

log = logging.getLogger(__name__)

PLUGIN_MODULES = ("nnstudio.ui.data_panel", "nnstudio.ui.training", "nnstudio.ui.sweeps")
__all__ = ["APP_TITLE", "STATE_VERSION", "MainWindow"]


class MainWindow(DocumentActions, ShellActions, QMainWindow):
    """The editor window (see the module docstring for the hooks it offers)."""

    selection_changed = Signal(list)
    project_changed = Signal()
    graph_checked = Signal(object)
    engine_ready = Signal()
    workspace_changed = Signal(str)

    def __init__(
        self,
        engine: Engine | None = None,
        data_dir: Path | None = None,
        plugins: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowIcon(resources.app_icon())
        self.engine = engine if engine is not None else process_engine()
        self.data_dir = data_dir if data_dir is not None else resources.user_data_dir()
        self.project = Project()
        self.last_check: CheckResult | None = None
        self.last_report: CheckReport | None = None
        self._locked_reason: str | None = None
        self._extra_dirty = False
        self._force_close = False
        self._shut_down = False
        self._engine_ready = False
        self._graph_listener_graph: Graph | None = None
        self.plugins: list[object] = []
        # Model > Arrange asks these first (a GAN keeps its two framed regions apart);
        # each returns True when it arranged the graph
        self.arrangers: list[Callable[[], bool]] = []

        self.undo_stack = QUndoStack(self)
        self.canvas = GraphView(self, self)
        self.palette_panel = PaletteWidget()
        self.inspector = Inspector(self.push)
        # one cost model for the summary line and the canvas overlay: one computation per check
        self.issues_panel = IssuesPanel(cost_model=self.canvas.cost_overlay.model)
        self.blocks = BlockController(self)  # the canvas's levels: the model and open blocks
        self.history_view = QUndoView(self.undo_stack)
        self.history_view.setEmptyLabel("<original>")
        self.panels_menu = QMenu("&Panels", self)
        self.workspaces = WorkspaceHost(self)
        self.workspaces.panels_menu = self.panels_menu
        self.stack = QStackedWidget()
        self.stack.setObjectName("workspaceStack")
        for page in self.workspaces.pages.values():
            self.stack.addWidget(page)
        self.setCentralWidget(self.stack)
        design.install(self)
        self.workspaces.pages[DESIGN].build()
        self.resize(1440, 900)

        self._build_status_bar()
        self.checker = CheckRunner(self.project.graph, self)
        self.checker.checked.connect(self._on_checked)
        self.autosaver = Autosaver(
            self.data_dir / "recovery", lambda: self.project, self.is_modified, parent=self
        )
        self._build_actions()
        self._build_menus()
        self._build_mode_bar()
        self._wire()
        self._plugins_installed = False
        self._set_project(self.project, modified=False, fit=False)
        if plugins:
            self.install_plugins()
        self._restore_settings()
        self.show_workspace(DESIGN)
        self.engine.ready.connect(self._on_engine_ready)
        self.engine.failed.connect(self._on_engine_failed)
        if self.engine.is_ready():
            self._on_engine_ready()

    # -- panels of the Design workspace (built with the window) ------------------------
    @property
    def palette_dock(self) -> QDockWidget:
        """The layer palette's dock."""
        return self.workspaces.dock("layers")

    @property
    def inspector_dock(self) -> QDockWidget:
        """The inspector's dock."""
        return self.workspaces.dock("inspector")

    @property
    def issues_dock(self) -> QDockWidget:
        """The issues list's dock."""
        return self.workspaces.dock("issues")

    @property
    def history_dock(self) -> QDockWidget:
        """The undo history's dock (hidden at first)."""
        return self.workspaces.dock("history")

    @property
    def data_panel(self) -> QWidget | None:
        """The Data workspace's panel (built on first use), ``None`` without the plug-in."""
        if "data" not in self.workspaces.specs:
            return None
        return self.workspaces.widget("data")

    @property
    def data_dock(self) -> QDockWidget | None:
        """The data panel's dock (in the Data workspace)."""
        if "data" not in self.workspaces.specs:
            return None
        return self.workspaces.dock("data")

    # -- workspaces ---------------------------------------------------------------------
    def add_panel_spec(self, spec: PanelSpec) -> None:
        """Install a panel (the one way plug-ins add panels; see :mod:`nnstudio.ui.workspaces`)."""
        self.workspaces.add(spec)

    def current_workspace(self) -> str:
        """The name of the workspace shown."""
        page = self.stack.currentWidget()
        return page.name if isinstance(page, WorkspacePage) else DESIGN

    def show_workspace(self, name: str) -> None:
        """Show a workspace (its panels are built the first time)."""
        page = self.workspaces.pages[name]
        page.build()
        self.stack.setCurrentWidget(page)
        if self.isVisible():
            page.apply_sizes()
        self.workspace_actions[name].setChecked(True)
        editing = name == DESIGN
        for action in self.editing_actions:
            action.setEnabled(editing)
        self._update_undo_actions()
        self.workspace_changed.emit(name)

    def reset_layout(self) -> None:
        """View > Reset Layout: every workspace back to its default docks."""
        for page in self.workspaces.pages.values():
            page.reset_layout()
        self.show_message("The panels are back in their default places.")

    # -- public hooks -----------------------------------------------------------------
    @property
    def graph(self) -> Graph:
        """The open project's graph."""
        return self.project.graph

    def push(self, command: Command, locked_ok: bool = False) -> bool:
        """Apply ``command`` as one undo step; False (and the reason shown) if refused.

        ``locked_ok``: the edit does not change the model (e.g. a training setting), so it
        is allowed while the graph is locked."""
        if self._locked_reason is not None and not (locked_ok or isinstance(command, MoveNodes)):
            self.show_message(f"Editing is locked: {self._locked_reason}")
            return False
        try:
            command.redo()
        except EditRefused as exc:
            self.show_message(f"{command.text}: {exc}")
            return False
        self.undo_stack.push(CoreCommand(command, applied=True))
        return True

    def is_engine_ready(self) -> bool:
        """True once Keras is loaded and full checks (shapes) run."""
        return self._engine_ready

    def set_graph_locked(self, reason: str | None) -> None:
        """Refuse model edits with ``reason`` (``None`` unlocks)."""
        self._locked_reason = reason
        self.inspector.set_locked(reason)
        self.history_view.setEnabled(reason is None)
        self.lock_label.setText("Model locked" if reason else "")
        self.lock_label.setToolTip(f"Editing is locked: {reason}" if reason else "")
        self.lock_label.setVisible(reason is not None)
        self._update_undo_actions()

    def graph_locked_reason(self) -> str | None:
        """Why edits are refused right now (``None``: they are not)."""
        return self._locked_reason

    def add_panel(
        self,
        widget: QWidget,
        title: str,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
        workspace: str = DESIGN,
    ) -> QDockWidget:
        """Dock a ready-made ``widget`` in a workspace (a shorthand for
        :meth:`add_panel_spec`); its place is saved with that workspace's layout."""
        key = "".join(ch for ch in title.title() if ch.isalnum())
        key = key[:1].lower() + key[1:]
        self.add_panel_spec(PanelSpec(key, title, workspace, lambda: widget, area))
        return self.workspaces.dock(key)

    def add_menu(self, title: str) -> QMenu:
        """A new menu in the menu bar, placed before Help."""
        menu = QMenu(title, self)
        self.menuBar().insertMenu(self.help_menu.menuAction(), menu)
        return menu

    def mark_modified(self) -> None:
        """Flag a change made outside the undo stack (e.g. the data source)."""
        self._extra_dirty = True
        self.autosaver.note_edit()
        self._update_title()

    def is_modified(self) -> bool:
        """True when the project has unsaved changes."""
        return self._extra_dirty or not self.undo_stack.isClean()

    def show_message(self, text: str, timeout_ms: int = 6000) -> None:
        """A status-bar message."""
        self.statusBar().showMessage(text, timeout_ms)

    def select_nodes(self, node_ids: list[str], center: bool = False) -> None:
        """Select nodes on the canvas (and show them in the inspector)."""
        scene = self.canvas.graph_scene()
        if scene is not None:
            scene.select_nodes(node_ids)
        if center and node_ids:
            self.canvas.center_on_node(node_ids[0])

    # -- building ---------------------------------------------------------------------
    def _wire(self) -> None:
        self.undo_stack.cleanChanged.connect(self._update_title)
        self.undo_stack.indexChanged.connect(self._on_stack_index)
        self.canvas.selection_changed.connect(self._on_selection)
        self.canvas.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        self.canvas.file_dropped.connect(self.open_dropped)
        self.canvas.node_activated.connect(self._focus_inspector)
        self.palette_panel.layer_activated.connect(lambda key: self.canvas.add_layer(key))
        self.issues_panel.issue_activated.connect(self.blocks.show_issue)

    @staticmethod
    def plugin_modules() -> list[str]:
        """The plug-in modules present in this installation."""
        return [name for name in PLUGIN_MODULES if importlib.util.find_spec(name) is not None]

    def install_plugins(self) -> None:
        """Install the data, training and export plug-ins where they exist (once).

        ``nnstudio`` calls this right after the window's first frame so that the window
        opens before their libraries (NumPy, pyqtgraph) are imported; tests and embedders
        pass ``plugins=True`` to the constructor instead.  Their panels are built when
        their workspace is first shown.
        """
        if self._plugins_installed:
            return
        self._plugins_installed = True
        present = self.plugin_modules()
        names = []
        if "nnstudio.ui.data_panel" in present:
            names.append("nnstudio.ui.workspaces.data")
        if "nnstudio.ui.training" in present:
            names.append("nnstudio.ui.training")
        if "nnstudio.ui.sweeps" in present:
            names.append("nnstudio.ui.sweeps")
        names.append("nnstudio.ui.export_dialog")
        for name in names:
            try:
                module = importlib.import_module(name)
            except ImportError as exc:
                log.warning("%s is unavailable: %s", name, exc)
                continue
            install = getattr(module, "install", None)
            if install is not None:
                self.plugins.append(install(self))
        if self._engine_ready:
            self.engine_ready.emit()  # plug-ins installed after the engine got ready hear it too

    def arrange(self) -> None:
        """Lay the graph out automatically (one undo step), then fit it in view."""
        graph = self.blocks.graph  # the level shown (the model, or an open block)
        if graph is self.graph and any(arrange() for arrange in self.arrangers):
            return
        if graph.nodes and self.push(layout_command(graph)):
            self.canvas.fit_to_view()

    # -- reactions --------------------------------------------------------------------
    def _on_graph_event(self, event: str, payload: Any) -> None:
        if event != gm.NODE_MOVED:
            self.checker.request()

    def _on_checked(self, report: CheckReport) -> None:
        pending = not report.full
        self.last_report = report
        self.last_check = report.result
        self.blocks.apply_check(report.result, pending)  # mapped onto the level shown
        self.issues_panel.show_result(self.graph, report.result, pending)
        if report.full:
            self.graph_checked.emit(report.result)

    def _on_engine_ready(self) -> None:
        if self._engine_ready:
            return
        self._engine_ready = True
        self._set_engine_status("ready")
        self.checker.set_full(True)
        self.engine_ready.emit()

    def _on_engine_failed(self, message: str) -> None:
        self._set_engine_status("failed", message)
        self.show_message(f"The Keras engine could not be loaded: {message}", 15000)

    def _on_stack_index(self, _index: int) -> None:
        self.autosaver.note_edit()
        self._update_title()

    def _on_selection(self, node_ids: list[str]) -> None:
        self.inspector.show_nodes(node_ids)
        self.selection_changed.emit(node_ids)

    def _focus_inspector(self, node_id: str) -> None:
        self.inspector_dock.show()
        self.inspector_dock.raise_()
        if self.inspector.node_id == node_id and self.inspector.editors:
            next(iter(self.inspector.editors.values())).field.setFocus()

    def _undo(self) -> None:
        if self._locked_reason is not None:
            self.show_message(f"Editing is locked: {self._locked_reason}")
            return
        self.undo_stack.undo()

    def _redo(self) -> None:
        if self._locked_reason is not None:
            self.show_message(f"Editing is locked: {self._locked_reason}")
            return
        self.undo_stack.redo()

    def _update_undo_actions(self, *_: Any) -> None:
        unlocked = self._locked_reason is None
        stack = self.undo_stack
        self.undo_action.setEnabled(unlocked and stack.canUndo())
        self.redo_action.setEnabled(unlocked and stack.canRedo())
        self.undo_action.setText(f"&Undo {stack.undoText()}".rstrip())
        self.redo_action.setText(f"&Redo {stack.redoText()}".rstrip())

    def _update_title(self, *_: Any) -> None:
        name = self.project.path.name if self.project.path else self.project.name
        self.setWindowTitle(f"{name}[*] — {APP_TITLE}")
        self.setWindowModified(self.is_modified())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_colors()
        super().changeEvent(event)

    # -- shutdown -------------------------------------------------------------------
    def close_without_prompt(self) -> None:
        """Close, dropping unsaved changes (tests, and a second window's cleanup)."""
        self._force_close = True
        self.close()

    def shutdown(self) -> None:
        """Stop background work and remove the recovery file (a clean exit)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.save_settings()
        self.autosaver.close()
        self.checker.shutdown()
        if self.workspaces.is_built("data"):
            stop = getattr(self.data_panel, "shutdown", None)
            if stop is not None:
                stop()
        if self._graph_listener_graph is not None:
            self._graph_listener_graph.unsubscribe(self._on_graph_event)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        page = self.stack.currentWidget()
        if isinstance(page, WorkspacePage):
            page.apply_sizes()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._force_close and not self.maybe_save():
            event.ignore()
            return
        self.shutdown()
        event.accept()
