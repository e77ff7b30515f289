"""The controller's run list: overlays on the charts (runs and groups, lines and bands),
rename, tag, export, delete, and the export of every run's history (a mixin of
:class:`~nnstudio.ui.training.controller.TrainingController`)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFileDialog, QMessageBox

from nnstudio.core.training import runs as run_records

RUNS = "runs"


class RunListActions:
    """What the Runs panel asks of the controller."""

    window: Any
    confirm_delete: bool
    plots: Any
    runs: Any

    def _built(self, key: str) -> bool:
        return bool(self.window.workspaces.is_built(key))

    def _wire_runs(self, view: Any) -> Any:
        view.overlay_toggled.connect(lambda run_id, on: self._show_runs([run_id], on))
        view.group_toggled.connect(self._show_runs)
        view.band_toggled.connect(lambda _label, _on: self.plots.set_bands(view.band_groups()))
        view.spread_changed.connect(lambda spread: self.plots.set_spread(spread))
        view.grouping_changed.connect(self._refresh_runs)
        view.renamed.connect(self._rename_run)
        view.tags_edited.connect(self._tag_run)
        view.delete_requested.connect(self.delete_runs)
        view.export_requested.connect(self.export_run)
        view.history_export_requested.connect(self.export_histories)
        return view

    def _refresh_runs(self) -> None:
        """The charts and the list follow the project's runs (O(runs): no drawing unless a
        shown run's group changed)."""
        if not self._built(RUNS):
            return
        project_runs = self.window.project.runs
        view = self.runs
        groups = view.groups_of(project_runs)
        view.set_runs(project_runs, self.plots.overlays())  # the list first: its band boxes
        self.plots.set_runs(project_runs, groups, view.band_groups())

    def _show_runs(self, run_ids: list[str], shown: bool) -> None:
        self.plots.show_overlays(run_ids, shown)

    def _tag_run(self, run_id: str, tags: list[str]) -> None:
        """Set a run's tags as one undo step (``SetRunTags``)."""
        from nnstudio.core.graph.model import EditRefused
        from nnstudio.core.project_commands import SetRunTags

        try:
            command = SetRunTags(self.window.project, run_id, tags)
        except EditRefused as exc:
            self.window.show_message(f"Tag run: {exc}")
            self._refresh_runs()
            return
        self.window.push(command, locked_ok=True)

    def export_histories(self, path: str | None = None) -> int | None:
        """Write every run's history to one CSV or JSON file (asked for unless ``path``);
        the number of rows written, or ``None`` when cancelled or refused (said why)."""
        from nnstudio.core.training.history_export import HistoryExportError, export_histories

        project = self.window.project
        if not project.runs:
            self.window.show_message("Export histories: the project has no runs yet.")
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self.window,
                "Export run histories",
                f"{project.name or 'runs'}-histories.csv",
                "CSV (*.csv);;JSON (*.json)",
            )
            if not path:
                return None
        try:
            rows = export_histories(project.runs, path, by=self.runs.grouping())
        except HistoryExportError as exc:
            self.window.show_message(f"Export histories: {exc}", 10000)
            return None
        self.window.show_message(f"Exported {rows} values of {len(project.runs)} runs to {path}")
        return rows

    def _rename_run(self, run_id: str, name: str) -> None:
        """Rename as one undo step (``RenameRun``); a refused name is shown and undone in
        the view.  The view follows the project's ``runs_changed`` (undo and redo too)."""
        from nnstudio.core.graph.model import EditRefused
        from nnstudio.core.project_commands import RenameRun

        try:
            command = RenameRun(self.window.project, run_id, name)
        except EditRefused as exc:
            self.window.show_message(f"Rename run: {exc}")
            self._refresh_runs()
            return
        self.window.push(command, locked_ok=True)  # runs_changed refreshes the list

    def export_run(self, run_id: str) -> None:
        """Open the Export dialog on one run."""
        from nnstudio.ui.export_dialog import open_export_dialog

        open_export_dialog(self.window, run_id)

    def delete_runs(self, run_ids: list[str]) -> None:
        """Delete runs and their folders (after a confirmation unless turned off)."""
        if not run_ids:
            return
        if self.confirm_delete:
            answer = QMessageBox.question(
                self.window,
                "Delete runs",
                f"Delete {len(run_ids)} run(s) and their saved models? This cannot be undone.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        for run_id in run_ids:
            try:
                run_records.delete_run(self.window.project, run_id)
            except run_records.RunError as exc:
                self.window.show_message(str(exc))
            self.plots.remove_overlay(run_id)
        self.window.mark_modified()
        self._refresh_runs()
