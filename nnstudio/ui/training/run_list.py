"""The controller's run list: overlays on the charts, rename, export and delete (a mixin
of :class:`~nnstudio.ui.training.controller.TrainingController`)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox

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

    def _refresh_runs(self) -> None:
        if not self._built(RUNS):
            return
        project_runs = self.window.project.runs
        ids = {r.id for r in project_runs}
        for run_id in list(self.plots.overlays()):
            if run_id not in ids:
                self.plots.remove_overlay(run_id)
        self.runs.set_runs(project_runs, self.plots.overlays())

    def _overlay_toggled(self, run_id: str, shown: bool) -> None:
        if run_id in self.plots.overlays():
            self.plots.show_overlay(run_id, shown)
            return
        if shown:
            run = run_records.find_run(self.window.project, run_id)
            self.plots.set_overlay(run_id, run.name or run_id, run.history, True)

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
        self.window.push(command, locked_ok=True)
        self._refresh_runs()  # records are immutable: the view shows the renamed one

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
