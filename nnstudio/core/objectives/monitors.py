"""What early stopping can watch, and whether larger or smaller values are better."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nnstudio.core.objectives.registry import TASKS, Entry, Registry

if TYPE_CHECKING:
    from nnstudio.core.graph.model import Graph

CLS, BIN, REG, REC = "classification", "binary", "regression", "reconstruction"


@dataclass(frozen=True)
class Monitor(Entry):
    """A logged quantity; ``mode`` is ``"min"`` (losses, errors) or ``"max"`` (accuracy)."""

    mode: str = "min"


def _early_stopping(name: str, mode: str) -> Any:
    def build(**kwargs: Any) -> Any:
        import keras

        return keras.callbacks.EarlyStopping(monitor=name, mode=mode, **kwargs)

    return build


def _monitor(name: str, label: str, help: str, tasks: frozenset[str], mode: str) -> Monitor:
    return Monitor(name, label, help, tasks, build=_early_stopping(name, mode), mode=mode)


_ACC = frozenset((CLS, BIN))
_ERR = frozenset((REG, REC))

MONITORS: Registry[Monitor] = Registry(
    "monitor",
    (
        _monitor(
            "val_loss",
            "Validation loss",
            "The loss on the validation data.",
            frozenset(TASKS),
            "min",
        ),
        _monitor(
            "val_accuracy",
            "Validation accuracy",
            "The accuracy on the validation data (needs the accuracy metric).",
            _ACC,
            "max",
        ),
        _monitor(
            "loss",
            "Training loss",
            "The loss on the training data (no validation).",
            frozenset(TASKS),
            "min",
        ),
        _monitor(
            "accuracy", "Training accuracy", "The accuracy on the training data.", _ACC, "max"
        ),
        _monitor(
            "val_mae",
            "Validation MAE",
            "The mean absolute error on the validation data (needs the mae metric).",
            _ERR,
            "min",
        ),
        _monitor(
            "mae", "Training MAE", "The mean absolute error on the training data.", _ERR, "min"
        ),
    ),
)

_MAX_WORDS = ("acc", "auc", "precision", "recall", "f1", "iou", "r2")


def metric_mode(name: str) -> str:
    """Whether larger (``"max"``) or smaller (``"min"``) values of a logged metric are better:
    the monitor registry's word where it knows the name, else read from the name."""
    known = MONITORS.find(name)
    if known is not None:
        return known.mode
    base = name[4:] if name.startswith("val_") else name
    base = base.lower()
    if "loss" in base or "error" in base:
        return "min"
    return "max" if any(w in base for w in _MAX_WORDS) else "min"


def logged_names(outputs: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """What Keras logs for these outputs (``(output name, metric names)``, in order), the
    loss before the metrics: one output's metrics under their own names and, with several
    outputs, ``<output>_loss`` and ``<output>_<metric>`` besides the total ``loss``."""
    names = ["loss"]
    several = len(outputs) > 1
    for output, metrics in outputs:
        if several:
            names.append(f"{output}_loss")
        names.extend(f"{output}_{m}" if several else m for m in metrics)
    return list(dict.fromkeys(names))


def monitor_choices(
    outputs: Sequence[tuple[str, Sequence[str]]], validation: bool = True
) -> list[str]:
    """What early stopping can watch for these outputs: ``val_<name>`` first, then
    ``<name>``, for every name of :func:`logged_names`."""
    names = logged_names(outputs)
    return [*(f"val_{n}" for n in names), *names] if validation else names


def declared_outputs(graph: Graph) -> list[tuple[str, list[str]]]:
    """``(node name, metric names)`` of the outputs ``graph`` declares, in order."""
    return [
        (graph.nodes[o.node].name, list(o.metrics)) for o in graph.outputs if o.node in graph.nodes
    ]


def graph_monitor_choices(graph: Graph, validation: bool = True) -> list[str]:
    """:func:`monitor_choices` for the outputs ``graph`` declares (by node name)."""
    return monitor_choices(declared_outputs(graph), validation)


def graph_logged_names(graph: Graph) -> list[str]:
    """:func:`logged_names` for the outputs ``graph`` declares (by node name)."""
    return logged_names(declared_outputs(graph))
