"""The window's actions, menus, status bar and saved settings (a mixin of
:class:`~nnstudio.ui.shell.MainWindow`)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QLabel, QMessageBox, QProgressBar, QToolBar

from nnstudio import __version__
from nnstudio.ui.backend_setting import BackendMenu, backend_title
from nnstudio.ui.theme import APPEARANCES, apply_appearance, canvas_colors
from nnstudio.ui.workspaces import WORKSPACES

STATE_VERSION = 2

SHORTCUTS = [
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
    ("Group into block / Ungroup", "Ctrl+G / Ctrl+Shift+G"),
    ("Expand or collapse a block", "double-click it, its chevron, or Ctrl+Shift+E"),
    ("Open a block / back to the parent", "Enter / Alt+Up (or the breadcrumb)"),
    ("Design / Data / Train / Insight", "Alt+1 / Alt+2 / Alt+3 / Alt+4"),
    ("Train / Pause / Stop", "F5 / F6 / Shift+F5 (from every workspace)"),
]


class ShellActions:
    """Builds the window's actions, menus, the workspace mode bar and the status bar;
    appearance; the window's saved geometry and layout."""

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
        self._build_file_actions()
        self._build_edit_actions()
        self._build_view_actions()
        self._build_workspace_actions()
        a = self._action
        self.shortcuts_action = a("&Keyboard Shortcuts", self._show_shortcuts)
        self.about_action = a("&About NN Studio", self._show_about)
        self.undo_stack.canUndoChanged.connect(self._update_undo_actions)
        self.undo_stack.canRedoChanged.connect(self._update_undo_actions)
        self.undo_stack.undoTextChanged.connect(self._update_undo_actions)
        self.undo_stack.redoTextChanged.connect(self._update_undo_actions)
        self._update_undo_actions()

    def _build_file_actions(self) -> None:
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

    def _build_edit_actions(self) -> None:
        K = QKeySequence.StandardKey
        a = self._action
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
        self.editing_actions = [
            self.cut_action,
            self.copy_action,
            self.paste_action,
            self.duplicate_action,
            self.delete_action,
            self.select_all_action,
            self.quick_add_action,
        ]
        self.block_actions = self.blocks.build_actions()  # group, ungroup, expand, open, up
        from nnstudio.ui.block_library_panel import BlockLibraryUI

        self.block_library = BlockLibraryUI(self)  # "My blocks" in the palette
        self.editing_actions += self.block_actions[:3]

    def _build_view_actions(self) -> None:
        K = QKeySequence.StandardKey
        a = self._action
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
        self.reset_layout_action = a(
            "&Reset Layout", self.reset_layout, tip="Put every panel back in its default place"
        )

    def _build_workspace_actions(self) -> None:
        self.workspace_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for i, (name, title, tip) in enumerate(WORKSPACES, start=1):
            act = self._action(
                title,
                lambda _=False, n=name: self.show_workspace(n),
                f"Alt+{i}",
                tip,
                checkable=True,
            )
            act.setToolTip(f"{tip} (Alt+{i})")
            group.addAction(act)
            self.workspace_actions[name] = act

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
        edit.addSeparator()
        edit.addActions(self.block_actions)
        edit.addAction(self.block_library.save_action)
        self.edit_menu = edit
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
        view.addAction(self.canvas.cost_overlay.action)
        view.addMenu(self.panels_menu)
        view.addAction(self.reset_layout_action)
        view.addSeparator()
        view.addActions(list(self.workspace_actions.values()))
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
        model.addSeparator()
        self.backend_menu = BackendMenu(self)
        model.addMenu(self.backend_menu)
        self.model_menu = model
        self.help_menu = bar.addMenu("&Help")
        self.help_menu.addActions([self.shortcuts_action, self.about_action])

    def _show_shortcuts(self) -> None:
        rows = SHORTCUTS
        table = "".join(f"<tr><td><b>{a}</b>&nbsp;&nbsp;</td><td>{b}</td></tr>" for a, b in rows)
        QMessageBox.information(self, "Keyboard Shortcuts", f"<table>{table}</table>")

    def _show_about(self) -> None:
        QMessageBox.about(
            self,
            "About NN Studio",
            f"<b>NN Studio {__version__}</b><p>Design, train and export neural "
            "networks visually, with Keras 3 on TensorFlow.</p>",
        )

    def _build_mode_bar(self) -> None:
        bar = QToolBar("Workspaces", self)
        bar.setObjectName("modeBar")
        bar.setMovable(False)
        bar.setFloatable(False)
        bar.toggleViewAction().setEnabled(False)
        for act in self.workspace_actions.values():
            bar.addAction(act)
        self.addToolBar(bar)
        self.mode_bar = bar

    def _set_engine_status(self, state: str, detail: str = "") -> None:
        colors = canvas_colors()
        color, text = {
            "loading": (colors.warning, "Engine loading…"),
            "ready": (colors.ok, f"Engine ready ({backend_title()})"),
            "failed": (colors.error, "Engine failed"),
        }[state]
        self.engine_label.setText(f"<span style='color:{color.name()}'>●</span> {text}")
        self.engine_label.setToolTip(
            detail
            or {
                "loading": f"Keras ({backend_title()}) is loading in the background; shapes "
                "appear when it is ready. You can edit meanwhile.",
                "ready": "Keras is loaded: shapes and parameter counts are checked as you edit.",
            }.get(state, "")
        )
        self.engine_label.setProperty("state", state)

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

    # -- the status bar -----------------------------------------------------------------
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
        self.run_progress = QProgressBar()
        self.run_progress.setObjectName("runProgress")
        self.run_progress.setMaximumWidth(220)
        self.run_progress.setTextVisible(True)
        self.run_progress.hide()
        for w in (self.run_progress, self.lock_label, self.engine_label, self.zoom_label):
            bar.addPermanentWidget(w)
        self._set_engine_status("loading")

    def set_run_progress(self, done: int | None, total: int = 0, text: str = "") -> None:
        """The status bar's run progress, seen from every workspace (``None`` hides it)."""
        bar = self.run_progress
        if done is None:
            bar.hide()
            return
        bar.setRange(0, max(total, 0))
        bar.setValue(min(done, total) if total else 0)
        bar.setFormat(text or "%p %")
        bar.setToolTip(text)
        bar.show()

    # -- settings -----------------------------------------------------------------------
    def _restore_settings(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.clamp_to_screen()
        state = settings.value("window/state")
        if state is not None:
            self.restoreState(state, STATE_VERSION)
        minimap = settings.value("view/minimap", True, bool)
        self.minimap_action.setChecked(minimap)
        self.canvas.minimap.set_enabled(minimap)
        appearance = str(settings.value("view/appearance", "system"))
        if appearance not in APPEARANCES:
            appearance = "system"
        self.appearance_actions[appearance].setChecked(True)
        if appearance != "system":
            apply_appearance(appearance)

    def clamp_to_screen(self) -> None:
        """Keep the window inside the screen's available area (a saved geometry may come
        from a larger screen)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        avail: QRect = screen.availableGeometry()
        frame = self.frameGeometry()
        extra_w = max(frame.width() - self.width(), 0)
        extra_h = max(frame.height() - self.height(), 0)
        width = min(self.width(), avail.width() - extra_w)
        height = min(self.height(), avail.height() - extra_h)
        if (width, height) != (self.width(), self.height()):
            self.resize(max(width, self.minimumWidth()), max(height, self.minimumHeight()))
        x = min(max(frame.x(), avail.x()), avail.right() - self.width() - extra_w + 1)
        y = min(max(frame.y(), avail.y()), avail.bottom() - self.height() - extra_h + 1)
        if (x, y) != (frame.x(), frame.y()):
            self.move(max(x, avail.x()), max(y, avail.y()))

    def save_settings(self) -> None:
        """Remember the window's geometry, its mode bar and every workspace's layout."""
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState(STATE_VERSION))
        self.workspaces.save()
