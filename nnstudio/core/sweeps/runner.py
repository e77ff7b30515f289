"""``run_sweep(project, config, folder, state) -> SweepOutcome``: the search loop.

Each trial asks the Optuna study for values, runs them as one
:class:`~nnstudio.core.training.job.TrainingJob` (through :func:`.trial.run_trial`) and tells
the study how it ended; the results go to ``trials.json``/``trials.csv`` after every trial.
The study lives in the folder's journal, so the same call on the same folder resumes: the
trials that finished are kept, a trial that was running when the sweep was stopped or killed
runs again (same number, same values), and the budget counts every finished trial.

Events (besides the jobs' own, passed through): ``sweep_started`` (``folder``, ``budget``,
``done``), ``trial_started`` (``number``, ``params``), ``trial_finished`` (``trial``:
:meth:`TrialResult.to_json`, with the run record when ``record_runs``), ``sweep_finished``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnstudio.core.sweeps.logs import write_experiment, write_trial_logs
from nnstudio.core.sweeps.results import TrialResult, read_trials, write_results
from nnstudio.core.sweeps.search import open_study, suggest
from nnstudio.core.sweeps.spec import SweepConfig, SweepError, names
from nnstudio.core.sweeps.targets import TrialBuilder, resolve_specs
from nnstudio.core.sweeps.trial import FATAL_STAGES, DataCache, DataProblem, Pruning, run_trial
from nnstudio.core.tasks import TaskState

FINISHED = ("completed", "pruned", "failed")


@dataclass
class SweepOutcome:
    """How a sweep ended: every trial so far (by number), the best completed one, whether
    it was stopped (it can be resumed) and why it ended early (``error``)."""

    trials: list[TrialResult] = field(default_factory=list)
    best: TrialResult | None = None
    stopped: bool = False
    error: str | None = None
    folder: str = ""
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain data (the trials as :meth:`TrialResult.to_json`)."""
        return {
            "folder": self.folder,
            "stopped": self.stopped,
            "error": self.error,
            "message": self.message,
            "best": self.best.number if self.best is not None else None,
            "trials": [t.to_json() for t in self.trials],
        }


def run_sweep(
    project: Any,
    config: SweepConfig,
    folder: str | Path,
    state: TaskState | None = None,
    *,
    data_config: dict[str, Any] | None = None,
    record_runs: bool = False,
    fit_to_data: bool = False,
) -> SweepOutcome:
    """Run (or resume) the sweep ``config`` over ``project`` on the calling thread.

    ``folder`` holds the sweep (journal, ``sweep.json``, results) and, unless
    ``record_runs``, a run folder per trial (``trial-NNN``); with ``record_runs`` each trial
    is recorded as a project run (its record comes in the ``trial_finished`` event and in
    the result, for the caller to append).  ``data_config`` is a data source's JSON for
    these runs (``None``: the project's); ``fit_to_data`` fits the Input and head to it.
    Raises :class:`SweepError` when the sweep cannot start; anything later ends in the
    outcome.
    """
    state = state or TaskState(keep_events=False)
    folder = Path(folder)
    config = resolve_specs(project, config)
    if not fit_to_data:
        _check_metric(project, config)
    data_json = data_config
    if data_json is None and project.data is not None:
        data_json = project.data.to_json()
    if data_json is None:
        raise SweepError("No data to train on: choose a data source (or pass --data PATH).")
    builder = TrialBuilder(project, config)
    study = open_study(folder, config, _most_epochs(config, builder))
    loop = _Loop(project, config, folder, state, study, builder, record_runs, fit_to_data)
    loop.data = DataCache(data_json)
    loop.data_config = data_config
    return loop.run()


def _check_metric(project: Any, config: SweepConfig) -> None:
    from nnstudio.core.objectives import graph_monitor_choices

    choices = graph_monitor_choices(project.graph)
    if config.metric not in choices:
        raise SweepError(
            f"metric: this model does not log {config.metric!r}; choose one of {', '.join(choices)}"
        )


