"""The run: ``run_training(model, data, config, state) -> RunResult``, a plain function.

It trains a compiled Keras model with ``fit`` and :class:`~.callbacks.RunCallback`, on the
device the config names, and always returns: a user stop, NaN/Inf, out-of-memory and any
exception become a :class:`RunResult` with a status and a located message, the traceback
goes to the ``nnstudio.training`` log, and the model keeps the weights of the last completed
epoch (or the best one, with early stopping and ``restore_best``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from nnstudio.core.backend import sync_weights
from nnstudio.core.data.classes import balanced_class_weight
from nnstudio.core.training.config import TrainingConfig
from nnstudio.core.training.data import TrainingData
from nnstudio.core.training.devices import Device, device_scope, resolve_device
from nnstudio.core.training.failures import (
    clean,
    layer_from_traceback,
    locate_layer,
    plain_cause,
)
from nnstudio.core.training.history import History
from nnstudio.core.training.runs import RunStatus
from nnstudio.core.training.state import RunState

log = logging.getLogger("nnstudio.training")

COMPLETED, STOPPED, FAILED, DIVERGED = (
    RunStatus.COMPLETED,
    RunStatus.STOPPED,
    RunStatus.FAILED,
    RunStatus.DIVERGED,
)


@dataclass
class RunResult:
    """How a run ended and what it produced (``model`` holds the kept weights)."""

    status: str
    message: str
    history: History
    model: Any = None
    best_epoch: int | None = None
    kept: str = "last"  # "last" completed epoch, "best" epoch, or "initial" weights
    early_stopped: bool = False
    location: str | None = None  # "epoch 2, batch 14", a layer, or "data"
    error: str | None = None
    traceback: str | None = None
    elapsed: float = 0.0
    device: str = "cpu"
    backend: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def epochs_completed(self) -> int:
        """Number of epochs that ran to their end."""
        return self.history.epochs

    @property
    def ok(self) -> bool:
        """True when the run completed (early stopping included)."""
        return self.status == COMPLETED

    def final(self) -> dict[str, float]:
        """The last completed epoch's value of every logged column."""
        return self.history.final()

    def best(self) -> dict[str, float]:
        """The best value of every logged metric."""
        return self.history.best()

    def metrics_json(self) -> dict[str, Any]:
        """``metrics.json``: final and best values under Keras' names, epochs completed."""
        return {
            "status": str(self.status),
            "epochs_completed": self.epochs_completed,
            "final": self.final(),
            "best": self.best(),
            "best_epoch": (self.best_epoch + 1 if self.best_epoch is not None else None),
            "kept_weights": self.kept,
            "message": self.message,
            "backend": self.backend,
            "device": self.device,
        }


def prepare_model(
    graph: Any,
    config: TrainingConfig,
    data: TrainingData | None = None,
    device: Device | None = None,
    precision: str | None = None,
) -> Any:
    """Build and compile the model of ``graph`` for ``config``: seeded initial weights, the
    configured optimizer and schedule, the losses and metrics of the declared outputs, mixed
    precision as :mod:`~nnstudio.core.training.precision` decides for the device
    (``precision`` overrides the config's).  Raises ``CompileError`` for a broken graph."""
    import keras

    from nnstudio.core.compiler import build_model, compile_model
    from nnstudio.core.training import precision as mp
    from nnstudio.core.training.optimizers import make_optimizer

    device = device or resolve_device(config.device)
    steps = data.steps_per_epoch(config.batch_size) if data is not None else None
    policy = keras.config.dtype_policy()
    chosen, _ = mp.choose_policy(precision or mp.config_precision(config), device)
    try:
        keras.config.set_dtype_policy(chosen)
        with device_scope(device):
            model = build_model(graph, seed=config.seed)
            if chosen != mp.FLOAT32:
                mp.keep_outputs_float32(model)
            optimizer = mp.wrap_optimizer(make_optimizer(config, steps), chosen)
            compile_model(model, graph, optimizer)
    finally:
        keras.config.set_dtype_policy(policy)
    return model


