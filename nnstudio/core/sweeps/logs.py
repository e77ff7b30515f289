"""What a sweep leaves beside its trials: ``trial.json`` in each trial's run folder (the
sweep, the trial's number, values, training settings and how it ended) and TensorBoard's
HParams data (the experiment in the sweep's folder, one session per trial in its run
folder's ``tensorboard`` log folder).  A log that cannot be written never stops a sweep:
it becomes a warning event."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from nnstudio.core.atomic import atomic_write_text
from nnstudio.core.sweeps.results import TrialResult
from nnstudio.core.sweeps.spec import SweepConfig
from nnstudio.core.tasks import TaskState

log = logging.getLogger("nnstudio.sweeps")

TRIAL_FILE = "trial.json"
#: how a trial's status reads in TensorBoard's HParams dashboard
HPARAMS_STATUS = {"completed": "success", "running": "running"}


def _warn(state: TaskState, what: str, exc: Exception) -> None:
    log.warning("%s: %s", what, exc)
    state.emit({"type": "log", "level": "warning", "text": f"{what}: {exc}"})


def write_experiment(
    folder: Path, config: SweepConfig, metrics: list[str], state: TaskState
) -> None:
    """The HParams experiment (swept parameters, metrics to show) in the sweep's folder."""
    from nnstudio.core.training.tensorboard import write_hparams_config

    if any(folder.glob("events.out.tfevents.*")):
        return  # written when the sweep began (a resume describes the same search)
    try:
        params = [p.to_json() for p in config.params]
        for p in params:
            if p["kind"] == "choice":
                p["choices"] = [_hparam(v) for v in p["choices"]]
        write_hparams_config(folder, params, ["value", *metrics])
    except (OSError, ValueError) as exc:
        _warn(state, "the sweep's TensorBoard HParams could not be written", exc)


def write_trial_logs(
    run_folder: Path | None,
    sweep: str,
    trial: TrialResult,
    training: dict[str, Any],
    state: TaskState,
) -> None:
    """``trial.json`` and the trial's HParams session in ``run_folder``."""
    if run_folder is None or not run_folder.is_dir():
        return
    from nnstudio.core.training.tensorboard import log_dir_of, write_hparams

    info = {
        "sweep": sweep,
        "number": trial.number,
        "params": trial.params,
        "status": trial.status,
        "value": trial.value,
        "message": trial.message,
        "config": training,
    }
    try:
        atomic_write_text(run_folder / TRIAL_FILE, json.dumps(info, indent=1) + "\n")
    except (OSError, ValueError) as exc:
        _warn(state, f"{run_folder / TRIAL_FILE} could not be written", exc)
    metrics = {k: v for k, v in trial.final.items() if k != "learning_rate"}
    if trial.value is not None:
        metrics["value"] = trial.value
    try:
        write_hparams(
            log_dir_of(run_folder),
            {k: _hparam(v) for k, v in trial.params.items()},
            metrics,
            trial_id=f"{sweep}/trial-{trial.number:03d}",
            status=HPARAMS_STATUS.get(trial.status, "failure"),
        )
    except (OSError, ValueError) as exc:
        _warn(state, f"trial {trial.number}'s TensorBoard HParams could not be written", exc)


def _hparam(value: Any) -> Any:
    """A value HParams can show (``None`` and lists as text)."""
    return value if isinstance(value, bool | int | float | str) else str(value)
