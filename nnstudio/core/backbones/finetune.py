"""Freeze and fine-tune: the backbones inside a compiled model, and the two-phase run.

A two-phase run (``TrainingConfig.finetune_epochs > 0`` and a backbone in the model) is one
run of the training job in two ``fit`` calls: first the head trains with every backbone
frozen, then the backbones are unfrozen (all of them, or from the node's ``unfreeze_from``
stage) and the model is recompiled with ``finetune_learning_rate`` for the last
``finetune_epochs`` epochs; the second ``fit`` continues the history with ``initial_epoch``.
Trainability only takes effect after a recompile, so both phases recompile.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

from nnstudio.core.backbones.architectures import get
from nnstudio.core.backbones.build import APP_ATTR, app_of, apply_trainable

log = logging.getLogger(__name__)


def backbones(model: Any) -> list[tuple[Any, Any, dict[str, Any]]]:
    """``(node layer, application, node params)`` of every backbone node in ``model``."""
    out = []
    for layer in getattr(model, "layers", []):
        app = app_of(layer)
        if app is not None:
            out.append((layer, app, dict(getattr(layer, APP_ATTR))))
    return out


def is_two_phase(model: Any, config: Any) -> bool:
    """Whether ``config`` asks for a two-phase run and ``model`` has a backbone to tune."""
    epochs = int(getattr(config, "finetune_epochs", 0) or 0)
    return 0 < epochs < int(config.epochs) and bool(backbones(model))


def freeze_all(model: Any) -> None:
    """Every backbone of ``model`` frozen (phase one)."""
    for _, app, _ in backbones(model):
        app.trainable = False


def unfreeze(model: Any) -> None:
    """Every backbone trainable as its node says (``frozen`` nodes: all layers)."""
    for _, app, params in backbones(model):
        mode = params["trainable"] if params["trainable"] != "frozen" else "all"
        arch = get(params["architecture"])
        apply_trainable(app, arch, mode, int(params["unfreeze_from"]), params["batchnorm"])


def recompile(model: Any, learning_rate: float | None = None) -> None:
    """Compile ``model`` again with its own losses and metrics and a fresh optimizer of the
    same kind (at ``learning_rate`` when given: a schedule is replaced by that constant)."""
    cfg = copy.deepcopy(model.get_compile_config())
    if learning_rate is not None:
        opt = cfg.get("optimizer")
        if isinstance(opt, Mapping):
            inner = opt.get("config", {})
            if "inner_optimizer" in inner:  # mixed precision's LossScaleOptimizer
                inner = inner["inner_optimizer"].get("config", {})
            inner["learning_rate"] = float(learning_rate)
    model.compile_from_config(cfg)


class _Continuing:
    """Passes a run's events through, turning the second phase's ``start`` into a log line
    (the views would otherwise begin a new run)."""

    def __init__(self, state: Any, text: str) -> None:
        self._state, self._text = state, text

    def emit(self, event: Mapping[str, Any]) -> None:
        if event.get("type") == "start":
            self._state.emit({"type": "log", "level": "info", "text": self._text})
            return
        self._state.emit(event)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._state, name)


def fit(model: Any, config: Any, **kwargs: Any) -> Any:
    """``model.fit`` for ``config.epochs``, in two phases when :func:`is_two_phase`."""
    if not is_two_phase(model, config):
        return model.fit(epochs=config.epochs, **kwargs)
    head = int(config.epochs) - int(config.finetune_epochs)
    freeze_all(model)
    recompile(model)
    model.fit(epochs=head, **kwargs)
    run_cb = next((c for c in kwargs.get("callbacks", []) if hasattr(c, "state")), None)
    state = getattr(run_cb, "state", None)
    if model.stop_training or getattr(state, "stop_requested", False):
        return None
    if run_cb is not None and getattr(run_cb, "early_stopped_epoch", None) is not None:
        return None
    unfreeze(model)
    recompile(model, float(config.finetune_learning_rate))
    text = (
        f"fine-tuning the backbone for {config.finetune_epochs} epochs at learning rate "
        f"{config.finetune_learning_rate:g} (the model was recompiled)"
    )
    log.info("%s", text)
    if run_cb is not None:
        run_cb.state = _Continuing(state, text)
    try:
        return model.fit(epochs=int(config.epochs), initial_epoch=head, **kwargs)
    finally:
        if run_cb is not None:
            run_cb.state = state
