"""The document side of the window: new, open, save, recent files, recovery and import.

:class:`DocumentActions` is mixed into :class:`~nnstudio.ui.shell.MainWindow`; it needs the
window's ``project``, ``undo_stack``, ``autosaver``, ``canvas``, ``checker``, ``inspector``
and ``issues_panel``.  Opening, creating or restoring a project goes through
``_set_project``, which resets every view to it (``project_changed``).  The ``ask_*`` and
``show_error`` methods are the dialogs; tests replace them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from nnstudio.core.catalog.spec import ParamError
from nnstudio.core.graph.model import GraphError
from nnstudio.core.layout import apply_positions, layered_layout
from nnstudio.core.project import SUFFIX, Project, ProjectError
from nnstudio.core.templates import build_template
from nnstudio.ui import collector, resources
from nnstudio.ui.autosave import Recovery, find_recoveries
from nnstudio.ui.canvas.scene import GraphScene
from nnstudio.ui.theme import canvas_colors
from nnstudio.ui.workspaces import DATA

log = logging.getLogger(__name__)

MAX_RECENT = 10
APP_TITLE = "NN Studio"


class DocumentActions:
    """New, open, save, recent, recovery and import (a mixin of the main window)."""

    # Provided by the window.
    project: Project
    _engine_ready: bool
    _extra_dirty: bool

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
            self.show_workspace(DATA)
            self.data_dock.show()
            self.data_dock.raise_()
            return True
        self.show_message(f"{Path(path).name}: not a project or a data source NN Studio reads.")
        return False

    def _show_project_data(self, panel: Any = None) -> None:
        """Show the project's data source in the data panel (if it is built)."""
        if panel is None:
            if not self.workspaces.is_built("data"):
                return  # built later, from the project then open
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
        self.blocks.reset(graph)
        self.inspector.set_graph(graph)
        graph.subscribe(self._on_graph_event)
        self._graph_listener_graph = graph
        self.last_check = None
        self.issues_panel.show_result(graph, None, not self._engine_ready)
        self.checker.set_graph(graph)
        self._show_project_data()
        self._update_title()
        if fit:
            QTimer.singleShot(0, self.canvas.fit_to_view)
        self.selection_changed.emit([])
        self.project_changed.emit()
        collector.postpone()  # the first frame before collecting what the build left

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
        samples = resources.resource_path("samples")
        # The template carries its shipped sample, so that Train works at once.
        project = build_template(key, samples.resolve() if samples.is_dir() else None)
        self._set_project(project, modified=False)
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
            result = import_model_file(path, weights=False, group=True)  # arrives collapsed
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


def _file_stem(name: str) -> str:
    stem = "".join(ch if ch.isalnum() or ch in "-_ " else "_" for ch in name).strip()
    return stem or "untitled"
