"""The Keras callback that reports a run, stops it within one batch and keeps good weights.

Why not ``model.stop_training``: Keras checks it only after a batch and then still runs the
whole validation pass and ``on_epoch_end`` of the broken epoch, so checkpointing callbacks
record a partial epoch as complete (FACTS.md).  Here a stop raises :class:`StopRun` from the
batch hook, which leaves ``fit`` at once; the epochs recorded are exactly those whose
``on_epoch_end`` ran, and the run restores the weights of the last of them (or the best one,
with early stopping).  Pause waits on the RunState's condition inside the batch hook.

Events reported (all plain data): ``start``, ``batch``, ``epoch``, ``probe``, ``weights``,
``paused``, ``resumed``, ``log``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np

from nnstudio.core.backend import sync_weights
from nnstudio.core.training.config import TrainingConfig, metric_mode
from nnstudio.core.training.history import History
from nnstudio.core.training.optimizers import current_learning_rate
from nnstudio.core.training.probes import ActivationProbe, gradient_norms, weight_stats
from nnstudio.core.training.state import RunState
from nnstudio.core.training.watch import NanWatch, Snapshot, WeightKeeper

log = logging.getLogger("nnstudio.training")

LR_INTERVAL = 0.1  # seconds between learning-rate reads (a device read per call)
RATE_WINDOW = 0.25  # seconds of training steps over which throughput is measured


class StopRun(Exception):
    """Raised inside ``fit`` to leave it at once (a user stop)."""


class RunCallback(keras.callbacks.Callback):
    """Reporting, cooperative stop/pause, NaN watch, probes, early stopping, kept weights.

    After ``fit`` (returned or raised), :attr:`history` holds the completed epochs only,
    :attr:`last_weights` the weights at the end of the last of them (the initial weights if
    none), and :attr:`best_weights` those of the best epoch when early stopping restores it.
    """

    def __init__(
        self,
        state: RunState,
        config: TrainingConfig,
        *,
        batch_size: int | None,
        num_samples: int | None,
        has_validation: bool,
        probe: ActivationProbe | None = None,
        probe_y: Any = None,
    ) -> None:
        super().__init__()
        self.state = state
        self.config = config
        self.batch_size = batch_size
        self.num_samples = num_samples
        self.has_validation = has_validation
        self.probe = probe
        self.probe_y = probe_y
        self.history = History()
        self.epoch = 0
        self.batch = -1
        self.phase = "setup"
        self.steps: int | None = None
        self.last_weights: Snapshot | None = None
        self.best_weights: Snapshot | None = None
        self.keeper: WeightKeeper | None = None  # one for the run: it spans both phases
        self.best_value: float | None = None
        self.best_epoch: int | None = None
        self.early_stopped_epoch: int | None = None
        self.monitor = config.monitor
        self._wait = 0
        self._watch: NanWatch | None = None
        self._kept_at_step = -1
        self._t0 = 0.0
        self._epoch_t0 = 0.0
        self._paused = 0.0
        self._lr: float | None = None
        self._lr_at = -math.inf
        self._rate: float | None = None
        self._step_t0 = 0.0
        self._rate_time = 0.0  # seconds spent in training steps in the current window
        self._rate_n = 0
        self._steps_done = 0
        self._steps_begun = 0  # a step that began may have changed the weights

    # -- timing -----------------------------------------------------------------------
    def total_epochs(self) -> int | None:
        """The run's length: the config's epochs (a two-phase run fits twice, each fit
        knowing only its own end), else what ``fit`` was given."""
        epochs = getattr(self.config, "epochs", None)
        return int(epochs) if epochs else self.params.get("epochs")

    @property
    def model_holds_last_weights(self) -> bool:
        """True when no training step ran since :attr:`last_weights` were taken."""
        return self._kept_at_step == self._steps_begun

    def elapsed(self) -> float:
        """Seconds of training so far, pauses left out."""
        return time.perf_counter() - self._t0 - self._paused

    # -- fit hooks --------------------------------------------------------------------
    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        """Start timing, keep the initial weights, report ``start`` and the first probe."""
        self._watch = NanWatch(self.model)
        self.steps = self.params.get("steps")
        if not self._t0:  # a two-phase run's second fit keeps the run's clock
            self._t0 = time.perf_counter()
        if self.keeper is None:
            self.keeper = WeightKeeper(self.model)
        self.last_weights = self.keeper.begin()
        self._kept_at_step = self._steps_begun
        if self.monitor.startswith("val_") and not self.has_validation:
            self.monitor = self.monitor[4:]
            if self.config.early_stopping:
                self.state.emit(
                    {
                        "type": "log",
                        "level": "warning",
                        "text": f"no validation data: early stopping watches "
                        f"'{self.monitor}' instead of "
                        f"'{self.config.monitor}'",
                    }
                )
        self.state.emit(
            {
                "type": "start",
                "epochs": self.total_epochs(),
                "steps": self.steps,
                "batch_size": self.batch_size,
                "samples": self.num_samples,
                "learning_rate": self._learning_rate(force=True),
            }
        )
        if self.probe is not None and self.probe.enabled:
            self._probe(self.probe.first_run)
            self._report_weights(-1)

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Remember where the run is (for stops, errors and ETAs)."""
        self.epoch = epoch
        self.batch = -1
        self.phase = "train"
        self._epoch_t0 = self.elapsed()

    def on_train_batch_begin(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Track the batch being trained, so an error can name it."""
        self.batch = batch
        self._steps_begun += 1
        self._step_t0 = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Report the batch, watch for NaN, probe on budget, then honour stop and pause."""
        now = time.perf_counter()
        logs = dict(logs or {})
        assert self._watch is not None
        self._watch.check_batch(logs, self.epoch, batch)
        self._steps_done += 1
        if self._steps_done > 1:  # the first step traces the model: not a measure of speed
            # Throughput of the steps themselves (data, forward, backward, update), so that
            # validation and epoch ends do not show as dips.
            self._rate_time += now - self._step_t0
            self._rate_n += self.batch_size or 0
            if self._rate_time >= RATE_WINDOW or (self._rate is None and self._rate_n):
                self._rate = self._rate_n / max(self._rate_time, 1e-9)
                self._rate_time, self._rate_n = 0.0, 0
        elapsed = now - self._t0 - self._paused
        self.state.emit(
            {
                "type": "batch",
                "epoch": self.epoch,
                "batch": batch,
                "steps": self.steps,
                "logs": logs,
                "learning_rate": self._learning_rate(),
                "samples_per_s": self._rate,
                "elapsed": elapsed,
                "epoch_elapsed": elapsed - self._epoch_t0,
            }
        )
        if self.probe is not None:
            self._probe(self.probe.maybe_run)
        self._check_stop()
        if self.state.pause_requested:
            self.state.emit({"type": "paused", "epoch": self.epoch, "batch": batch})
            waited = self.state.wait_while_paused()
            self._paused += waited
            if self.probe is not None:
                self.probe.cadence.postpone(waited)
            self._check_stop()
            self.state.emit({"type": "resumed", "epoch": self.epoch, "batch": batch})

    def on_test_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        """Validation of the epoch begins."""
        self.phase = "validation"

    def on_test_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        """A stop also takes effect during validation (the epoch then stays incomplete)."""
        self._check_stop()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """The epoch is complete: check it, record it, keep its weights, early-stop."""
        logs = {k: float(v) for k, v in (logs or {}).items() if _is_number(v)}
        lr = self._learning_rate(force=True)
        if lr is not None:
            logs["learning_rate"] = lr
        assert self._watch is not None
        self._watch.check_weights(epoch)
        self._watch.check_batch(
            {k: v for k, v in logs.items() if k != "learning_rate"}, epoch, self.batch
        )
        self.history.append(logs)
        assert self.keeper is not None
        self.last_weights = self.keeper.take()
        self._kept_at_step = self._steps_begun
        improved = self._track_best(epoch, logs)
        elapsed = self.elapsed()
        self.state.emit(
            {
                "type": "epoch",
                "epoch": epoch,
                "logs": logs,
                "elapsed": elapsed,
                "epoch_seconds": elapsed - self._epoch_t0,
                "improved": improved,
                "epochs": self.total_epochs(),
            }
        )
        if self.probe is not None:
            self._report_weights(epoch)
        if self.config.early_stopping and not improved and self._wait >= self.config.patience:
            self.early_stopped_epoch = epoch
            self.model.stop_training = True
            self.state.emit(
                {
                    "type": "log",
                    "level": "info",
                    "text": f"early stopping after epoch {epoch + 1}: "
                    f"{self.monitor} has not improved for "
                    f"{self.config.patience} epochs",
                }
            )
        if self.state.stop_requested:
            self.model.stop_training = True  # a complete epoch: just do not start another

    # -- helpers ----------------------------------------------------------------------
    def _check_stop(self) -> None:
        if self.state.stop_requested:
            raise StopRun(self.state.stop_reason or "stopped")

    def _learning_rate(self, force: bool = False) -> float | None:
        now = time.perf_counter()
        if force or now - self._lr_at >= LR_INTERVAL:
            sync_weights(self.model)  # jax keeps the optimizer's step apart during fit
            self._lr = current_learning_rate(getattr(self.model, "optimizer", None))
            self._lr_at = now
        return self._lr

    def _track_best(self, epoch: int, logs: Mapping[str, float]) -> bool:
        value = logs.get(self.monitor)
        if value is None:
            if epoch == 0 and self.config.early_stopping:
                self.state.emit(
                    {
                        "type": "log",
                        "level": "warning",
                        "text": f"early stopping watches '{self.monitor}', which "
                        f"this run does not log (it logs "
                        f"{', '.join(sorted(logs))}): it will not stop "
                        "early",
                    }
                )
            return False
        mode = metric_mode(self.monitor)
        delta = self.config.min_delta
        better = self.best_value is None or (
            value < self.best_value - delta if mode == "min" else value > self.best_value + delta
        )
        if better:
            self.best_value, self.best_epoch = value, epoch
            self._wait = 0
            if self.config.early_stopping and self.config.restore_best:
                self.best_weights = self.last_weights
        else:
            self._wait += 1
        return better

    def _probe(self, run: Any) -> None:
        """Run a probe; one that fails turns the probes off (it must never stop the run)."""
        try:
            layers = run()
        except Exception as exc:  # noqa: BLE001
            self._probe_failed(exc)
            return
        if layers is not None:
            self.state.emit(
                {
                    "type": "probe",
                    "epoch": self.epoch,
                    "batch": self.batch,
                    "elapsed": self.elapsed(),
                    "layers": {name: act.to_json() for name, act in layers.items()},
                }
            )

    def _report_weights(self, epoch: int) -> None:
        try:
            grads = None
            if self.probe is not None and self.probe_y is not None:
                grads = gradient_norms(self.model, self.probe.x, self.probe_y, self.probe.split)
            layers = weight_stats(self.model, grads)
        except Exception as exc:  # noqa: BLE001
            self._probe_failed(exc)
            return
        plain = {name: w.to_json() for name, w in layers.items()}
        self.state.emit({"type": "weights", "epoch": epoch, "layers": plain})

    def _probe_failed(self, exc: Exception) -> None:
        log.warning("live activations are off for this run: %s: %s", type(exc).__name__, exc)
        self.probe = None
        self.state.emit(
            {
                "type": "log",
                "level": "warning",
                "text": f"live activations are off for this run "
                f"({type(exc).__name__}: {str(exc).splitlines()[0]})",
            }
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.floating | np.integer) and not isinstance(value, bool)
