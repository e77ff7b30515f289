"""The training settings and the Train gate, linked to the project (a mixin of
:class:`~nnstudio.ui.training.controller.TrainingController`).

- A settings edit in the form is one undoable ``SetTraining``; an undo or redo (any change of
  the project's training settings) shows in the form again.
- The declared outputs' losses and metrics are edited through ``SetOutput``; the early
  stopping monitors offered follow what the run will log.
- Train is disabled while the check (graph and, with data attached, the pre-flight check of
  data against model) has an error; the first error says why.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from nnstudio.core import project as pj
from nnstudio.core.catalog.backbone import KEY as BACKBONE_KEY
from nnstudio.core.graph import model as gm
from nnstudio.core.graph.commands import SetOutput
from nnstudio.core.graph.model import EditRefused
from nnstudio.core.objectives.monitors import graph_logged_names, graph_monitor_choices
from nnstudio.core.project_commands import SetTraining
from nnstudio.core.training.config import ConfigError, TrainingConfig

__all__ = ["SettingsLink", "expected_metrics", "has_backbone"]

SETTINGS_KEY = "trainingSettings"  # the settings panel's key in the Train workspace


def has_backbone(graph: gm.Graph) -> bool:
    """Whether the model (its blocks included) has a pretrained backbone to fine-tune."""
    graphs = [graph, *(d.graph for d in (getattr(graph, "blocks", None) or {}).values())]
    return any(n.key == BACKBONE_KEY for g in graphs for n in g.nodes.values())


def expected_metrics(graph: gm.Graph) -> list[str]:
    """The names Keras will log for the graph's declared outputs (the core's rule)."""
    return graph_logged_names(graph)


class SettingsLink:
    """Settings form <-> project, and the Train gate (needs the controller's ``window``,
    ``panel``, ``worker``, ``_built`` and ``_update_actions``)."""

    window: Any
    panel: Any
    worker: Any
    _blocked: str | None

    def _on_project_event(self, event: str, payload: Any) -> None:
        """Training settings or runs changed in the project (an edit, its undo or redo):
        show them."""
        if event == pj.RUNS_CHANGED:
            self._refresh_runs()  # type: ignore[attr-defined]  # RunListActions
            return
        if event != pj.TRAINING_CHANGED or not self._built(SETTINGS_KEY):
            return
        try:
            shown = self.panel.config()
        except ConfigError:
            shown = None
        if shown != payload:
            self.panel.set_config(payload)

    def _on_checked(self, report: Any) -> None:
        """The check's first error (e.g. data that does not fit the model) blocks Train."""
        error = next((i for i in report.result.issues if i.severity == "error"), None)
        blocked = None
        if error is not None:
            blocked = f"{error.message} {error.hint}".strip() if error.hint else error.message
        if blocked != self._blocked:
            self._blocked = blocked
            self._update_actions()
            data_issue = error is not None and error.code.startswith("data-")
            if data_issue and not self.worker.is_running():  # the pre-flight check
                self.window.show_message(f"Train is disabled: {blocked}", 10000)

    def _load_config(self) -> None:
        try:
            config = self.window.project.training.replace()
        except ConfigError as exc:
            self.panel.log(f"The project's training settings were reset: {exc}", "warning")
            config = TrainingConfig()
        self.panel.set_config(config)

    def train_blocked_reason(self) -> str | None:
        """Why Train cannot start now (engine loading, an error of the check), else ``None``."""
        if not self.window.is_engine_ready():
            return "The engine is loading; Train is available in a moment."
        if self._blocked is not None:
            return f"Train is disabled: {self._blocked}"
        return None

    # -- settings -----------------------------------------------------------------------
    def _config_changed(self, config: TrainingConfig) -> None:
        """A settings edit: one undoable ``SetTraining`` (edits of one setting in quick
        succession merge into one undo step)."""
        project = self.window.project
        old = project.training
        if config == old:
            return
        changed = [
            f.name
            for f in dataclasses.fields(config)
            if getattr(config, f.name) != getattr(old, f.name)
        ]
        try:
            if len(changed) == 1 and changed[0] != "extra":
                command = SetTraining(project, **{changed[0]: getattr(config, changed[0])})
            else:
                command = SetTraining(project, config)
        except EditRefused as exc:
            self.window.show_message(f"Training settings: {exc}")
            return
        self.window.push(command, locked_ok=True)  # settings, not the model

    def _refresh_outputs(self) -> None:
        if not self._built(SETTINGS_KEY):
            return
        graph = self.window.graph
        self.panel.set_outputs(
            (o.node, graph.nodes[o.node].name, o.loss, list(o.metrics))
            for o in graph.outputs
            if o.node in graph.nodes
        )
        self.panel.form.set_monitor_choices(graph_monitor_choices(graph))
        self.panel.form.show_finetune(has_backbone(graph))

    def _output_changed(self, node_id: str, loss: str, metrics: list[str]) -> None:
        graph = self.window.graph
        decl = graph.output_decl(node_id)
        if decl is None or (decl.loss == loss and list(decl.metrics) == metrics):
            return
        if not loss:
            self.window.show_message("An output needs a loss")
            self._refresh_outputs()
            return
        if not self.window.push(SetOutput(graph, node_id, loss, decl.loss_weight, metrics)):
            self._refresh_outputs()
