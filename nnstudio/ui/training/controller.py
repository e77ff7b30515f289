"""The training controller: the Train workspace (settings form and log, live charts, a live
map of the graph, the runs list) and the Insight workspace (the selected layer's
activations and weights, the evaluation), wired to a background worker.

Its widgets are built when their workspace is first shown (or when a run needs them);
opening, creating or reverting a project gives every one of them a fresh start: charts of
that project's runs only, no evaluation or activations until it has a run, its own log.
Nothing here imports TensorFlow or Keras at module level; the run imports them on its
thread once the engine is loaded.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

from nnstudio.core.graph import model as gm
from nnstudio.core.training.config import ConfigError
from nnstudio.core.training.probes import activations_from_event
from nnstudio.core.training.records import RunStatus
from nnstudio.ui.gan.link import GanLink
from nnstudio.ui.insight.fairness_view import FAIRNESS, make_fairness_panel
from nnstudio.ui.training.activations import ActivationsView
from nnstudio.ui.training.evaluation_view import EvaluationView
from nnstudio.ui.training.panel import IDLE, PAUSED, RUNNING, TrainingPanel
from nnstudio.ui.training.plots import MetricsPlots, metric_family
from nnstudio.ui.training.run_list import RunListActions
from nnstudio.ui.training.runs_view import RunsView
from nnstudio.ui.training.settings_link import SETTINGS_KEY, SettingsLink, expected_metrics
from nnstudio.ui.training.worker import RunOutcome, TrainingJob, TrainingWorker
from nnstudio.ui.workspaces import INSIGHT, TRAIN, PanelSpec
from nnstudio.ui.workspaces.insight import make_activations
from nnstudio.ui.workspaces.train import GraphOverview

log = logging.getLogger(__name__)

SETTINGS, CHARTS, RUNS = SETTINGS_KEY, "trainingCharts", "runs"
TRAIN_MAP = "trainMap"
ACTIVATIONS, EVALUATION, EXPLAIN = "activations", "evaluation", "explain"
LOCK_REASON = "a training run is active: stop it to change the model"
DEAD_OK, DEAD_WARN = 0.1, 0.5

__all__ = ["TrainingController"]
NOT_CHARTED = ("learning rate", "throughput")


def indicator_color(act: Any) -> str:
    """Green, amber or red by the share of dead units; blue-grey for other layers."""
    if act.dead is None:
        return "#5f7a8c"
    if act.dead < DEAD_OK:
        return "#3f9a4f"
    return "#d08a1e" if act.dead < DEAD_WARN else "#d1495b"


class TrainingController(SettingsLink, RunListActions, QObject):
    """Owns the training widgets and the worker; talks to the main window through its
    hooks only."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.confirm_delete = True
        self.worker = TrainingWorker(self)
        self.last_outcome: RunOutcome | None = None
        self._run_project: Any = None  # the project the active run belongs to
        self._graph: gm.Graph | None = None
        self._project: Any = None  # the project whose events the controller follows
        self._blocked: str | None = None  # why Train is disabled (an error of the check)
        self._indicators: set[str] = set()
        self._add_panels()
        self.gan = GanLink(window, self)  # GAN frames, issues and samples panel (ui.gan)
        self._add_menu()
        self._wire()
        self._project_changed()
        if window.is_engine_ready():
            self._engine_ready()

    # -- the widgets (built on first need) ------------------------------------------------
    def _widget(self, key: str) -> Any:
        return self.window.workspaces.widget(key)

    def _built(self, key: str) -> bool:
        return bool(self.window.workspaces.is_built(key))

    @property
    def panel(self) -> TrainingPanel:
        """The settings form, progress and log."""
        return self._widget(SETTINGS)

    @property
    def plots(self) -> MetricsPlots:
        """The live charts."""
        return self._widget(CHARTS)

    @property
    def activations(self) -> ActivationsView:
        """The selected layer's activations and weights."""
        return self._widget(ACTIVATIONS)

    @property
    def evaluation(self) -> EvaluationView:
        """The latest run's evaluation."""
        return self._widget(EVALUATION)

    @property
    def runs(self) -> RunsView:
        """The project's recorded runs."""
        return self._widget(RUNS)

    def _make_panel(self) -> TrainingPanel:
        p = TrainingPanel()
        p.start_clicked.connect(lambda: self.start())
        p.pause_clicked.connect(self.pause)
        p.resume_clicked.connect(self.resume)
        p.stop_clicked.connect(self.stop)
        p.config_changed.connect(self._config_changed)
        p.output_changed.connect(self._output_changed)
        return p

    def _sync_panel(self) -> None:
        self.gan.refresh()  # the GAN rows offer the graph's nodes as roles
        self._load_config()
        self._refresh_outputs()
        if self.window.is_engine_ready():
            self._engine_ready()
        self._update_actions()

    def _make_activations(self) -> ActivationsView:
        return make_activations(self.window)

    def _sync_activations(self) -> None:
        scene = self.window.canvas.graph_scene()
        self._selection_changed(scene.selected_node_ids() if scene is not None else [])

    def _make_runs(self) -> RunsView:
        return self._wire_runs(RunsView())

    def _make_explain(self) -> Any:
        from nnstudio.ui.insight.explain_view import ExplainView  # it imports ui.training

        return ExplainView(lambda: self.window.project)

    def _make_map(self) -> GraphOverview:
        return GraphOverview(self.window)

    def _add_panels(self) -> None:
        add = self.window.add_panel_spec
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        add(
            PanelSpec(
                SETTINGS,
                "Training",
                TRAIN,
                self._make_panel,
                left,
                400,
                ready=self._sync_panel,
            )
        )
        add(PanelSpec(CHARTS, "Training charts", TRAIN, MetricsPlots, area=None))
        add(PanelSpec(RUNS, "Runs", TRAIN, self._make_runs, bottom, 140, ready=self._refresh_runs))
        add(PanelSpec(TRAIN_MAP, "Model", TRAIN, self._make_map, bottom, beside=RUNS))
        add(
            PanelSpec(
                ACTIVATIONS,
                "Activations",
                INSIGHT,
                self._make_activations,
                area=None,
                ready=self._sync_activations,
            )
        )
        add(PanelSpec(EVALUATION, "Evaluation", INSIGHT, EvaluationView, right, 560))
        add(
            PanelSpec(
                EXPLAIN,
                "Explain",
                INSIGHT,
                self._make_explain,
                right,
                560,
                tab_with=EVALUATION,
                ready=lambda: self._widget(EXPLAIN).reload(),
            )
        )
        add(PanelSpec("insightMap", "Model", INSIGHT, self._make_map, bottom, 120))
        fairness = make_fairness_panel(self.window)
        add(PanelSpec(FAIRNESS, "Fairness", INSIGHT, fairness, right, 560, tab_with=EVALUATION))

    def _add_menu(self) -> None:
        menu = self.window.add_menu("&Training")
        self.train_action = QAction("&Train", self)
        self.train_action.setShortcut(QKeySequence("F5"))
        self.train_action.triggered.connect(lambda _checked=False: self.start())
        self.pause_action = QAction("&Pause / Resume", self)
        self.pause_action.setShortcut(QKeySequence("F6"))
        self.pause_action.triggered.connect(self.toggle_pause)
        self.stop_action = QAction("&Stop", self)
        self.stop_action.setShortcut(QKeySequence("Shift+F5"))
        self.stop_action.triggered.connect(self.stop)
        menu.addActions([self.train_action, self.pause_action, self.stop_action])
        self._update_actions()

    def _wire(self) -> None:
        w = self.window
        self.worker.events.connect(self._on_events)
        self.worker.finished.connect(self._on_finished)
        w.project_changed.connect(self._project_changed)
        w.selection_changed.connect(self._selection_changed)
        w.engine_ready.connect(self._engine_ready)
        w.checker.checked.connect(self._on_checked)
        w.installEventFilter(self)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # -- window events ------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        """On closing the window, stop a run first (it is recorded before the save
        prompt)."""
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    def _project_changed(self) -> None:
        """Every training view starts afresh on the project now open."""
        if self.worker.is_running() and self._run_project is not self.window.project:
            self.worker.stop()  # the run belongs to the project that was closed
        if self._graph is not None:
            self._graph.unsubscribe(self._on_graph_event)
        self._graph = self.window.graph
        self._graph.subscribe(self._on_graph_event)
        if self._project is not None:
            self._project.unsubscribe(self._on_project_event)
        self._project = self.window.project
        self._project.subscribe(self._on_project_event)
        self._blocked = None  # until the new project's check arrives
        self._indicators.clear()
        if not self.worker.is_running():
            self.window.set_run_progress(None)
        for key in (CHARTS, EVALUATION, ACTIVATIONS, EXPLAIN):  # emptied in place
            if self._built(key):
                self._widget(key).reset()
        if self._built(ACTIVATIONS):
            self._sync_activations()
        if self._built(EXPLAIN):
            self._widget(EXPLAIN).reload()
        if self._built(SETTINGS):
            panel = self.panel
            panel.log_view.clear()
            panel.reset_progress()
            panel.show_status("")
            self._load_config()
            self._refresh_outputs()
        if self._built(RUNS):
            self._refresh_runs()
        self._update_actions()

    def _on_graph_event(self, event: str, payload: Any) -> None:
        if event in (gm.OUTPUTS_CHANGED, gm.NODE_ADDED, gm.NODE_CHANGED, gm.NODE_REMOVED):
            self._refresh_outputs()

    def _selection_changed(self, node_ids: list[str]) -> None:
        if not self._built(ACTIVATIONS):
            return
        graph = self.window.graph
        node = graph.nodes.get(node_ids[0]) if len(node_ids) == 1 else None
        self.activations.select_layer(node.name if node is not None else None)

    def _engine_ready(self) -> None:
        if not self._built(SETTINGS):
            self._update_actions()
            return
        from nnstudio.core.training.devices import list_devices

        try:
            self.panel.set_devices(list_devices())
        except Exception as exc:  # noqa: BLE001 - a device query must not break the panel
            log.warning("cannot list devices: %s", exc)
        self._update_actions()

    def _update_actions(self) -> None:
        running = self.worker.is_running()
        reason = self.train_blocked_reason()
        if self._built(SETTINGS):
            self.panel.set_can_start(reason is None, reason or "")
        self.train_action.setEnabled(reason is None and not running)
        self.train_action.setToolTip(reason or "Train the model (F5)")
        self.train_action.setStatusTip(reason or "Train the model on the project's data")
        self.pause_action.setEnabled(running)
        self.stop_action.setEnabled(running)

    # -- the run ------------------------------------------------------------------------
    def start(self, data: Any = None) -> bool:
        """Start a run on the project's data source (or on ``data``, a ``TrainingData``).

        Returns False, with the reason shown, when it cannot start.
        """
        w = self.window
        if self.worker.is_running():
            return False
        if not w.is_engine_ready():
            return self._refuse("The engine is still loading; try again in a moment.")
        busy = w.graph_locked_reason()
        if busy is not None:  # another task holds the model (a sweep)
            return self._refuse(f"Train is not available: {busy}")
        try:
            config = self.panel.config()
        except ConfigError as exc:
            return self._refuse(str(exc))
        if self._blocked is not None:
            return self._refuse(f"Train is disabled: {self._blocked}")
        check = getattr(w, "last_check", None)
        if check is not None and not check.ok:
            return self._refuse("The model has errors: fix them first (see the Issues panel).")
        if not w.graph.outputs:
            return self._refuse("Declare an output (its loss and metrics) before training.")
        if data is None and w.project.data is None:
            return self._refuse("No data to train on: choose a data source in the Data panel.")
        job = TrainingJob.for_project(w.project, config=config.to_json(), data=data)
        self._run_project = w.project
        w.set_graph_locked(LOCK_REASON)
        self._clear_indicators()
        self.panel.reset_progress()
        self.panel.set_state(RUNNING)
        self.panel.show_status("Starting…")
        self.panel.log(
            f"— Run started: {config.optimizer}, learning rate "
            f"{config.learning_rate:g}, batch size {config.batch_size}, "
            f"{config.epochs} epochs"
        )
        self._prepare_charts(self.gan.expected_metrics(config) or expected_metrics(w.graph))
        self.plots.show_validation(bool(getattr(config, "validation", True)))
        self.gan.run_started(config)
        self.activations.reset()  # built now if need be: it keeps the run's probes
        w.set_run_progress(0, 0, "Starting…")
        self.worker.start(job)
        self._update_actions()
        return True

    def _prepare_charts(self, metrics: list[str]) -> None:
        """Charts for exactly the metrics this run logs (fresh ones if the last run logged
        others, e.g. an accuracy chart before a regression run)."""
        wanted = {metric_family(m) for m in metrics}
        shown = set(self.plots.plots) - set(NOT_CHARTED)
        if shown - wanted:
            self.plots.reset(wanted)
            if self._built(RUNS):
                self._refresh_runs()
        self.plots.prepare(metrics)
        self.plots.begin_run()

    def _refuse(self, reason: str) -> bool:
        self.panel.show_status(reason)
        self.window.show_message(reason)
        return False

    def pause(self) -> None:
        """Pause after the current batch."""
        if self.worker.is_running():
            self.worker.pause()
            self.panel.set_state(PAUSED)
            self.panel.show_status("Pausing after this batch…")

    def resume(self) -> None:
        """Continue a paused run."""
        if self.worker.is_running():
            self.worker.resume()
            self.panel.set_state(RUNNING)
            self.panel.show_status("Training…")

    def toggle_pause(self) -> None:
        """Pause a running run, resume a paused one."""
        if self.worker.is_paused():
            self.resume()
        else:
            self.pause()

    def stop(self) -> None:
        """Stop after the current batch; the completed epochs are kept."""
        if self.worker.is_running():
            self.worker.stop()
            self.panel.show_status("Stopping after this batch…")

    def shutdown(self) -> None:
        """Stop a run and wait for its thread (window closing, application quitting)."""
        self.worker.shutdown()
        if self._built(EXPLAIN):
            self._widget(EXPLAIN).shutdown()

    def _on_events(self, events: list[dict[str, Any]]) -> None:
        self.panel.handle_events(events)
        self.plots.handle_events(events)
        if self._built(ACTIVATIONS):  # built at the start of every run
            self.activations.handle_events(events)
        self.gan.handle_events(events)
        batch = next((e for e in reversed(events) if e["type"] == "batch"), None)
        if batch is not None:
            self._show_progress(batch)
        probe = next((e for e in reversed(events) if e["type"] == "probe"), None)
        if probe is not None and self._run_project is self.window.project:
            self._show_indicators(activations_from_event(probe))

    def _show_progress(self, e: dict[str, Any]) -> None:
        steps, epochs = e.get("steps") or 0, e.get("epochs") or self.panel._epochs or 0
        text = f"Training: epoch {e['epoch'] + 1}/{epochs or '?'}"
        if steps and epochs:
            self.window.set_run_progress(e["epoch"] * steps + e["batch"] + 1, steps * epochs, text)
        else:
            self.window.set_run_progress(0, 0, text)

    def _show_indicators(self, layers: dict[str, Any]) -> None:
        canvas = self.window.canvas
        graph = self.window.graph
        for name, act in layers.items():
            node = graph.node_by_name(name)
            if node is not None:
                canvas.set_node_indicator(node.id, act.indicator(), indicator_color(act))
                self._indicators.add(node.id)

    def _clear_indicators(self) -> None:
        for node_id in self._indicators:
            self.window.canvas.set_node_indicator(node_id, None, None)
        self._indicators.clear()

    def _on_finished(self, outcome: RunOutcome) -> None:
        w = self.window
        self.last_outcome = outcome
        w.set_graph_locked(None)
        w.set_run_progress(None)
        self.panel.set_state(IDLE)
        self.gan.run_finished(outcome)
        self._update_actions()
        level = "info" if outcome.status in (RunStatus.COMPLETED, RunStatus.STOPPED) else "error"
        self.panel.show_status(outcome.message)
        self.panel.log(outcome.message, level)
        for note in outcome.notes:
            self.panel.log(note, "warning")
        trace = outcome.traceback or (outcome.result.traceback if outcome.result else None)
        if trace:
            self.panel.log("Details for a bug report:\n" + trace.rstrip(), "info")
        w.show_message(outcome.message[:1].upper() + outcome.message[1:], 10000)
        project, self._run_project = self._run_project, None
        if project is not w.project:  # another project was opened meanwhile
            if outcome.record is not None:
                project.add_run(outcome.record)
                self.panel.log(
                    f"The run of '{project.name}' was stopped; its files are in "
                    f"{outcome.record.folder}.",
                    "warning",
                )
            return
        if outcome.record is not None:
            w.project.add_run(outcome.record)
            w.mark_modified()
            self._refresh_runs()
            if self._built(EXPLAIN):
                self._widget(EXPLAIN).run_finished()
        if outcome.evaluation is not None:
            self.evaluation.show_evaluation(outcome.evaluation)
        elif outcome.result is not None:
            self.evaluation.clear()
