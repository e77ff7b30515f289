"""What a swept name points at in a project, and a trial's values applied to a copy of it.

``node.param`` is a layer parameter, checked against the catalog's spec of that layer (its
type, bounds and choices); a name without a dot is a training setting, checked against the
training settings form and :class:`~nnstudio.core.training.config.TrainingConfig`.  Every
refusal is a :class:`~.spec.SweepError` that starts with the parameter's name.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from nnstudio.core.sweeps.spec import ParamSpec, SweepConfig, SweepError

#: the training settings a sweep may vary
SWEEPABLE_SETTINGS = (
    "optimizer",
    "learning_rate",
    "momentum",
    "nesterov",
    "weight_decay",
    "schedule",
    "step_epochs",
    "decay_factor",
    "min_learning_rate",
    "plateau_patience",
    "batch_size",
    "epochs",
    "early_stopping",
    "patience",
    "min_delta",
)


@dataclass(frozen=True)
class Target:
    """Where a swept value goes: a node's parameter (``node_id``) or a training setting."""

    name: str
    param: Any  # the catalog Param that types and bounds the value
    node_id: str | None = None

    @property
    def setting(self) -> str:
        """The parameter's own name (the layer parameter or the training setting)."""
        return str(self.param.name)


def find_target(project: Any, name: str) -> Target:
    """The target of ``name`` in ``project`` (:class:`SweepError` when there is none)."""
    from nnstudio.core.objectives.settings import BY_NAME

    node_name, dot, param_name = name.rpartition(".")
    if not dot:
        if name not in SWEEPABLE_SETTINGS or name not in BY_NAME:
            raise SweepError(
                f"{name}: not a training setting a sweep can vary "
                f"({', '.join(SWEEPABLE_SETTINGS)}); name a layer parameter as node.param"
            )
        return Target(name, BY_NAME[name].param)
    graph = project.graph
    node = graph.node_by_name(node_name)
    if node is None:
        known = ", ".join(sorted(n.name for n in graph.nodes.values()))
        raise SweepError(f"{name}: the model has no layer named {node_name!r} (layers: {known})")
    try:
        param = node.spec.param(param_name)
    except KeyError:
        known = ", ".join(p.name for p in node.spec.params)
        raise SweepError(
            f"{name}: {node.spec.display} has no parameter {param_name!r} (it has: {known})"
        ) from None
    return Target(name, param, node.id)


def check_value(project: Any, target: Target, value: Any) -> Any:
    """``value`` normalised for ``target`` (:class:`SweepError` naming the parameter)."""
    from nnstudio.core.catalog.spec import ParamError
    from nnstudio.core.training.config import ConfigError

    try:
        checked = target.param.validate(value)
    except ParamError as exc:
        raise SweepError(f"{target.name}: {exc}") from None
    if target.node_id is None:
        try:
            project.training.replace(**{target.setting: checked})
        except ConfigError as exc:
            raise SweepError(f"{target.name}: {exc}") from None
    return checked


def resolve_specs(project: Any, config: SweepConfig) -> SweepConfig:
    """``config`` with every spec checked against ``project`` and typed as its parameter
    (an integer range of a float parameter becomes a float range; choices are normalised)."""
    return config.replace(params=tuple(_resolve(project, spec) for spec in config.params))


def _resolve(project: Any, spec: ParamSpec) -> ParamSpec:
    target = find_target(project, spec.name)
    kind = target.param.kind
    if spec.kind == "choice":
        values = []
        for v in spec.choices:
            checked = check_value(project, target, v)
            values.append(v if isinstance(checked, tuple) else checked)
        return ParamSpec(spec.name, "choice", tuple(values))
    if kind not in ("int", "float"):
        allowed = target.param.choices
        hint = f": {', '.join(map(str, allowed))}" if allowed else " (a,b,c)"
        raise SweepError(f"{spec.name}: a range needs a numeric parameter; give choices{hint}")
    if kind == "int" and spec.kind == "float":
        raise SweepError(
            f"{spec.name}: {target.setting} is a whole number; write the range with whole "
            f"numbers (e.g. 16..128)"
        )
    low, high = (check_value(project, target, v) for v in (spec.low, spec.high))
    return ParamSpec(spec.name, kind, low=low, high=high, log=spec.log)


def trial_changes(
    project: Any, params: dict[str, Any]
) -> tuple[list[tuple[str, str, Any]], dict[str, Any]]:
    """A trial's values as edits of ``project``: ``(node changes, training changes)`` where
    a node change is ``(node id, parameter, value)``; every value checked (``SweepError``)."""
    nodes: list[tuple[str, str, Any]] = []
    training: dict[str, Any] = {}
    for name, value in params.items():
        target = find_target(project, name)
        checked = check_value(project, target, value)
        if target.node_id is not None:
            nodes.append((target.node_id, target.setting, checked))
        else:
            training[target.setting] = checked
    if training:
        from nnstudio.core.training.config import ConfigError

        try:
            project.training.replace(**training)
        except ConfigError as exc:
            raise SweepError(f"{exc.field}: {exc}") from None
    return nodes, training


class TrialBuilder:
    """Builds each trial's project JSON and training settings from the project once read:
    the project's JSON without its runs, the sweep's ``epochs``/``batch_size``, then the
    trial's values."""

    def __init__(self, project: Any, config: SweepConfig) -> None:
        self.project = project
        base = project.to_json()
        base["runs"] = []
        self.base = base
        training = project.training.to_json()
        for key in ("epochs", "batch_size"):
            if getattr(config, key) is not None:
                training[key] = getattr(config, key)
        self.training = training

    def build(self, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(project JSON, training config JSON)`` of a trial with ``params``."""
        from nnstudio.core.training.config import ConfigError, TrainingConfig

        nodes, training = trial_changes(self.project, params)
        project_json = dict(self.base)
        graph = copy.deepcopy(self.base["graph"])
        by_id = {n["id"]: n for n in graph["nodes"]}
        for node_id, name, value in nodes:
            by_id[node_id].setdefault("params", {})[name] = _plain(value)
        project_json["graph"] = graph
        config = {**self.training, **training}
        try:
            TrainingConfig.from_json(config)
        except ConfigError as exc:
            raise SweepError(f"{exc.field}: {exc}") from None
        project_json["training"] = config
        return project_json, config


def _plain(value: Any) -> Any:
    return [_plain(v) for v in value] if isinstance(value, tuple) else value
