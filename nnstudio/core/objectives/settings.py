"""The training settings form, described once: one :class:`Setting` per ``TrainingConfig``
field, grouped, typed with the layer catalog's :class:`Param` and labelled.

The optimizer's and the schedule's own parameters come from their registry entries, so a
setting such as ``momentum`` is shown only while the chosen optimizer takes it
(:func:`applicable`).  ``widget`` names a special editor where a plain one does not fit:
``"percent"`` (a share shown as %), ``"optional"`` (a check box that turns a whole number
on, for the seed), ``"editable"`` (a choice the user may also type), ``"device"`` (choices
known only at run time), ``"devices"`` (1, N or all, for data parallel), ``"group"`` (the check box of a group).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nnstudio.core.catalog.spec import Param
from nnstudio.core.objectives.monitors import MONITORS
from nnstudio.core.objectives.optimizers import OPTIMIZERS
from nnstudio.core.objectives.registry import Entry, Registry
from nnstudio.core.objectives.schedules import MAX_EPOCHS, SCHEDULES

MAX_BATCH = 1 << 20
GROUPS = ("Optimizer", "Run", "Early stopping")


@dataclass(frozen=True)
class Setting:
    """One field of the form: ``param.name`` is the ``TrainingConfig`` field."""

    param: Param
    label: str
    group: str
    widget: str = ""
    step: float | None = None
    decimals: int | None = None
    choice_labels: tuple[str, ...] = ()  # labels of ``param.choices``, in order


def _choice(name: str, registry: Registry[Entry], default: str, help: str) -> Param:
    return Param(name, "choice", default, help, choices=registry.names())


def _registry_params(registry: Registry[Entry], group: str) -> list[Setting]:
    labels = {
        "momentum": "Momentum",
        "nesterov": "Nesterov momentum",
        "weight_decay": "Weight decay",
        "step_epochs": "Step every (epochs)",
        "decay_factor": "Decay factor",
        "plateau_patience": "Plateau patience",
        "min_learning_rate": "Minimum rate",
    }
    decimals = {"momentum": 3, "weight_decay": 4, "decay_factor": 2, "min_learning_rate": 7}
    steps = {
        "momentum": 0.05,
        "weight_decay": 0.001,
        "decay_factor": 0.05,
        "min_learning_rate": 1e-6,
    }
    seen: dict[str, Setting] = {}
    for entry in registry:
        for p in entry.params:
            seen.setdefault(
                p.name,
                Setting(
                    p,
                    labels.get(p.name, p.name),
                    group,
                    step=steps.get(p.name),
                    decimals=decimals.get(p.name),
                ),
            )
    return list(seen.values())


def _optimizer_settings(opt: str) -> list[Setting]:
    out: list[Setting] = [
        Setting(
            _choice("optimizer", OPTIMIZERS, "adam", "How the weights follow the gradient."),
            "Optimizer",
            opt,
            choice_labels=tuple(OPTIMIZERS.labels().values()),
        ),
        Setting(
            Param("learning_rate", "float", 1e-3, "The size of each optimizer step.", 1e-6, 10.0),
            "Learning rate",
            opt,
            step=1e-4,
            decimals=6,
        ),
    ]
    out += [s for s in _registry_params(OPTIMIZERS, opt)]
    out.append(
        Setting(
            _choice(
                "schedule", SCHEDULES, "constant", "How the learning rate changes during the run."
            ),
            "Schedule",
            opt,
            choice_labels=tuple(SCHEDULES.labels().values()),
        )
    )
    out += _registry_params(SCHEDULES, opt)
    return out


def _run_settings(run: str) -> list[Setting]:
    return [
        Setting(
            Param("batch_size", "int", 32, "Samples per optimizer step.", 1, 65536),
            "Batch size",
            run,
        ),
        Setting(
            Param("epochs", "int", 10, "Passes over the training data.", 1, MAX_EPOCHS),
            "Epochs",
            run,
        ),
        Setting(
            Param(
                "finetune_epochs",
                "int",
                0,
                "With a pretrained backbone: train in two phases, the head first (backbone "
                "frozen), then fine-tune the backbone for this many of the epochs at the "
                "fine-tune rate (0: one phase, as the node's trainable setting says).",
                0,
                MAX_EPOCHS,
            ),
            "Fine-tune epochs",
            run,
        ),
        Setting(
            Param(
                "finetune_learning_rate",
                "float",
                1e-5,
                "The learning rate of the fine-tuning phase (low, so that the pretrained "
                "features are kept); the model is recompiled with it.",
                1e-8,
                10.0,
            ),
            "Fine-tune rate",
            run,
            step=1e-5,
            decimals=7,
        ),
        Setting(
            Param("validation", "bool", True, "Measure the validation data after every epoch."),
            "Validate after every epoch",
            run,
        ),
        Setting(
            Param(
                "class_weight",
                "choice",
                "none",
                "Weigh rare classes up so each class counts the same in the loss.",
                choices=("none", "balanced"),
            ),
            "Class weights",
            run,
            choice_labels=("None", "Balanced (inverse frequency)"),
        ),
        Setting(
            Param(
                "seed",
                "int",
                42,
                "A fixed seed makes runs repeatable.",
                0,
                2**31 - 1,
                nullable=True,
            ),
            "Seed",
            run,
            widget="optional",
        ),
        Setting(
            Param("device", "str", "auto", "Where the run computes."),
            "Device",
            run,
            widget="device",
        ),
        Setting(
            Param(
                "devices",
                "str",
                1,
                "Train on several devices of the chosen kind in data parallel: each gets "
                "an equal share of every batch (the batch size must split evenly).",
            ),
            "Devices",
            run,
            widget="devices",
        ),
        Setting(
            Param(
                "mixed_precision",
                "bool",
                False,
                "Compute in bfloat16 (Ampere or later GPUs, TPUs, CPUs) or float16 with loss "
                "scaling (Volta, Turing); weights and outputs stay float32.",
            ),
            "Mixed precision",
            run,
        ),
        Setting(
            Param(
                "probe_budget",
                "float",
                0.05,
                "The share of training time the live activation views may take (0 turns them off).",
                0.0,
                0.5,
            ),
            "Live activations",
            run,
            widget="percent",
        ),
        Setting(
            Param(
                "tensorboard",
                "bool",
                True,
                "Also write TensorBoard logs (scalars, weight histograms, the graph) into "
                "the run folder, for `tensorboard --logdir`.",
            ),
            "TensorBoard logs",
            run,
        ),
    ]


def _early_settings(early: str) -> list[Setting]:
    return [
        Setting(
            Param("early_stopping", "bool", False, "Stop when the watched value stops improving."),
            "Early stopping",
            early,
            widget="group",
        ),
        Setting(
            Param(
                "monitor",
                "choice",
                "val_loss",
                "The logged value to watch; any logged name may be typed.",
                choices=MONITORS.names(),
            ),
            "Watch",
            early,
            widget="editable",
        ),
        Setting(
            Param("patience", "int", 5, "Epochs without improvement before stopping.", 0, 10000),
            "Patience (epochs)",
            early,
        ),
        Setting(
            Param(
                "min_delta",
                "float",
                0.0,
                "The smallest change that counts as an improvement.",
                0.0,
                1e6,
            ),
            "Minimum change",
            early,
            step=0.001,
            decimals=4,
        ),
        Setting(
            Param(
                "restore_best",
                "bool",
                True,
                "At the end, go back to the weights of the best epoch.",
            ),
            "Keep the best epoch's weights",
            early,
        ),
    ]


def _build() -> tuple[Setting, ...]:
    opt, run, early = GROUPS
    return (*_optimizer_settings(opt), *_run_settings(run), *_early_settings(early))


SETTINGS: tuple[Setting, ...] = _build()
BY_NAME: dict[str, Setting] = {s.param.name: s for s in SETTINGS}


def applicable(values: Mapping[str, Any]) -> set[str]:
    """The settings that apply to ``values`` (a ``TrainingConfig`` as a mapping): every one
    except the optimizer and schedule parameters the chosen entries do not take."""
    opt = OPTIMIZERS.find(str(values.get("optimizer", "")))
    sched = SCHEDULES.find(str(values.get("schedule", "")))
    own = set((opt.param_names() if opt else ()) + (sched.param_names() if sched else ()))
    conditional = {p.name for r in (OPTIMIZERS, SCHEDULES) for e in r for p in e.params}
    return {
        s.param.name for s in SETTINGS if s.param.name not in conditional or s.param.name in own
    }
