"""The main window: docks, menus, the undo stack, files, autosave and continuous checking.

Hooks for the other parts of the app (data, training):

- ``window.project`` — the open :class:`~nnstudio.core.project.Project`;
  ``window.graph`` — its graph; ``window.undo_stack`` — the ``QUndoStack``;
  ``window.canvas`` — the :class:`~nnstudio.ui.canvas.view.GraphView`.
- ``window.push(core_command) -> bool`` — apply a core command as one undo step; a refusal
  (the core raised, or the graph is locked) is shown on the status bar and returns False.
- Signals: ``selection_changed(list[str])`` (selected node ids), ``project_changed()`` (new,
  open, restore), ``graph_checked(object)`` (a full :class:`CheckResult`, once the engine is
  ready), ``engine_ready()``.
- ``window.is_engine_ready()``; ``window.last_check`` (the latest result, full or structural).
  ``engine_ready`` is emitted again right after the plug-ins are installed if the engine was
  already loaded by then, so a plug-in may simply connect to it in ``install``.
- ``window.set_graph_locked(reason | None)`` — while locked (e.g. training) every edit that
  changes the model is refused with the visible reason; selecting, moving and panning work.
- ``window.canvas.set_node_indicator(node_id, text | None, color | None)`` — a small live
  label under a node (e.g. a mean activation).
- ``window.add_panel(widget, title, area) -> QDockWidget`` — a dock whose place is remembered
  in the saved layout; ``window.add_menu(title) -> QMenu`` — a menu before Help;
  ``window.mark_modified()`` — the project changed outside the graph (e.g. its data source).
- ``window.show_message(text, timeout_ms)`` — a status-bar message.

- ``window.select_nodes(ids, center=False)``; ``window.checker`` (the background
  :class:`~nnstudio.ui.checking.CheckRunner`; ``is_idle()``), ``window.last_report``.

Plug-ins: if :mod:`nnstudio.ui.data_panel` exists its ``DataPanel`` is docked ("Data", tabbed
with the inspector): ``source_changed(config)`` is stored as ``config.to_json()`` in
``project.data`` (the project is marked modified), ``fit_requested(report)`` pushes the data
layer's ``fit_commands``, ``set_config`` shows each opened project's source and data files
dropped on the canvas go to its ``set_path``.  If :mod:`nnstudio.ui.training` exists and has
``install(window)``, it is called.  Both are guarded by ``ImportError`` only.  ``nnstudio``
installs them right after the window's first frame, once a background thread has imported
their modules (see :mod:`nnstudio.ui.app`); ``MainWindow(plugins=True)`` installs them at
construction.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QUndoView,
    QWidget,
)

from nnstudio import __version__
from nnstudio.core.catalog.spec import ParamError
from nnstudio.core.graph import model as gm
from nnstudio.core.graph.check import CheckResult
from nnstudio.core.graph.commands import Command, MoveNodes
from nnstudio.core.graph.model import Graph, GraphError
from nnstudio.core.layout import apply_positions, layered_layout, layout_command
from nnstudio.core.project import SUFFIX, Project, ProjectError
from nnstudio.core.templates import build_template
from nnstudio.ui import resources
from nnstudio.ui.autosave import Autosaver, Recovery, find_recoveries
from nnstudio.ui.canvas.scene import GraphScene
from nnstudio.ui.canvas.view import GraphView
from nnstudio.ui.checking import CheckReport, CheckRunner
from nnstudio.ui.engine import Engine
from nnstudio.ui.engine import engine as process_engine
from nnstudio.ui.inspector import Inspector
from nnstudio.ui.issues_panel import IssuesPanel
from nnstudio.ui.palette import PaletteWidget
from nnstudio.ui.theme import APPEARANCES, apply_appearance, canvas_colors
from nnstudio.ui.undo import CoreCommand

log = logging.getLogger(__name__)

PLUGIN_MODULES = ("nnstudio.ui.data_panel", "nnstudio.ui.training")
MAX_RECENT = 10
STATE_VERSION = 1
APP_TITLE = "NN Studio"


class MainWindow(QMainWindow):
    """The editor window (see the module docstring for the hooks it offers)."""

    selection_changed = Signal(list)
    project_changed = Signal()
    graph_checked = Signal(object)
    engine_ready = Signal()

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
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )
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

        self.undo_stack = QUndoStack(self)
        self.canvas = GraphView(self, self)
        self.setCentralWidget(self.canvas)
        self.palette_panel = PaletteWidget()
        self.inspector = Inspector(self.push)
        self.issues_panel = IssuesPanel()
        self.history_view = QUndoView(self.undo_stack)
        self.history_view.setEmptyLabel("<original>")
        self.palette_dock = self._dock(
            self.palette_panel, "Layers", "paletteDock", Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.inspector_dock = self._dock(
            self.inspector, "Inspector", "inspectorDock", Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.issues_dock = self._dock(
            self.issues_panel, "Issues", "issuesDock", Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.history_dock = self._dock(
            self.history_view, "History", "historyDock", Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.history_dock.hide()
        self.resize(1440, 900)
        self.resizeDocks(
            [self.palette_dock, self.inspector_dock], [230, 330], Qt.Orientation.Horizontal
        )
        self.resizeDocks([self.issues_dock], [160], Qt.Orientation.Vertical)

        self._build_status_bar()
        self.checker = CheckRunner(self.project.graph, self)
        self.checker.checked.connect(self._on_checked)
        self.autosaver = Autosaver(
            self.data_dir / "recovery", lambda: self.project, self.is_modified, parent=self
        )
        self._build_actions()
        self._build_menus()
        self._wire()
        self.data_panel: QWidget | None = None
        self.data_dock: QDockWidget | None = None
        self._plugins_installed = False
        self._layout_restored = False
        self._set_project(self.project, modified=False, fit=False)
        if plugins:
            self.install_plugins()
        self._restore_settings()
        self.engine.ready.connect(self._on_engine_ready)
        self.engine.failed.connect(self._on_engine_failed)
        if self.engine.is_ready():
            self._on_engine_ready()

    # -- public hooks -----------------------------------------------------------------
    @property
    def graph(self) -> Graph:
        """The open project's graph."""
        return self.project.graph

    def push(self, command: Command) -> bool:
        """Apply ``command`` as one undo step; False (and the reason shown) if refused."""
        if self._locked_reason is not None and not isinstance(command, MoveNodes):
            self.show_message(f"Editing is locked: {self._locked_reason}")
            return False
        try:
            command.redo()
        except (GraphError, ParamError, KeyError) as exc:
            text = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            self.show_message(f"{command.text}: {text}")
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
        self.lock_label.setText(f"🔒 {reason}" if reason else "")
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
    ) -> QDockWidget:
        """Dock ``widget``; its position is saved with the window's layout."""
        name = "".join(ch for ch in title.title() if ch.isalnum()) + "Dock"
        dock = self._dock(widget, title, name, area)
        restored = self._layout_restored and self.restoreDockWidget(dock)
        dock.setProperty("restored", bool(restored))
        if self.isVisible():
            # A dock added to a window already on screen starts hidden, also when Qt
            # restores its place; show it unless the user had closed it.
            dock.setVisible(not (restored and name in self._hidden_panels()))
        return dock

    @staticmethod
    def _hidden_panels() -> set[str]:
        value = QSettings().value("window/hidden_panels", [])
        return {value} if isinstance(value, str) else set(value or [])

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
    def _dock(self, widget: QWidget, title: str, name: str, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.lock_label = QLabel()
        self.lock_label.setObjectName("lockLabel")
        self.lock_label.hide()
        self.engine_label = QLabel()
        self.engine_label.setObjectName("engineLabel")
        self.zoom_label = QLabel("100 %")
        self.zoom_label.setMinimumWidth(52)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for w in (self.lock_label, self.engine_label, self.zoom_label):
            bar.addPermanentWidget(w)
        self._set_engine_status("loading")

    def _action(
        self, text: str, slot: Any, shortcut: Any = None, tip: str = "", checkable: bool = False
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setStatusTip(tip)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        a = self._action
        self.new_action = a("&New", self.new_project, K.New, "Start an empty project")
        self.template_action = a(
            "New from &Template…",
            lambda: self.new_from_template(),
            "Ctrl+Shift+N",
            "Start from a working model",
        )
        self.example_action = a(
            "Open &Example",
            self.open_example_menu,
            tip="The bundled example: a small CNN with the sample digits",
        )
        self.open_action = a("&Open…", lambda: self.open_dialog(), K.Open)
        self.import_action = a(
            "&Import Keras Model…",
            lambda: self.import_dialog(),
            tip="Open a .keras or .h5 model as a new project (no code runs)",
        )
        self.save_action = a("&Save", self.save, K.Save)
        self.save_as_action = a("Save &As…", lambda: self.save_as(), K.SaveAs)
        self.close_action = a("&Close", self.close_project, K.Close, "Close the project")
        self.quit_action = a("&Quit", self.close, K.Quit)
        self.undo_action = a("&Undo", self._undo, K.Undo)
        self.redo_action = a("&Redo", self._redo, [K.Redo, "Ctrl+Y"])
        self.history_action = self.history_dock.toggleViewAction()
        self.history_action.setText("&History")
        self.history_action.setShortcut(QKeySequence("Ctrl+H"))
        self.cut_action = a("Cu&t", self.canvas.cut_selection, K.Cut)
        self.copy_action = a("&Copy", self.canvas.copy_selection, K.Copy)
        self.paste_action = a("&Paste", self.canvas.paste, K.Paste)
        self.duplicate_action = a("D&uplicate", self.canvas.duplicate_selection, "Ctrl+D")
        self.delete_action = a("&Delete", self.canvas.delete_selection, [K.Delete, "Backspace"])
        self.select_all_action = a("Select &All", self.canvas.select_all, K.SelectAll)
        self.find_action = a(
            "&Find Layer…", self.palette_panel.focus_search, K.Find, "Search the layer palette"
        )
        self.quick_add_action = a(
            "&Add Layer…\tTab",
            lambda: self.canvas.open_quick_add(),
            tip="Search for a layer and add it to the canvas",
        )
        self.zoom_in_action = a("Zoom &In", self.canvas.zoom_in, [K.ZoomIn, "Ctrl+="])
        self.zoom_out_action = a("Zoom &Out", self.canvas.zoom_out, K.ZoomOut)
        self.zoom_reset_action = a("&Actual Size", self.canvas.zoom_reset, "Ctrl+1")
        self.fit_action = a("&Fit to View", self.canvas.fit_to_view, ["Ctrl+0", "Home"])
        self.zoom_selection_action = a("Zoom to &Selection", self.canvas.zoom_to_selection, "F")
        self.minimap_action = a("&Minimap", self._toggle_minimap, "Ctrl+M", checkable=True)
        self.minimap_action.setChecked(True)
        self.arrange_action = a(
            "&Arrange", self.arrange, "Ctrl+L", "Lay the graph out automatically"
        )
        self.shortcuts_action = a("&Keyboard Shortcuts", self._show_shortcuts)
        self.about_action = a("&About NN Studio", self._show_about)
        self.undo_stack.canUndoChanged.connect(self._update_undo_actions)
        self.undo_stack.canRedoChanged.connect(self._update_undo_actions)
        self.undo_stack.undoTextChanged.connect(self._update_undo_actions)
        self.undo_stack.redoTextChanged.connect(self._update_undo_actions)
        self._update_undo_actions()

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions(
            [self.new_action, self.template_action, self.example_action, self.open_action]
        )
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addAction(self.import_action)
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addActions([self.close_action, self.quit_action])
        edit = bar.addMenu("&Edit")
        edit.addActions([self.undo_action, self.redo_action, self.history_action])
        edit.addSeparator()
        edit.addActions(
            [
                self.cut_action,
                self.copy_action,
                self.paste_action,
                self.duplicate_action,
                self.delete_action,
            ]
        )
        edit.addSeparator()
        edit.addActions([self.select_all_action, self.find_action, self.quick_add_action])
        view = bar.addMenu("&View")
        view.addActions(
            [
                self.zoom_in_action,
                self.zoom_out_action,
                self.zoom_reset_action,
                self.fit_action,
                self.zoom_selection_action,
            ]
        )
        view.addSeparator()
        view.addAction(self.minimap_action)
        panels = view.addMenu("&Panels")
        for dock in (self.palette_dock, self.inspector_dock, self.issues_dock):
            panels.addAction(dock.toggleViewAction())
        self.panels_menu = panels
        appearance = view.addMenu("A&ppearance")
        group = QActionGroup(self)
        self.appearance_actions: dict[str, QAction] = {}
        for name in APPEARANCES:
            act = QAction(name.title(), self, checkable=True)
            act.triggered.connect(lambda _=False, n=name: self.set_appearance(n))
            group.addAction(act)
            appearance.addAction(act)
            self.appearance_actions[name] = act
        model = bar.addMenu("&Model")
        model.addAction(self.arrange_action)
        self.model_menu = model
        self.help_menu = bar.addMenu("&Help")
        self.help_menu.addActions([self.shortcuts_action, self.about_action])

    def _wire(self) -> None:
        self.undo_stack.cleanChanged.connect(self._update_title)
        self.undo_stack.indexChanged.connect(self._on_stack_index)
        self.canvas.selection_changed.connect(self._on_selection)
        self.canvas.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        self.canvas.file_dropped.connect(self.open_dropped)
        self.canvas.node_activated.connect(self._focus_inspector)
        self.palette_panel.layer_activated.connect(lambda key: self.canvas.add_layer(key))
        self.issues_panel.node_activated.connect(lambda nid: self.select_nodes([nid], True))

    @staticmethod
    def plugin_modules() -> list[str]:
        """The plug-in modules present in this installation."""
        return [name for name in PLUGIN_MODULES if importlib.util.find_spec(name) is not None]

    def install_plugins(self) -> None:
        """Dock the data panel and install the training views, where they exist (once).

        ``nnstudio`` calls this right after the window's first frame so that the window
        opens before their libraries (NumPy, pyqtgraph) are imported; tests and embedders
        pass ``plugins=True`` to the constructor instead.
        """
        if self._plugins_installed:
            return
        self._plugins_installed = True
        present = self.plugin_modules()
        if "nnstudio.ui.data_panel" in present:
            try:
                from nnstudio.ui.data_panel import DataPanel
            except ImportError as exc:
                log.warning("the data panel is unavailable: %s", exc)
            else:
                panel = DataPanel()
                panel.source_changed.connect(self._data_source_changed)
                if hasattr(panel, "fit_requested"):
                    panel.fit_requested.connect(self._fit_to_data)
                self.data_panel = panel
                dock = self.add_panel(panel, "Data", Qt.DockWidgetArea.RightDockWidgetArea)
                self.data_dock = dock
                if not dock.property("restored"):
                    self.tabifyDockWidget(self.inspector_dock, dock)
                    self.inspector_dock.raise_()
                self.panels_menu.addAction(dock.toggleViewAction())
                self._show_project_data()
        if "nnstudio.ui.training" in present:
            try:
                training = importlib.import_module("nnstudio.ui.training")
            except ImportError as exc:
                log.warning("the training panel is unavailable: %s", exc)
            else:
                install = getattr(training, "install", None)
                if install is not None:
                    install(self)
        try:
            from nnstudio.ui.export_dialog import install as install_export
        except ImportError as exc:
            log.warning("export is unavailable: %s", exc)
        else:
            install_export(self)
        if not self._layout_restored:
            # First start: the editor's own panels are the ones in front.
            self.inspector_dock.raise_()
            self.issues_dock.raise_()
        if self._engine_ready:
            self.engine_ready.emit()  # plug-ins installed after the engine got ready hear it too

    def _data_source_changed(self, config: Any) -> None:
        if config != self.project.data:
            self.project.data = config
            self.mark_modified()

    def _fit_to_data(self, report: Any) -> None:
        """The data panel's "Fit model to data": Input shape and output head, one undo step."""
        from nnstudio.core.data.errors import DataError
        from nnstudio.core.data.fit import fit_commands

        try:
            command = fit_commands(self.graph, report)
        except (DataError, GraphError, ParamError) as exc:
            self.show_message(f"Cannot fit the model to the data: {exc}", 10000)
            return
        if self.push(command):
            self.show_message("Fitted the model's input and output to the data.")

    def open_dropped(self, path: str) -> bool:
        """A file dropped on the window: a project opens; a data source goes to the Data panel."""
        if path.endswith(SUFFIX):
            return self.open_path(path)
        panel = self.data_panel
        if panel is not None and getattr(panel, "can_open", lambda p: False)(path):
            panel.set_path(path)
            self.data_dock.show()
            self.data_dock.raise_()
            return True
        self.show_message(f"{Path(path).name}: not a project or a data source NN Studio reads.")
        return False

    def _show_project_data(self) -> None:
        panel = self.data_panel
        setter = getattr(panel, "set_config", None)
        if panel is None or setter is None:
            return
        config = None
        if self.project.data is not None:
            try:
                config = self.project.data.replace()
            except (ImportError, ValueError) as exc:
                self.show_message(f"The project's data source cannot be read: {exc}")
        setter(config)

    # -- projects and files -----------------------------------------------------------
    def _set_project(self, project: Project, modified: bool, fit: bool = True) -> None:
        graph = project.graph
        if len(graph.nodes) > 1 and len({n.pos for n in graph.nodes.values()}) == 1:
            apply_positions(graph, layered_layout(graph))
        if self._graph_listener_graph is not None:
            self._graph_listener_graph.unsubscribe(self._on_graph_event)
        self.project = project
        self.undo_stack.clear()
        self._extra_dirty = modified
        scene = GraphScene(graph, canvas_colors(), self)
        self.canvas.set_graph_scene(scene)
        self.inspector.set_graph(graph)
        graph.subscribe(self._on_graph_event)
        self._graph_listener_graph = graph
        self.last_check = None
        self.issues_panel.show_result(graph, None, not self._engine_ready)
        self.checker.set_graph(graph)
        if self.data_panel is not None:
            self._show_project_data()
        self._update_title()
        if fit:
            QTimer.singleShot(0, self.canvas.fit_to_view)
        self.selection_changed.emit([])
        self.project_changed.emit()

    def set_project(self, project: Project, modified: bool = False) -> None:
        """Show ``project`` (no unsaved-changes prompt: see :meth:`maybe_save`)."""
        self._set_project(project, modified)

    def new_project(self) -> bool:
        """An empty project (after the unsaved-changes prompt)."""
        if not self.maybe_save():
            return False
        self.autosaver.clear()
        self._set_project(Project(), modified=False)
        return True

    def close_project(self) -> bool:
        """Close the project, leaving an empty one."""
        return self.new_project()

    def new_from_template(self, key: str | None = None) -> bool:
        """A new project from a template (the gallery asks which when ``key`` is None)."""
        if key is None:
            from nnstudio.ui.templates_dialog import TemplatesDialog

            dialog = TemplatesDialog(self)
            if dialog.exec() != QDialog.DialogCode.Accepted or dialog.chosen_key() is None:
                return False
            key = dialog.chosen_key()
        if not self.maybe_save():
            return False
        self.autosaver.clear()
        self._set_project(build_template(key), modified=False)
        return True

    def open_example_menu(self) -> bool:
        """File > Open Example: the example, after the unsaved-changes prompt."""
        if not self.maybe_save():
            return False
        self.autosaver.clear()
        return self.open_example()

    def open_example(self) -> bool:
        """Open the bundled example project (untitled: Save asks where)."""
        try:
            project = resources.example_project()
        except ProjectError as exc:
            self.show_error("Cannot open the example", str(exc))
            return False
        self._set_project(project, modified=False)
        return True

    def open_dialog(self) -> bool:
        """Ask for a project file and open it."""
        path = self.ask_open_path()
        return self.open_path(path) if path else False

    def open_path(self, path: str | Path) -> bool:
        """Open a project file; a bad file shows the core's message and changes nothing."""
        try:
            project = Project.load(path)
        except ProjectError as exc:
            self.show_error("Cannot open the project", str(exc))
            return False
        if not self.maybe_save():
            return False
        self.autosaver.clear()
        self._set_project(project, modified=False)
        self._add_recent(Path(path))
        self.show_message("; ".join([f"Opened {project.path}", *project.warnings]), 15000)
        return True

    def import_dialog(self) -> bool:
        """Ask for a Keras model file and import it."""
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Import Keras Model",
            str(Path.home()),
            "Keras models (*.keras *.h5);;All files (*)",
        )
        return self.import_model_file(path) if path else False

    def import_model_file(self, path: str | Path) -> bool:
        """Import a .keras/.h5 model (checked before Keras sees it) as a new, unsaved project."""
        if not self._engine_ready:
            self.show_message("The Keras engine is still loading: try again in a moment.")
            return False
        from nnstudio.core.interop import ModelImportError, import_model_file

        try:
            result = import_model_file(path, weights=False)
        except ModelImportError as exc:
            details = "\n".join(f"• {p}" for p in exc.problems[:12])
            self.show_error("Cannot import the model", f"{exc.summary}\n{details}".strip())
            return False
        if not self.maybe_save():
            return False
        self.autosaver.clear()
        self._set_project(result.project, modified=True)
        note = f" ({len(result.warnings)} notes: {result.warnings[0]})" if result.warnings else ""
        self.show_message(
            f"Imported {Path(path).name}: {len(self.graph.nodes)} layers{note}", 15000
        )
        return True

    def save(self) -> bool:
        """Save to the project's file (Save As when it has none)."""
        if self.project.path is None:
            return self.save_as()
        return self._save_to(self.project.path)

    def save_as(self, path: str | Path | None = None) -> bool:
        """Save under a new name (asked for when ``path`` is None)."""
        if path is None:
            path = self.ask_save_path()
            if not path:
                return False
        target = Path(path)
        if target.suffix != SUFFIX:
            target = target.with_name(target.name + SUFFIX)
        return self._save_to(target)

    def _save_to(self, path: Path) -> bool:
        try:
            self.project.save(path)
        except (ProjectError, ValueError) as exc:  # ValueError: a value JSON cannot hold
            self.show_error("Cannot save the project", str(exc))
            return False
        self.undo_stack.setClean()
        self._extra_dirty = False
        self.autosaver.clear()
        self._add_recent(path)
        self._update_title()
        self.show_message("; ".join([f"Saved {path}", *self.project.save_notes]))
        return True

    def maybe_save(self) -> bool:
        """The unsaved-changes prompt; False if the user cancels (or saving fails)."""
        if not self.is_modified():
            return True
        answer = self.ask_unsaved()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            self.autosaver.clear()
            return True
        return False

    def arrange(self) -> None:
        """Lay the graph out automatically (one undo step), then fit it in view."""
        if self.graph.nodes and self.push(layout_command(self.graph)):
            self.canvas.fit_to_view()

    def recent_files(self) -> list[str]:
        """Recently opened or saved project files, newest first."""
        value = QSettings().value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _add_recent(self, path: Path) -> None:
        entry = str(path.resolve())
        files = [entry] + [f for f in self.recent_files() if f != entry]
        QSettings().setValue("recent_files", files[:MAX_RECENT])

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = self.recent_files()
        for path in files:
            action = menu.addAction(Path(path).name)
            action.setStatusTip(path)
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not files:
            menu.addAction("No recent projects").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear List", lambda: QSettings().setValue("recent_files", []))

    # -- startup and recovery --------------------------------------------------------
    def startup(self, path: str | None = None) -> None:
        """What to show first: a crashed session's work, a file, the example, or nothing."""
        recoveries = find_recoveries(self.autosaver.folder)
        if recoveries and self._offer_recovery(recoveries[0]):
            return
        if path:
            self.open_path(path)
            return
        settings = QSettings()
        if not settings.value("first_run_done", False, bool):
            settings.setValue("first_run_done", True)
            self.open_example()

    def _offer_recovery(self, recovery: Recovery) -> bool:
        answer = self.ask_restore(recovery)
        if answer == QMessageBox.StandardButton.Discard:
            recovery.discard()
            return False
        if answer != QMessageBox.StandardButton.Yes:
            return False  # decide later: the file stays
        try:
            project = recovery.load()
        except ProjectError as exc:
            self.show_error("Cannot restore the unsaved work", str(exc))
            return False
        self._set_project(project, modified=True)
        self.autosaver.save_now()
        recovery.discard()
        self.show_message("Restored the unsaved work of the previous session.")
        return True

    # -- dialogs (replaced in tests) -------------------------------------------------
    def ask_unsaved(self) -> QMessageBox.StandardButton:
        """Save, Discard or Cancel for the unsaved changes."""
        name = self.project.path.name if self.project.path else self.project.name
        return QMessageBox.question(
            self,
            APP_TITLE,
            f"Save the changes to “{name}” before closing it?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )

    def ask_restore(self, recovery: Recovery) -> QMessageBox.StandardButton:
        """Yes (restore), Discard, or Cancel (decide later) for a crashed session's work."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Restore unsaved work?")
        where = f" ({recovery.original_path})" if recovery.original_path else ""
        box.setText(
            f"NN Studio did not close properly last time. Unsaved work on "
            f"“{recovery.name}”{where} was kept, autosaved at {recovery.saved_at}."
        )
        box.setInformativeText("Restore it now?")
        box.setStandardButtons(
            QMessageBox.StandardButton.Yes
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        box.button(QMessageBox.StandardButton.Yes).setText("Restore")
        box.button(QMessageBox.StandardButton.Cancel).setText("Later")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        return QMessageBox.StandardButton(box.exec())

    def show_error(self, title: str, message: str) -> None:
        """A warning box for a user-level problem (no traceback)."""
        QMessageBox.warning(self, title, message)

    def ask_open_path(self) -> str:
        """The project file to open ('' if cancelled)."""
        start = str(self.project.path.parent) if self.project.path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, "Open Project", start, f"NN Studio projects (*{SUFFIX});;All files (*)"
        )
        return path

    def ask_save_path(self) -> str:
        """Where to save ('' if cancelled)."""
        if self.project.path:
            start = str(self.project.path)
        else:
            start = str(Path.home() / f"{_file_stem(self.project.name)}{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(
            self, "Save Project", start, f"NN Studio projects (*{SUFFIX})"
        )
        return path

    # -- reactions --------------------------------------------------------------------
    def _on_graph_event(self, event: str, payload: Any) -> None:
        if event != gm.NODE_MOVED:
            self.checker.request()

    def _on_checked(self, report: CheckReport) -> None:
        pending = not report.full
        self.last_report = report
        self.last_check = report.result
        scene = self.canvas.graph_scene()
        if scene is not None:
            scene.apply_check(report.result, pending)
        self.inspector.apply_check(report.result, pending)
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

    def _set_engine_status(self, state: str, detail: str = "") -> None:
        colors = canvas_colors()
        color, text = {
            "loading": (colors.warning, "Engine loading…"),
            "ready": (colors.ok, "Engine ready"),
            "failed": (colors.error, "Engine failed"),
        }[state]
        self.engine_label.setText(f"<span style='color:{color.name()}'>●</span> {text}")
        self.engine_label.setToolTip(
            detail
            or {
                "loading": "Keras/TensorFlow is loading in the background; shapes appear when "
                "it is ready. You can edit meanwhile.",
                "ready": "Keras is loaded: shapes and parameter counts are checked as you edit.",
            }.get(state, "")
        )
        self.engine_label.setProperty("state", state)

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

    def _toggle_minimap(self, on: bool) -> None:
        self.canvas.minimap.set_enabled(on)
        QSettings().setValue("view/minimap", on)

    def set_appearance(self, appearance: str) -> None:
        """Follow the system's colours, or force light or dark."""
        apply_appearance(appearance)
        QSettings().setValue("view/appearance", appearance)
        if appearance in self.appearance_actions:
            self.appearance_actions[appearance].setChecked(True)
        self._apply_colors()

    def _apply_colors(self) -> None:
        scene = self.canvas.graph_scene()
        if scene is not None:
            scene.set_colors(canvas_colors())
        self._set_engine_status("ready" if self._engine_ready else "loading")
        if self.last_check is not None:
            self.issues_panel.show_result(self.graph, self.last_check, not self._engine_ready)
        self.canvas.minimap.update()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_colors()
        super().changeEvent(event)

    def _show_shortcuts(self) -> None:
        rows = [
            ("Add a layer", "drag from the palette, double-click the canvas, or Tab"),
            ("Insert into a connection", "drop a layer onto the connection"),
            ("Connect", "drag from an output port (right) to an input port (left)"),
            ("Delete", "Delete or Backspace"),
            ("Cut / Copy / Paste / Duplicate", "Ctrl+X / Ctrl+C / Ctrl+V / Ctrl+D"),
            ("Undo / Redo / History", "Ctrl+Z / Ctrl+Shift+Z / Ctrl+H"),
            ("Zoom", "mouse wheel, pinch, Ctrl++ / Ctrl+-"),
            ("Pan", "middle-drag, space+drag, or drag the minimap"),
            ("Fit / Zoom to selection / 100 %", "Ctrl+0 / F / Ctrl+1"),
            ("Nudge selection", "arrow keys (Shift: 1 px)"),
            ("Arrange automatically", "Ctrl+L"),
        ]
        table = "".join(f"<tr><td><b>{a}</b>&nbsp;&nbsp;</td><td>{b}</td></tr>" for a, b in rows)
        QMessageBox.information(self, "Keyboard Shortcuts", f"<table>{table}</table>")

    def _show_about(self) -> None:
        QMessageBox.about(
            self,
            "About NN Studio",
            f"<b>NN Studio {__version__}</b><p>Design, train and export neural "
            "networks visually, with Keras 3 on TensorFlow.</p>",
        )

    # -- settings and shutdown ------------------------------------------------------
    def _restore_settings(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.value("window/state")
        if state is not None:
            self._layout_restored = self.restoreState(state, STATE_VERSION)
        minimap = settings.value("view/minimap", True, bool)
        self.minimap_action.setChecked(minimap)
        self.canvas.minimap.set_enabled(minimap)
        appearance = str(settings.value("view/appearance", "system"))
        if appearance not in APPEARANCES:
            appearance = "system"
        self.appearance_actions[appearance].setChecked(True)
        if appearance != "system":
            apply_appearance(appearance)

    def save_settings(self) -> None:
        """Remember the window's geometry and the docks' layout."""
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState(STATE_VERSION))
        settings.setValue(
            "window/hidden_panels",
            [d.objectName() for d in self.findChildren(QDockWidget) if d.isHidden()],
        )

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
        stop = getattr(self.data_panel, "shutdown", None)
        if stop is not None:
            stop()
        if self._graph_listener_graph is not None:
            self._graph_listener_graph.unsubscribe(self._on_graph_event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._force_close and not self.maybe_save():
            event.ignore()
            return
        self.shutdown()
        event.accept()


def _file_stem(name: str) -> str:
    stem = "".join(ch if ch.isalnum() or ch in "-_ " else "_" for ch in name).strip()
    return stem or "untitled"
