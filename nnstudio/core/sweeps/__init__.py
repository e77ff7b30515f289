"""Sweeps: a search (Optuna's samplers and pruners) over runs of the one training job,
resumable from the sweep's folder.

* :mod:`.spec` — what is varied and how (:class:`ParamSpec`, ``NAME=SPEC``,
  :class:`SweepConfig`);
* :mod:`.targets` — what a name points at in the project, checked against the catalog and
  the training settings; a trial's values applied to a copy of the project;
* :mod:`.search` — the Optuna study in the folder's journal, its sampler and pruner;
* :mod:`.trial` — one trial: the job, its epochs reported for pruning;
* :mod:`.runner` — :func:`run_sweep`, the loop, resume;
* :mod:`.results` — :class:`TrialResult`, ``trials.json``/``trials.csv``, :func:`read_trials`.

Importing this package imports neither Keras nor Optuna.
"""

from nnstudio.core.sweeps.results import TRIALS_CSV, TRIALS_JSON, TrialResult, read_trials
from nnstudio.core.sweeps.runner import SweepOutcome, best_trial, run_sweep
from nnstudio.core.sweeps.spec import (
    PRUNERS,
    STRATEGIES,
    ParamSpec,
    SweepConfig,
    SweepError,
    default_spec,
    parse_param,
)
from nnstudio.core.sweeps.targets import SWEEPABLE_SETTINGS, find_target, trial_changes

__all__ = [
    "PRUNERS",
    "STRATEGIES",
    "SWEEPABLE_SETTINGS",
    "TRIALS_CSV",
    "TRIALS_JSON",
    "ParamSpec",
    "SweepConfig",
    "SweepError",
    "SweepOutcome",
    "TrialResult",
    "best_trial",
    "default_spec",
    "find_target",
    "parse_param",
    "read_trials",
    "run_sweep",
    "trial_changes",
]
