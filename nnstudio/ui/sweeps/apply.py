"""The project side of the Experiments workspace (no widgets): what can be swept and its
default range, a spec checked against the project, the sweep's folder as the project file
keeps it, a trial's history, and a trial's values applied as one undo step."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nnstudio.core.graph.commands import Command, Macro, SetParams
from nnstudio.core.project import Project
from nnstudio.core.project_commands import SetTraining
from nnstudio.core.sweeps import ParamSpec, SweepConfig, SweepError, default_spec, trial_changes
from nnstudio.ui.sweeps.results import trial_score

#: the training settings offered in the "Add parameter" menu, in this order
SETTINGS = ("learning_rate", "batch_size", "optimizer", "epochs", "schedule", "weight_decay")
SWEEPABLE_KINDS = ("int", "float", "choice", "bool")
LAYERS_GROUP, TRAINING_GROUP = "Layer parameters", "Training settings"


def _setting_param(name: str) -> Any:
    from nnstudio.core.objectives.settings import BY_NAME

    setting = BY_NAME.get(name)
    if setting is None:
        raise SweepError(f"{name}: not a training setting")
    return setting.param


def default_for(project: Project, name: str) -> ParamSpec:
    """The default spec of ``name`` (``node.param`` or a training setting) from its current
    value (:class:`SweepError` if it cannot be swept)."""
    node_name, dot, param_name = name.rpartition(".")
    if not dot:
        param = _setting_param(name)
        spec = default_spec(param, getattr(project.training, name), name)
    else:
        node = project.graph.node_by_name(node_name)
        if node is None:
            raise SweepError(f"{name}: the model has no layer named {node_name!r}")
        try:
            param = node.spec.param(param_name)
        except KeyError:
            raise SweepError(
                f"{name}: {node.spec.display} has no parameter {param_name!r}"
            ) from None
        spec = default_spec(param, node.params.get(param_name), name)
    check = check_spec(project, spec)
    if check:
        raise SweepError(check)
    return spec


def menu_entries(project: Project) -> list[tuple[str, str, bool, str]]:
    """The "Add parameter" menu: every numeric, choice or flag parameter of every layer,
    then the training settings (``(group, name, enabled, tip)``)."""
    out: list[tuple[str, str, bool, str]] = []
    graph = project.graph
    try:
        order = graph.topological_order()
    except Exception:  # noqa: BLE001 - a cycle is an issue elsewhere; list them anyway
        order = list(graph.nodes)
    for node_id in order:
        node = graph.nodes[node_id]
        for param in node.spec.params:
            if param.kind in SWEEPABLE_KINDS:
                out.append((LAYERS_GROUP, f"{node.name}.{param.name}", True, param.help))
    for name in SETTINGS:
        try:
            help_text = _setting_param(name).help
        except SweepError:
            continue
        out.append((TRAINING_GROUP, name, True, help_text))
    return out


def check_spec(project: Project, spec: ParamSpec) -> str | None:
    """Why ``spec`` does not fit the project (a missing layer, values out of bounds), or
    ``None`` when it does."""
    try:
        resolve(project, SweepConfig(params=(spec,)))
    except SweepError as exc:
        return str(exc)
    return None


def resolve(project: Project, config: SweepConfig) -> SweepConfig:
    """``config`` checked against ``project`` (the core's check)."""
    from nnstudio.core.sweeps.targets import resolve_specs

    return resolve_specs(project, config)


def project_copy(project: Project) -> Project:
    """An independent copy of ``project`` for the sweep's thread (same file path)."""
    base = project.path.parent if project.path is not None else None
    copy = Project.from_json(project.to_json(), base=base)
    copy.path = project.path
    return copy


def folder_text(project: Project, folder: Path | None) -> str | None:
    """``folder`` as the project file keeps it: relative to the file's folder when below."""
    if folder is None:
        return None
    if project.path is not None:
        try:
            return Path(os.path.relpath(folder, project.path.parent)).as_posix()
        except ValueError:  # another drive
            pass
    return str(folder)


def stored_folder(project: Project, text: Any) -> Path | None:
    """The folder :func:`folder_text` wrote, if it still exists."""
    if not isinstance(text, str) or not text:
        return None
    path = Path(text)
    if not path.is_absolute() and project.path is not None:
        path = project.path.parent / path
    return path if path.is_dir() else None


def log_params(definition: Any) -> list[str]:
    """The names the definition sweeps on a log scale."""
    out = []
    for name, row in definition.rows.items():
        try:
            if row.spec().log:
                out.append(name)
        except SweepError:
            continue
    return out


def with_history(project: Project, trial: Any) -> Any:
    """``trial`` with its run record (found in the project by its folder when the trial
    came from ``trials.json``, which keeps no histories)."""
    if trial.record is not None or not trial.folder:
        return trial
    wanted = Path(trial.folder).name
    for run in reversed(project.runs):
        if run.folder and Path(run.folder).name == wanted:
            return dataclasses.replace(trial, record=run)
    return trial


def best_of(trials: Iterable[Any], metric: str) -> Any:
    """The best finished trial by ``metric`` (``None`` without one)."""
    from nnstudio.core.objectives.monitors import metric_mode

    sign = -1.0 if metric_mode(metric) == "max" else 1.0
    scored = [
        (sign * s, t.number, t)
        for t in trials
        if t.status != "failed" and (s := trial_score(t, metric)) is not None
    ]
    return min(scored, key=lambda x: (x[0], x[1]))[2] if scored else None


def apply_command(project: Project, trial: Any) -> Command | None:
    """One undo step setting ``trial``'s values (``None`` when nothing would change)."""
    nodes, training = trial_changes(project, dict(trial.params))
    graph = project.graph
    per_node: dict[str, dict[str, Any]] = {}
    for node_id, name, value in nodes:
        if graph.nodes[node_id].params.get(name) != value:
            per_node.setdefault(node_id, {})[name] = value
    # one SetParams per node: each keeps the node's whole old parameters for its undo
    steps: list[Command] = [SetParams(graph, nid, values) for nid, values in per_node.items()]
    changed = {k: v for k, v in training.items() if getattr(project.training, k) != v}
    if changed:
        steps.append(SetTraining(project, **changed))
    if not steps:
        return None
    return Macro(graph, f"Apply trial {trial.number}", steps)
