"""The Experiments workspace: define a sweep, run it in the background, compare the trials
and apply the best.

Panels: the definition (left), the results table (centre), the parallel coordinates and the
selected trials' curves (bottom, side by side).  The sweep runs through the app's one
background bridge (:class:`nnstudio.ui.tasks.Task`) calling the core's
:func:`~nnstudio.core.sweeps.run_sweep` on a copy of the project; every finished trial is
added to the table and recorded in the project as a run (the Runs view lists it).  The
definition is kept in the project file under the ``sweep`` key (an extra key older readers
keep as it is), with the folder of the last sweep, which Resume continues.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt

from nnstudio.core.sweeps import SweepError, TrialResult, read_trials, run_sweep
from nnstudio.core.tasks import Cancelled, TaskState
from nnstudio.core.training.runs import runs_root
from nnstudio.ui.sweeps import apply as sweep_apply
from nnstudio.ui.sweeps.curves import TrialCurves
from nnstudio.ui.sweeps.definition import SweepDefinition
from nnstudio.ui.sweeps.parallel import ParallelCoordinates
from nnstudio.ui.sweeps.results import ResultsPanel
from nnstudio.ui.tasks import Task
from nnstudio.ui.workspaces import EXPERIMENTS, PanelSpec

log = logging.getLogger(__name__)

DEFINITION, RESULTS, PARALLEL, CURVES = (
    "sweepDefinition",
    "sweepResults",
    "sweepParallel",
    ("sweepCurves"),
)
PROJECT_KEY = "sweep"
LOCK_REASON = "a sweep is running: stop it to change the model"
SWEEPS_DIR = "sweeps"


def sweep_folder(project: Any, stamp: str | None = None) -> Path:
    """A new sweep's folder: ``sweeps/<stamp>`` in the project's runs folder."""
    stamp = stamp or time.strftime("sweep-%Y%m%d-%H%M%S")
    return runs_root(project) / SWEEPS_DIR / stamp


def _run(state: TaskState, project: Any, config: Any, folder: Path) -> Any:
    """The task's function: the core's sweep, its trials recorded as project runs."""
    return run_sweep(project, config, folder, state, record_runs=True)


class SweepController(QObject):
    """Owns the Experiments panels and the running sweep; talks to the window through its
    hooks only."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.task: Task | None = None
        self.trials: list[TrialResult] = []
        self.folder: Path | None = None
        self._run_project: Any = None
        self._total = 0
        self._add_panels()
        window.inspector.sweep_requested.connect(self.sweep_node_param)
        window.project_changed.connect(self._project_changed)
        window.graph_checked.connect(lambda _r: self._refresh_metrics())
        window.installEventFilter(self)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        """On closing the window, stop a running sweep and wait for it (its finished
        trials are recorded before the save prompt)."""
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    # -- panels -------------------------------------------------------------------------
    def _widget(self, key: str) -> Any:
        return self.window.workspaces.widget(key)

    @property
    def definition(self) -> SweepDefinition:
        """The definition panel."""
        return self._widget(DEFINITION)

    @property
    def results(self) -> ResultsPanel:
        """The results table panel."""
        return self._widget(RESULTS)

    @property
    def parallel(self) -> ParallelCoordinates:
        """The parallel-coordinates plot."""
        return self._widget(PARALLEL)

    @property
    def curves(self) -> TrialCurves:
        """The selected trials' curves."""
        return self._widget(CURVES)

    def _add_panels(self) -> None:
        add = self.window.add_panel_spec
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        add(
            PanelSpec(
                DEFINITION,
                "Sweep",
                EXPERIMENTS,
                self._make_definition,
                left,
                340,
                scroll=True,
                ready=self._load_definition,
            )
        )
        add(
            PanelSpec(
                RESULTS,
                "Trials",
                EXPERIMENTS,
                self._make_results,
                area=None,
                ready=self._show_results,
            )
        )
        add(
            PanelSpec(
                PARALLEL,
                "Parallel coordinates",
                EXPERIMENTS,
                ParallelCoordinates,
                bottom,
                330,
                ready=self._redraw,
            )
        )
        add(
            PanelSpec(
                CURVES,
                "Trial curves",
                EXPERIMENTS,
                TrialCurves,
                bottom,
                beside=PARALLEL,
                ready=self._selection_changed,
            )
        )

    def _make_definition(self) -> SweepDefinition:
        view = SweepDefinition(self._menu_entries, self._check_spec)
        view.changed.connect(self._definition_changed)
        view.run_clicked.connect(lambda: self.start())
        view.stop_clicked.connect(self.stop)
        view.resume_clicked.connect(lambda: self.start(resume=True))
        view.add_requested.connect(self.add_param)
        return view

    def _make_results(self) -> ResultsPanel:
        view = ResultsPanel()
        view.selection_changed.connect(self._selection_changed)
        view.apply_requested.connect(self.apply)
        return view

    def _built(self, key: str) -> bool:
        return bool(self.window.workspaces.is_built(key))

    # -- the definition -----------------------------------------------------------------
    def _menu_entries(self) -> list[tuple[str, str, bool, str]]:
        return sweep_apply.menu_entries(self.window.project)

    def _check_spec(self, spec: Any) -> str | None:
        return sweep_apply.check_spec(self.window.project, spec)

    def sweep_node_param(self, node_id: str, param: str) -> None:
        """ "Sweep this" on a layer parameter: add ``node.param`` with a default range."""
        node = self.window.graph.nodes.get(node_id)
        if node is not None:
            self.add_param(f"{node.name}.{param}")

    def add_param(self, name: str) -> bool:
        """Sweep ``name`` (``node.param`` or a training setting) over its default range."""
        try:
            spec = sweep_apply.default_for(self.window.project, name)
        except SweepError as exc:
            self.window.show_message(f"Cannot sweep {name}: {exc}")
            return False
        self.definition.add_param(spec)
        self.window.show_message(
            f"{name} is swept over {spec.to_text()} (see the Experiments workspace)"
        )
        return True

    def _definition_changed(self) -> None:
        project = self.window.project
        stored = dict(project.extra.get(PROJECT_KEY) or {})
        stored.update(self.definition.to_json())
        if stored != project.extra.get(PROJECT_KEY):
            project.extra[PROJECT_KEY] = stored
            self.window.mark_modified()

    def _load_definition(self) -> None:
        self._refresh_metrics()
        self.definition.load(self.window.project.extra.get(PROJECT_KEY))
        self._update_buttons()

    def _refresh_metrics(self) -> None:
        if self._built(DEFINITION):
            from nnstudio.core.objectives.monitors import graph_monitor_choices

            self.definition.set_metric_choices(graph_monitor_choices(self.window.graph))

    def _project_changed(self) -> None:
        if self.task is not None and self._run_project is not self.window.project:
            self.task.cancel("the project was closed")
        self.trials = []
        stored = self.window.project.extra.get(PROJECT_KEY)
        folder = stored.get("folder") if isinstance(stored, dict) else None
        self.folder = sweep_apply.stored_folder(self.window.project, folder)
        if self.folder is not None:
            try:
                self.trials = read_trials(self.folder)
            except (SweepError, OSError) as exc:
                log.warning("cannot read the sweep in %s: %s", self.folder, exc)
        if self._built(DEFINITION):
            self._load_definition()
        self._show_results()
        self._redraw()

    # -- the run ------------------------------------------------------------------------
    def is_running(self) -> bool:
        """True while a sweep runs."""
        return self.task is not None

    def start(self, resume: bool = False) -> bool:
        """Run the sweep defined (or ``resume`` the last one); False, with the reason
        shown, when it cannot start."""
        w = self.window
        if self.task is not None:
            return False
        if not w.is_engine_ready():
            return self._refuse("The engine is still loading; try again in a moment.")
        locked = w.graph_locked_reason()
        if locked:
            return self._refuse(f"Cannot start a sweep: {locked}")
        if w.project.data is None:
            return self._refuse("No data to train on: choose a data source in the Data panel.")
        try:
            config = self.definition.config()
            sweep_apply.resolve(w.project, config)
        except SweepError as exc:
            return self._refuse(str(exc))
        if resume and self.folder is None:
            return self._refuse("There is no sweep to resume: press Run.")
        if not resume:
            self.folder = sweep_folder(w.project)
            self.trials = []
            self._show_results()
            self._redraw()
        assert self.folder is not None
        self._remember_folder()
        copy = sweep_apply.project_copy(w.project)
        self._run_project = w.project
        self._total = config.budget() or 0
        self.task = Task(_run, copy, config, self.folder, parent=self, name="nnstudio-sweep")
        self.task.events.connect(self._on_events)
        self.task.result.connect(self._on_result)
        self.task.error.connect(self._on_error)
        self.task.finished.connect(self._on_finished)
        w.set_graph_locked(LOCK_REASON)
        self.definition.progress.setRange(0, max(self._total, 1))
        self.definition.progress.setValue(len(self.trials))
        self.definition.progress.setVisible(bool(self._total))
        self.definition.show_status("Resuming the sweep…" if resume else "Starting the sweep…")
        self.task.start()
        self._update_buttons()
        return True

    def _refuse(self, reason: str) -> bool:
        if self._built(DEFINITION):
            self.definition.show_status(reason)
        self.window.show_message(reason)
        return False

    def _remember_folder(self) -> None:
        project = self.window.project
        stored = dict(project.extra.get(PROJECT_KEY) or {})
        if self._built(DEFINITION):
            stored.update(self.definition.to_json())
        stored["folder"] = sweep_apply.folder_text(project, self.folder)
        project.extra[PROJECT_KEY] = stored
        self.window.mark_modified()

    def stop(self) -> None:
        """Stop after the current batch; Resume continues."""
        if self.task is not None:
            self.task.cancel()
            self.definition.show_status("Stopping after this batch…")

    def shutdown(self) -> None:
        """Stop the sweep and wait for its thread (window closing)."""
        if self.task is not None:
            self.task.shutdown()

    def _on_events(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            kind = event.get("type")
            if kind == "trial_finished":
                try:
                    trial = TrialResult.from_json(event["trial"])
                except (SweepError, KeyError) as exc:
                    log.warning("an unreadable trial event: %s", exc)
                    continue
                self._trial_finished(trial)
            elif kind == "sweep_started" and isinstance(event.get("budget"), int):
                self._total = event["budget"]
                self.definition.progress.setRange(0, max(self._total, 1))
            elif kind == "epoch" and isinstance(event.get("epoch"), int):
                epochs = event.get("epochs") or "?"
                self.window.set_run_progress(
                    len(self.trials), self._total, f"Sweep: epoch {event['epoch'] + 1}/{epochs}"
                )
            elif kind == "trial_started":
                number = event.get("number", len(self.trials) + 1)
                total = f"/{self._total}" if self._total else ""
                self.definition.show_status(f"Trial {number}{total} running…")
                self.window.set_run_progress(
                    len(self.trials), self._total, f"Sweep: trial {number}"
                )

    def _trial_finished(self, trial: TrialResult) -> None:
        self.trials = [t for t in self.trials if t.number != trial.number] + [trial]
        project = self._run_project
        record = trial.record
        if record is not None and project is not None and project.run_index(record.id) is None:
            project.add_run(record)
            if project is self.window.project:
                self.window.mark_modified()
        if project is not self.window.project:
            return
        self.results.add_trial(trial)
        self.definition.progress.setValue(len(self.trials))
        self._redraw()

    def _on_result(self, outcome: Any) -> None:
        """The core's ``SweepOutcome``: its trials (any the events missed) and message."""
        if self._run_project is self.window.project:
            known = {t.number for t in self.trials}
            for trial in getattr(outcome, "trials", None) or []:
                if trial.number not in known:
                    self._trial_finished(trial)
        message = getattr(outcome, "message", "") or "finished"
        if getattr(outcome, "stopped", False):
            text = f"The sweep was stopped ({len(self.trials)} trials); Resume continues it."
        elif getattr(outcome, "error", None):
            text = f"The sweep ended early: {message}"
        else:
            text = f"The sweep is done: {message}."
        self.definition.show_status(text)
        self.window.show_message(text, 10000)

    def _on_error(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            text = "The sweep was stopped; Resume continues it."
        else:
            text = f"The sweep failed: {exc}"
        self.definition.show_status(text)
        self.window.show_message(text, 10000)

    def _on_finished(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.deleteLater()
        self._run_project = None
        self.window.set_graph_locked(None)
        self.window.set_run_progress(None)
        self.definition.progress.hide()
        self._update_buttons()

    def _update_buttons(self) -> None:
        if self._built(DEFINITION):
            self.definition.set_running(self.task is not None, can_resume=self.folder is not None)

    # -- the views ----------------------------------------------------------------------
    def _param_names(self) -> list[str]:
        names = list(self.definition.rows) if self._built(DEFINITION) else []
        for trial in self.trials:
            names.extend(n for n in trial.params if n not in names)
        return names

    def _metric(self) -> str:
        if self._built(DEFINITION):
            return self.definition.metric_box.currentText() or "val_loss"
        stored = self.window.project.extra.get(PROJECT_KEY)
        metric = stored.get("metric") if isinstance(stored, dict) else None
        return metric if isinstance(metric, str) and metric else "val_loss"

    def _show_results(self) -> None:
        if self._built(RESULTS):
            names = [n for n in self._param_names() if any(n in t.params for t in self.trials)]
            self.results.reset(names or self._param_names(), self._metric(), self.trials)

    def _redraw(self) -> None:
        if not self._built(PARALLEL):
            return
        names = [n for n in self._param_names() if any(n in t.params for t in self.trials)]
        log_names = sweep_apply.log_params(self.definition) if self._built(DEFINITION) else []
        self.parallel.show_trials(names, self._metric(), self.trials, log_names)
        if self._built(RESULTS):
            self.parallel.highlight(self.results.selected_numbers())
        self._selection_changed()

    def _selection_changed(self, *_: Any) -> None:
        numbers = self.results.selected_numbers() if self._built(RESULTS) else []
        if self._built(PARALLEL):
            self.parallel.highlight(numbers)
        if self._built(CURVES):
            chosen = [t for t in self.trials if t.number in numbers]
            colors = self.parallel.colors if self._built(PARALLEL) else {}
            histories = [sweep_apply.with_history(self.window.project, t) for t in chosen]
            self.curves.show_trials(histories, self._metric(), colors)

    # -- apply --------------------------------------------------------------------------
    def apply(self, which: Any = "best") -> bool:
        """Set the best (``"best"``) or a numbered trial's values in the project as one undo
        step; refused, with a message, while a run holds the model."""
        w = self.window
        if which == "best":
            trial = self.results.model.best_trial() if self._built(RESULTS) else None
            trial = trial or sweep_apply.best_of(self.trials, self._metric())
        else:
            trial = next((t for t in self.trials if t.number == which), None)
        if trial is None:
            w.show_message("No finished trial to apply yet.")
            return False
        locked = w.graph_locked_reason()
        if locked:
            w.show_message(f"Cannot apply trial {trial.number} now: {locked}", 8000)
            return False
        try:
            command = sweep_apply.apply_command(w.project, trial)
        except SweepError as exc:
            w.show_message(f"Cannot apply trial {trial.number}: {exc}", 8000)
            return False
        if command is None:
            w.show_message(f"The project already has trial {trial.number}'s values.")
            return False
        if not w.push(command):
            return False
        w.show_message(f"Applied trial {trial.number}'s values (Undo reverts them).")
        return True


__all__ = ["CURVES", "DEFINITION", "PARALLEL", "RESULTS", "SweepController"]
