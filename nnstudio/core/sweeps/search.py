"""The search, by Optuna: a study in the sweep's folder (a journal file, so that a sweep
stopped or killed resumes where it was), its sampler (grid, random or TPE, seeded) and its
pruner (median, Hyperband or none).

Why Optuna and not KerasTuner: its ask/tell API leaves the training to us (every trial is
our own :class:`~nnstudio.core.training.job.TrainingJob`; KerasTuner wants to build the
model and call ``fit`` itself), its pruners are first-class, its journal storage resumes a
study from a plain file, and it needs neither TensorFlow nor any backend.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nnstudio.core.atomic import atomic_write_text
from nnstudio.core.sweeps.spec import ParamSpec, SweepConfig, SweepError

JOURNAL_FILE = "journal.log"
SWEEP_FILE = "sweep.json"
STUDY_NAME = "sweep"
#: median pruner: no pruning before this many trials have finished, nor in a trial's
#: first epochs
MEDIAN_STARTUP_TRIALS = 3
MEDIAN_WARMUP_EPOCHS = 1
LOCK_GRACE_S = 10


def make_sampler(config: SweepConfig) -> Any:
    """The sampler of ``config.strategy``, seeded with ``config.seed``."""
    import optuna

    if config.strategy == "grid":
        space = {p.name: p.grid_values() for p in config.params}
        return _grid_sampler()(space, seed=config.seed)
    if config.strategy == "random":
        return optuna.samplers.RandomSampler(seed=config.seed)
    budget = config.budget()
    startup = 10 if budget is None else max(3, min(10, budget // 3))
    return optuna.samplers.TPESampler(seed=config.seed, n_startup_trials=startup)


def _grid_sampler() -> Any:
    """Optuna's GridSampler, without its ``study.stop()`` once the grid is covered (which
    works inside ``study.optimize`` only; the sweep's loop counts the grid itself)."""
    import optuna

    class Grid(optuna.samplers.GridSampler):
        def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
            return None

    return Grid


def make_pruner(config: SweepConfig, epochs: int | None = None) -> Any:
    """The pruner of ``config.pruner`` (``epochs``: the most a trial trains, for Hyperband)."""
    import optuna

    if config.pruner == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=MEDIAN_STARTUP_TRIALS, n_warmup_steps=MEDIAN_WARMUP_EPOCHS
        )
    if config.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs or "auto")
    return optuna.pruners.NopPruner()


def suggest(trial: Any, spec: ParamSpec, grid: bool) -> Any:
    """Ask ``trial`` for a value of ``spec`` (a grid asks for its points as choices)."""
    if grid:
        return trial.suggest_categorical(spec.name, spec.grid_values())
    if spec.kind == "choice":
        return trial.suggest_categorical(spec.name, list(spec.choices))
    assert spec.low is not None and spec.high is not None
    if spec.kind == "int":
        return trial.suggest_int(spec.name, int(spec.low), int(spec.high), log=spec.log)
    return trial.suggest_float(spec.name, float(spec.low), float(spec.high), log=spec.log)


def open_study(folder: Path, config: SweepConfig, epochs: int | None = None) -> Any:
    """The study of the sweep in ``folder``: a new one, or the one a journal there holds
    (refused when that sweep searched another space: :class:`SweepError`)."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _check_same_sweep(folder, config)
    except OSError as exc:
        raise SweepError(
            f"{folder}: the sweep's folder cannot be written ({_reason(exc)})"
        ) from None
    _check_journal(folder / JOURNAL_FILE)
    path = str(folder / JOURNAL_FILE)
    try:
        storage = JournalStorage(
            JournalFileBackend(path, lock_obj=JournalFileOpenLock(path, LOCK_GRACE_S))
        )
        study = optuna.create_study(
            storage=storage,
            sampler=make_sampler(config),
            pruner=make_pruner(config, epochs),
            study_name=STUDY_NAME,
            direction=config.direction,
            load_if_exists=True,
        )
        study.get_trials(deepcopy=False)  # reads the whole journal now: damage shows here
        return study
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise SweepError(f"{path}: the sweep's journal cannot be used ({exc})") from None


def _check_journal(path: Path) -> None:
    """Refuse a damaged journal (a line that is not a JSON object); cut off an unfinished
    last line (a process killed while writing it), which Optuna would otherwise join to the
    next line it writes."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SweepError(f"{path}: cannot be read ({_reason(exc)})") from None
    complete, _, partial = data.rpartition(b"\n")
    for number, line in enumerate(complete.split(b"\n") if complete else [], 1):
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if not isinstance(entry, dict) or not isinstance(entry.get("op_code"), int):
            raise SweepError(f"{path}: line {number} is damaged; the sweep cannot resume")
    if partial:
        try:
            with open(path, "r+b") as fh:
                fh.truncate(len(complete) + 1 if complete else 0)
        except OSError as exc:
            raise SweepError(f"{path}: cannot be repaired ({_reason(exc)})") from None


def _check_same_sweep(folder: Path, config: SweepConfig) -> None:
    """Write ``sweep.json``, or check that the one there describes the same search."""
    path = folder / SWEEP_FILE
    if path.is_file():
        try:
            before = SweepConfig.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise SweepError(f"{path}: cannot be read ({exc})") from None
        if not before.same_search(config):
            raise SweepError(
                f"{folder}: this folder holds another sweep ({_describe(before)}); "
                f"choose another folder to run {_describe(config)}"
            )
    atomic_write_text(path, json.dumps(config.to_json(), indent=1) + "\n")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _describe(config: SweepConfig) -> str:
    params = " ".join(f"{p.name}={p.to_text()}" for p in config.params)
    return f"{config.strategy} over {params}, {config.metric}"
