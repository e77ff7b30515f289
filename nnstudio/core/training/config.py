"""TrainingConfig: how a run trains, as stored under ``Project.training``.

Losses and metrics are not here: they belong to each declared output of the graph
(:class:`nnstudio.core.graph.model.OutputDecl`), edited by ``SetOutput`` commands, so the
model and its file have one source of truth.  :func:`suggest_loss_and_metrics` gives the
defaults that fit a data set (the rule lives in :mod:`nnstudio.core.objectives`, which also
names the optimizers and schedules checked here).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from nnstudio.core.objectives import OPTIMIZERS as OPTIMIZER_REGISTRY
from nnstudio.core.objectives import SCHEDULES as SCHEDULE_REGISTRY
from nnstudio.core.objectives import default_loss_and_metrics
from nnstudio.core.objectives import metric_mode as metric_mode
from nnstudio.core.objectives.schedules import MAX_EPOCHS
from nnstudio.core.objectives.settings import MAX_BATCH
from nnstudio.core.setting_checks import ConfigError as ConfigError
from nnstudio.core.setting_checks import check_number, check_whole

OPTIMIZERS: dict[str, str] = OPTIMIZER_REGISTRY.labels()
SCHEDULES: dict[str, str] = SCHEDULE_REGISTRY.labels()
CLASS_WEIGHTS = ("none", "balanced")


@dataclass
class TrainingConfig:
    """Every setting of a training run (see the module docstring for losses and metrics).

    ``device`` is ``"auto"`` (a GPU if there is one), ``"cpu"`` or ``"gpu:N"``; ``devices``
    is how many of that kind train in data parallel (1, N or ``"all"``, see
    :mod:`nnstudio.core.training.distribute`).
    ``class_weight`` is ``"none"``, ``"balanced"`` or a mapping ``{class index: weight}``.
    ``probe_budget`` is the share of training time the live activation probes may take
    (0 turns them off).  ``tensorboard`` writes TensorBoard event files into the run folder
    (a file without the key reads as on).  ``finetune_epochs > 0`` makes a model with a
    pretrained backbone train in two phases: the head first (backbone frozen), then the last
    ``finetune_epochs`` epochs fine-tune the backbone at ``finetune_learning_rate``
    (:mod:`nnstudio.core.backbones.finetune`).  Unknown keys read from a file survive in
    ``extra``.
    """

    optimizer: str = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.004
    schedule: str = "constant"
    step_epochs: int = 10
    decay_factor: float = 0.5
    plateau_patience: int = 3
    min_learning_rate: float = 1e-6
    batch_size: int = 32
    epochs: int = 10
    validation: bool = True
    shuffle: bool = True
    early_stopping: bool = False
    monitor: str = "val_loss"
    patience: int = 5
    min_delta: float = 0.0
    restore_best: bool = True
    class_weight: str | dict[str, float] = "none"
    seed: int | None = 42
    device: str = "auto"
    devices: int | str = 1
    mixed_precision: bool = False
    probe_budget: float = 0.05
    tensorboard: bool = True
    gan: Any = None  # a GanConfig (nnstudio.core.gan.config) for a GAN project, else None
    finetune_epochs: int = 0
    finetune_learning_rate: float = 1e-5
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    # -- checks -----------------------------------------------------------------------
    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first setting that cannot be used."""
        _choice("optimizer", self.optimizer, tuple(OPTIMIZERS))
        _choice("schedule", self.schedule, tuple(SCHEDULES))
        check_number("learning_rate", self.learning_rate, 0.0, 10.0, low_open=True)
        check_number("momentum", self.momentum, 0.0, 1.0, high_open=True)
        _flag("nesterov", self.nesterov)
        check_number("weight_decay", self.weight_decay, 0.0, 1.0)
        check_whole("step_epochs", self.step_epochs, 1, MAX_EPOCHS)
        check_number("decay_factor", self.decay_factor, 0.0, 1.0, low_open=True, high_open=True)
        check_whole("plateau_patience", self.plateau_patience, 0, MAX_EPOCHS)
        check_number("min_learning_rate", self.min_learning_rate, 0.0, 10.0)
        check_whole("batch_size", self.batch_size, 1, MAX_BATCH)
        check_whole("epochs", self.epochs, 1, MAX_EPOCHS)
        _flag("validation", self.validation)
        _flag("shuffle", self.shuffle)
        _flag("early_stopping", self.early_stopping)
        if not isinstance(self.monitor, str) or not self.monitor:
            raise ConfigError("monitor", "name the metric to watch, e.g. val_loss")
        check_whole("patience", self.patience, 0, MAX_EPOCHS)
        check_number("min_delta", self.min_delta, 0.0, math.inf)
        _flag("restore_best", self.restore_best)
        cw = self.class_weight
        if isinstance(cw, dict):
            for key, value in cw.items():
                if not isinstance(key, str) or not key.lstrip("-").isdigit() or int(key) < 0:
                    raise ConfigError(
                        "class_weight", f"keys are class indices (0, 1, ...), got {key!r}"
                    )
                check_number(f"class_weight[{key}]", value, 0.0, math.inf)
        elif cw not in CLASS_WEIGHTS:
            raise ConfigError(
                "class_weight", f"none, balanced or {{class index: weight}}; got {cw!r}"
            )
        if self.seed is not None:
            check_whole("seed", self.seed, 0, 2**32 - 1)
        if not isinstance(self.device, str) or not _device_ok(self.device):
            raise ConfigError("device", f"auto, cpu or gpu:N; got {self.device!r}")
        d = self.devices
        if d != "all" and (isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 4096):
            raise ConfigError("devices", f"all or a whole number from 1 to 4096; got {d!r}")
        _flag("mixed_precision", self.mixed_precision)
        check_number("probe_budget", self.probe_budget, 0.0, 0.5)
        _flag("tensorboard", self.tensorboard)
        if self.gan is not None:
            from nnstudio.core.gan.config import GanConfig

            if isinstance(self.gan, dict):
                self.gan = GanConfig.from_json(self.gan)
            if not isinstance(self.gan, GanConfig):
                raise ConfigError("gan", "GAN settings or null")
        check_whole("finetune_epochs", self.finetune_epochs, 0, MAX_EPOCHS)
        if 0 < self.finetune_epochs >= self.epochs:
            raise ConfigError("finetune_epochs", "fewer than epochs (the head trains first)")
        check_number(
            "finetune_learning_rate", self.finetune_learning_rate, 0.0, 10.0, low_open=True
        )
        if not isinstance(self.extra, dict):
            raise ConfigError("extra", "must be an object")

    # -- JSON -------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (unknown keys read earlier are written back)."""
        out: dict[str, Any] = dict(self.extra)
        for f in dataclasses.fields(self):
            if f.name == "gan":
                if self.gan is not None:  # written only for a GAN: older files stay as they are
                    out["gan"] = self.gan.to_json()
            elif f.name != "extra":
                value = getattr(self, f.name)
                out[f.name] = dict(value) if isinstance(value, dict) else value
        return out

    @classmethod
    def from_json(cls, data: Any) -> TrainingConfig:
        """Read :meth:`to_json` output; missing keys take defaults; bad values raise
        :class:`ConfigError`."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ConfigError("", f"expected an object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        kwargs = {k: v for k, v in data.items() if k in known}
        extra = {k: v for k, v in data.items() if k not in known}
        if isinstance(kwargs.get("class_weight"), dict):
            kwargs["class_weight"] = {str(k): v for k, v in kwargs["class_weight"].items()}
        return cls(**kwargs, extra=extra)

    def replace(self, **changes: Any) -> TrainingConfig:
        """A checked copy with some settings changed."""
        return dataclasses.replace(self, **changes)

    @property
    def monitor_mode(self) -> str:
        """``"max"`` for accuracy-like monitors, ``"min"`` for losses and errors."""
        return metric_mode(self.monitor)


def suggest_loss_and_metrics(
    task: str, num_outputs: int = 1, one_hot: bool = False
) -> tuple[str, list[str]]:
    """The loss and metrics that suit a data set: accuracy for classification, MAE for
    regression and reconstruction.  ``num_outputs`` is the number of output units: 1 for a
    binary (sigmoid) classifier, the number of classes otherwise (see
    :func:`nnstudio.core.objectives.default_loss_and_metrics`)."""
    return default_loss_and_metrics(task, num_outputs, one_hot)


def _device_ok(device: str) -> bool:
    if device in ("auto", "cpu"):
        return True
    kind, _, index = device.partition(":")
    return kind == "gpu" and index.isdigit()


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(name, f"one of {', '.join(allowed)}; got {value!r}")


def _flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ConfigError(name, f"true or false; got {value!r}")