def run_training(
    model: Any,
    data: TrainingData,
    config: TrainingConfig,
    state: RunState | None = None,
    *,
    callbacks: Sequence[Any] = (),
    device: Device | None = None,
    log_dir: str | os.PathLike[str] | None = None,
    before: Sequence[Any] = (),
) -> RunResult:
    """Train ``model`` (compiled) on ``data`` as ``config`` says, reporting to ``state``.

    With ``log_dir`` and ``config.tensorboard``, TensorBoard logs go there (kept however
    the run ends).  ``before``: callbacks that run ahead of the run's own (a value they add
    to an epoch's logs is recorded).  Never raises for a problem of the run itself; see the
    module docstring.
    """
    import keras

    state = state or RunState(keep_events=False)
    end = _Finish(model, config, state, keras.backend.backend())
    try:
        device = device or resolve_device(config.device)
        class_weight, problem = _check_ready(model, data, config)
    except ValueError as exc:
        return end(FAILED, str(exc), History(), error=str(exc), kept="initial", device=device)
    if problem:
        return end(
            FAILED,
            f"{problem}. Fix or drop those values and train again.",
            History(),
            location="data",
            error=problem,
            kept="initial",
            device=device,
        )
    notes = _start(config, device, state, model)
    cb = _run_callback(model, data, config, state)
    tb = _tensorboard(log_dir, config, state)
    try:
        status, message, kw = _fit(
            model, data, config, [cb, *tb], [*callbacks], device, class_weight, [*before]
        )
    finally:
        for logger in tb:
            logger.close()
    kept = _restore_weights(model, cb, config)
    if status != COMPLETED and kept == "initial" and cb.history.epochs == 0:
        message += " No epoch was completed; the model keeps its initial weights."
    return end(
        status,
        message,
        cb.history,
        best_epoch=cb.best_epoch,
        kept=kept,
        notes=notes,
        device=device,
        **kw,
    )


class _Finish:
    """Builds the :class:`RunResult` and reports the ``end`` event."""

    def __init__(self, model: Any, config: TrainingConfig, state: RunState, backend: str) -> None:
        self.model, self.config, self.state, self.backend = model, config, state, backend
        self.started = time.perf_counter()

    def __call__(
        self, status: str, message: str, history: History, device: Device | None, **kw: Any
    ) -> RunResult:
        result = RunResult(
            status,
            message,
            history,
            self.model,
            backend=self.backend,
            elapsed=time.perf_counter() - self.started,
            device=device.id if device else self.config.device,
            **kw,
        )
        self.state.emit(
            {
                "type": "end",
                "status": str(status),
                "message": message,
                "epochs_completed": result.epochs_completed,
                "elapsed": result.elapsed,
            }
        )
        return result


def _check_ready(
    model: Any, data: TrainingData, config: TrainingConfig
) -> tuple[dict[int, float] | None, str | None]:
    """The class weights, or the data's problem; ``ValueError`` for an unusable setup."""
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise ValueError("the model must be compiled before training")
    problem = data.check_finite()
    if problem:
        return None, problem
    return _class_weight(config, data, model), None


def _start(config: TrainingConfig, device: Device, state: RunState, model: Any) -> list[str]:
    """Log what the run cannot honour, seed it; returns the notes for the result."""
    import keras

    from nnstudio.core.training.precision import choose_policy, config_precision

    notes = []
    policy = getattr(getattr(model, "dtype_policy", None), "name", "float32")
    if config.mixed_precision or policy != "float32":
        chosen, note = choose_policy(config_precision(config), device)
        note = note if chosen == policy else None
        notes.append(note or f"mixed precision: computing in {policy.removeprefix('mixed_')}")
    for note in notes:
        state.emit({"type": "log", "level": "info", "text": note})
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    return notes