def _most_epochs(config: SweepConfig, builder: TrialBuilder) -> int:
    try:
        spec = config.param("epochs")
    except KeyError:
        return int(builder.training.get("epochs", 10))
    values = spec.grid_values() if spec.kind == "choice" else [spec.high]
    return int(max(v for v in values if v is not None))


class _Loop:
    """The state of one sweep run (see :func:`run_sweep`)."""

    data: DataCache
    data_config: dict[str, Any] | None

    def __init__(
        self,
        project: Any,
        config: SweepConfig,
        folder: Path,
        state: TaskState,
        study: Any,
        builder: TrialBuilder,
        record_runs: bool,
        fit_to_data: bool,
    ) -> None:
        self.project, self.config, self.folder, self.state = project, config, folder, state
        self.study, self.builder = study, builder
        self.record_runs, self.fit_to_data = record_runs, fit_to_data
        self.results = {t.number: t for t in read_trials(folder)}
        self.param_names = names(config.params)
        self.name = folder.name

    def _run_folder(self, result: TrialResult) -> Path | None:
        if self.record_runs and result.record is not None:
            from nnstudio.core.training.runs import RunError, run_dir

            try:
                return run_dir(self.project, result.record)
            except RunError:
                return None
        return Path(result.folder) if result.folder else None

    def run(self) -> SweepOutcome:
        from nnstudio.core.objectives import graph_monitor_choices

        outcome = SweepOutcome(folder=str(self.folder))
        self._requeue_interrupted()
        write_experiment(
            self.folder, self.config, graph_monitor_choices(self.project.graph), self.state
        )
        budget, limit = self.config.budget(), self.config.time_limit_s
        started = time.monotonic()
        self.state.emit(
            {"type": "sweep_started", "folder": str(self.folder), "budget": budget}
            | {"done": self._finished()}
        )
        while True:
            done = self._finished()
            if budget is not None and done >= budget:
                break
            if limit is not None and time.monotonic() - started >= limit:
                outcome.message = "time limit reached"
                break
            if self.state.stop_requested:
                outcome.stopped = True
                break
            self.state.set_progress(done, budget or 0, f"trial {done + 1}", force=True)
            result, fatal = self._one_trial()
            if result.status == "stopped":
                outcome.stopped = True
                break
            if fatal:
                outcome.error = fatal
                break
        return self._finish(outcome, budget)

    def _finish(self, outcome: SweepOutcome, budget: int | None) -> SweepOutcome:
        outcome.trials = [self.results[n] for n in sorted(self.results)]
        outcome.best = best_trial(outcome.trials, self.config.direction)
        if not outcome.message:
            if outcome.error:
                outcome.message = outcome.error
            elif outcome.stopped:
                outcome.message = "stopped; run the sweep again to resume it"
            else:
                outcome.message = f"{self._finished()} trials finished"
        done = self._finished()
        self.state.set_progress(done, budget or done, outcome.message, force=True)
        self.state.emit({"type": "sweep_finished"} | outcome.to_json() | {"trials": None})
        return outcome

    def _finished(self) -> int:
        return sum(1 for t in self.results.values() if t.status in FINISHED)

    def _requeue_interrupted(self) -> None:
        """Trials left running by a killed process fail, and run again (same number)."""
        from optuna.trial import TrialState as OptunaState

        waiting = {
            t.user_attrs.get("slot")
            for t in self.study.get_trials(deepcopy=False, states=(OptunaState.WAITING,))
        }
        for t in self.study.get_trials(deepcopy=False, states=(OptunaState.RUNNING,)):
            self.study.tell(t.number, state=OptunaState.FAIL)
            slot = t.user_attrs.get("slot")
            if slot is not None and slot not in waiting and set(t.params) == set(self.param_names):
                self.study.enqueue_trial(t.params, user_attrs={"slot": slot})

    def _next_slot(self) -> int:
        slots = [t.user_attrs.get("slot") or 0 for t in self.study.get_trials(deepcopy=False)]
        return max([0, *self.results, *slots]) + 1

    def _one_trial(self) -> tuple[TrialResult, str | None]:
        """Ask, run, tell one trial; returns its result and a reason to end the sweep."""
        from optuna.trial import TrialState as OptunaState

        slot = self._next_slot()
        trial = self.study.ask()
        number = int(trial.user_attrs.get("slot") or slot)
        trial.set_user_attr("slot", number)
        grid = self.config.strategy == "grid"
        params = {p.name: suggest(trial, p, grid) for p in self.config.params}
        self.state.emit({"type": "trial_started", "number": number, "params": dict(params)})
        pruning = Pruning(trial, self.config.metric, self.config.pruner, self.config.direction)
        fatal: str | None = None
        job = None
        try:
            job = self._job(number, params)
            job.data = self.data.get(job.config, self.state)
            result, outcome = run_trial(job, self.state, pruning, number, params)
            if outcome.result is None and outcome.stage in FATAL_STAGES:
                fatal = outcome.message
            elif result.status == "failed" and outcome.result is not None:
                fatal = self._missing_metric(result)
        except DataProblem as exc:
            result = TrialResult(number, dict(params), "failed", message=str(exc))
            if exc.stopped:
                result.status = "stopped"
            fatal = None if exc.stopped else str(exc)
        except SweepError as exc:  # the values do not make a valid run
            result = TrialResult(number, dict(params), "failed", message=str(exc))
        if result.status == "completed" and result.value is not None:
            self.study.tell(trial, result.value)
        elif result.status == "pruned":
            self.study.tell(trial, state=OptunaState.PRUNED)
        else:
            self.study.tell(trial, state=OptunaState.FAIL)
            if result.status == "stopped":
                self.study.enqueue_trial(trial.params, user_attrs={"slot": number})
        self.results[number] = result
        if job is not None:
            write_trial_logs(self._run_folder(result), self.name, result, job.config, self.state)
        try:
            write_results(self.folder, list(self.results.values()), self.param_names)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            fatal = f"{self.folder}: the sweep's results could not be written ({reason})"
        self.state.emit({"type": "trial_finished", "trial": result.to_json()})
        return result, fatal

    def _missing_metric(self, result: TrialResult) -> str | None:
        if result.value is not None or result.epochs == 0:
            return None
        logged = ", ".join(sorted(result.final))
        return f"metric: the trials do not log {self.config.metric!r} (they log {logged})"

    def _job(self, number: int, params: dict[str, Any]) -> Any:
        from nnstudio.core.training.job import TrainingJob

        project_json, config_json = self.builder.build(params)
        # Nobody watches a trial's live activations: no probes (they cost up to 5 % of fit).
        config_json = {**config_json, "probe_budget": 0.0}
        path = self.project.path
        run_dir = None if self.record_runs else str(self.folder / f"trial-{number:03d}")
        return TrainingJob(
            project=project_json,
            config=config_json,
            data_config=self.data_config,
            project_path=str(path) if path else None,
            run_dir=run_dir,
            record=self.record_runs,
            fit_to_data=self.fit_to_data,
            kind="sweep_trial",
            options={
                "sweep": {"name": self.name, "params": dict(params), "trial": number},
                "evaluate": self.config.evaluate,
            },
        )


def best_trial(trials: list[TrialResult], direction: str) -> TrialResult | None:
    """The completed trial with the best value (``None`` if none completed)."""
    done = [t for t in trials if t.status == "completed" and t.value is not None]
    done = [t for t in done if t.value is not None and math.isfinite(t.value)]
    if not done:
        return None
    sign = 1.0 if direction == "minimize" else -1.0
    return min(done, key=lambda t: (sign * (t.value or 0.0), t.number))
