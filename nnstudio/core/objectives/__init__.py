"""Registries of what a run is built from by name: losses, metrics, optimizers,
learning-rate schedules and early-stopping monitors, plus the training settings form and
the default loss rule.  Like the layer catalog: one entry per thing, with its label, help,
typed parameters and the tasks it suits.  Importing this package does not import Keras."""

from nnstudio.core.objectives.defaults import default_loss_and_metrics, loss_suits, output_task
from nnstudio.core.objectives.losses import LOSSES, loss_kind, loss_tasks, short_loss
from nnstudio.core.objectives.metrics import METRICS
from nnstudio.core.objectives.monitors import (
    MONITORS,
    Monitor,
    graph_monitor_choices,
    metric_mode,
    monitor_choices,
)
from nnstudio.core.objectives.optimizers import OPTIMIZERS, keras_optimizer_class
from nnstudio.core.objectives.registry import TASKS, Entry, Registry
from nnstudio.core.objectives.schedules import SCHEDULES

REGISTRIES: tuple[Registry, ...] = (LOSSES, METRICS, OPTIMIZERS, SCHEDULES, MONITORS)

__all__ = [
    "LOSSES",
    "METRICS",
    "MONITORS",
    "OPTIMIZERS",
    "REGISTRIES",
    "SCHEDULES",
    "TASKS",
    "Entry",
    "Monitor",
    "Registry",
    "default_loss_and_metrics",
    "graph_monitor_choices",
    "keras_optimizer_class",
    "loss_suits",
    "loss_kind",
    "loss_tasks",
    "metric_mode",
    "monitor_choices",
    "output_task",
    "short_loss",
]