def _run_callback(model: Any, data: TrainingData, config: TrainingConfig, state: RunState) -> Any:
    """The run's :class:`~.callbacks.RunCallback`, with the activation probe when it can."""
    from nnstudio.core.training.callbacks import RunCallback
    from nnstudio.core.training.probes import ActivationProbe

    probe_pair = data.probe_batch() if config.probe_budget > 0 else None
    probe = None
    if probe_pair is not None:
        try:
            probe = ActivationProbe(model, probe_pair[0], config.probe_budget)
        except Exception as exc:  # noqa: BLE001 - a probe must never stop a run
            log.warning("activation probes are off for this run: %s", exc)
    return RunCallback(
        state,
        config,
        batch_size=data.batch_size or config.batch_size,
        num_samples=data.num_train,
        has_validation=data.has_validation and config.validation,
        probe=probe,
        probe_y=probe_pair[1] if probe_pair is not None else None,
    )


def _tensorboard(
    log_dir: str | os.PathLike[str] | None, config: TrainingConfig, state: RunState
) -> list[Any]:
    """The run's TensorBoard logger, when it has a folder and the setting is on."""
    if log_dir is None or not config.tensorboard:
        return []
    try:
        from nnstudio.core.training.tensorboard_callback import BATCH_BUDGET, TensorBoardLogger
    except ImportError as exc:
        text = f"TensorBoard logs are off for this run: {exc}"
        log.warning("%s", text)
        state.emit({"type": "log", "level": "warning", "text": text})
        return []
    return [TensorBoardLogger(log_dir, state, batch_budget=BATCH_BUDGET)]


def _fit(
    model: Any,
    data: TrainingData,
    config: TrainingConfig,
    own: list[Any],
    callbacks: list[Any],
    device: Device,
    class_weight: dict[int, float] | None,
    before: list[Any] | None = None,
) -> tuple[str, str, dict[str, Any]]:
    """Run ``fit`` with the run's own callbacks (its RunCallback first), the plateau
    callback, then the caller's; how it ended: ``(status, message, RunResult fields)``."""
    from nnstudio.core.backbones import finetune
    from nnstudio.core.training.callbacks import StopRun
    from nnstudio.core.training.optimizers import plateau_callback
    from nnstudio.core.training.watch import Diverged

    cb = own[0]
    state = cb.state
    extra = [c for c in [plateau_callback(config, cb.has_validation)] if c is not None]
    # the run's own callbacks come before the plateau callback, so that TensorBoard logs
    # the learning rate an epoch trained with
    fit_kwargs = data.fit_kwargs(config.batch_size, config.validation, config.shuffle)
    try:
        with device_scope(device), _unfiltered_tracebacks():
            finetune.fit(  # one fit, or two phases with a pretrained backbone
                model,
                config,
                callbacks=[*(before or []), *own, *extra, *callbacks],
                verbose=0,
                class_weight=class_weight,
                **fit_kwargs,
            )
        if cb.early_stopped_epoch is not None:
            return (
                COMPLETED,
                f"early stopping after epoch {cb.early_stopped_epoch + 1}",
                {"early_stopped": True},
            )
        if state.stop_requested and cb.history.epochs < config.epochs:
            return (STOPPED, _stopped_message(state, cb), {})
        return (COMPLETED, f"completed {cb.history.epochs} epochs", {})
    except StopRun:
        return (STOPPED, _stopped_message(state, cb), {})
    except Diverged as exc:
        return (DIVERGED, str(exc), {"location": _where(cb), "error": str(exc)})
    except Exception as exc:  # noqa: BLE001 - every failure becomes a located message
        return _failure(exc, cb, model, config)
    finally:
        sync_weights(model)  # a raise out of fit on jax leaves the variables emptied
        _forget_cached_validation(model)


def _restore_weights(model: Any, cb: Any, config: TrainingConfig) -> str:
    """Put the kept weights back into ``model``; say which ones they are."""
    keeper = cb.keeper
    if keeper is None:  # fit never began
        return "initial"
    if config.early_stopping and config.restore_best and cb.best_weights is not None:
        keeper.restore(cb.best_weights)
        return "best"
    if cb.last_weights is not None and not cb.model_holds_last_weights:
        keeper.restore(cb.last_weights)
    return "last" if cb.history.epochs else "initial"


def _class_weight(
    config: TrainingConfig, data: TrainingData, model: Any
) -> dict[int, float] | None:
    cw = config.class_weight
    if cw == "none":
        return None
    if len(model.outputs) != 1:
        raise ValueError("class weights work for a model with one output only")
    if data.task != "classification":
        raise ValueError("class weights need a classification task")
    if isinstance(cw, dict):
        return {int(k): float(v) for k, v in cw.items()}
    counts = data.counts()
    if not counts:
        raise ValueError("balanced class weights need the class labels of the training data")
    return balanced_class_weight(counts)


def _where(cb: Any) -> str:
    """Where the run was, as a phrase: "at epoch 2, batch 14", "before the first batch"."""
    if cb.phase == "setup":
        return "before the first batch"
    if cb.phase == "validation":
        return f"during the validation of epoch {cb.epoch + 1}"
    return f"at epoch {cb.epoch + 1}, batch {max(cb.batch, 0) + 1}"


def _stopped_message(state: RunState, cb: Any) -> str:
    done = cb.history.epochs
    reason = state.stop_reason or "stopped"
    reason = reason[0].upper() + reason[1:]
    if not done:
        return f"{reason} {_where(cb)}, before the first epoch finished"
    kept = f"epoch {done}"
    if cb.config.early_stopping and cb.config.restore_best and cb.best_epoch is not None:
        kept = f"the best epoch ({cb.best_epoch + 1})"
    return (
        f"{reason} {_where(cb)}; keeping the weights of {kept} (the unfinished epoch is "
        "not recorded)"
    )


_OOM = re.compile(r"out of memory|\bOOM\b|ResourceExhausted|failed to allocate", re.I)


def _failure(
    exc: BaseException, cb: Any, model: Any, config: TrainingConfig
) -> tuple[str, str, dict[str, Any]]:
    where = _where(cb)
    text = str(exc).strip() or type(exc).__name__
    tb = "".join(traceback.format_exception(exc))
    log.error("training failed %s:\n%s", where, tb)
    if isinstance(exc, MemoryError) or _OOM.search(f"{type(exc).__name__} {text}"):
        smaller = max(1, config.batch_size // 2)
        message = (
            f"Out of memory {where} with batch size {config.batch_size}. "
            f"Try a smaller batch size (e.g. {smaller}) or a smaller model."
        )
        return FAILED, message, {"location": where, "error": text, "traceback": tb}
    layer = layer_from_traceback(exc, model) or locate_layer(text, model)
    at = f"{where}, in layer '{layer}'" if layer else where
    cause = plain_cause(exc, text)
    message = f"Training failed {at}: {cause}"
    return FAILED, message, {"location": at, "error": clean(text), "traceback": tb}


@contextlib.contextmanager
def _unfiltered_tracebacks() -> Iterator[None]:
    """Keras keeps its own frames out of tracebacks; the run needs them to tell which layer
    failed (the setting is per thread)."""
    from keras.src.utils import traceback_utils

    was = traceback_utils.is_traceback_filtering_enabled()
    traceback_utils.disable_traceback_filtering()
    try:
        yield
    finally:
        if was:
            traceback_utils.enable_traceback_filtering()


def _forget_cached_validation(model: Any) -> None:
    """``fit`` caches its validation iterator and drops it only when it returns normally;
    after a raise it would serve the next ``fit`` stale data."""
    if getattr(model, "_eval_epoch_iterator", None) is not None:
        model._eval_epoch_iterator = None
