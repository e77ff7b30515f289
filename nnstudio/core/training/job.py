"""One training job: ``execute(job, state) -> RunOutcome``, shared by the window and the CLI.

A :class:`TrainingJob` is plain data — the project as JSON, the training settings, the data
source, where the run goes and a few options (device, backend, precision) — with
:meth:`~TrainingJob.to_json` / :meth:`~TrainingJob.from_json`, so the same job can later run
in another process or on another machine.  :func:`execute` runs every step on the calling
thread (prepare the data, fit the model to it when asked, build and compile, train,
evaluate, write the run folder) and reports into a :class:`~nnstudio.core.tasks.TaskState`
as plain event dicts; it never raises: every problem ends in the :class:`RunOutcome`, with
the step it happened in (``stage``).  Later kinds of run (GAN, sweep trial, distributed) are
variants of this job (``kind`` and ``options``), not copies of it.
"""

from __future__ import annotations

import dataclasses
import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnstudio.core.tasks import TaskState
from nnstudio.core.training.records import RunRecord, RunStatus

log = logging.getLogger("nnstudio.training")

JOB_FORMAT = 1
PRECISIONS = ("float32", "mixed", "mixed_float16", "mixed_bfloat16")  # see training.precision
#: the stages a job can fail in before training starts, as ``RunOutcome.stage``
SETUP_STAGES = ("job", "config", "data", "fit", "device", "compile")


class JobError(ValueError):
    """A job description that cannot be read (the message says which key and why)."""


@dataclass
class TrainingJob:
    """What one run needs, as plain JSON-able data.

    ``project`` is the project as JSON (its graph is the one trained); ``config`` the
    training settings (``TrainingConfig.to_json()``); ``data_config`` the data source
    (``None``: the project's own; a given one is recorded in the run); ``project_path``
    places the run folder beside the project file; ``run_dir`` writes the run files there
    instead (no run record); ``fit_to_data`` fits the Input shape and output head to the
    data first; ``device``, ``backend`` and ``precision`` override the settings.
    ``options``: ``{"evaluate": False}`` skips the evaluation of the kept weights (sweep
    trials); ``{"sweep": {"name", "params", "trial"}}`` marks a sweep trial's record.

    ``data`` is an in-process shortcut only (a ready ``TrainingData``); it is never
    serialised, and a job read back from JSON prepares its data from ``data_config``.
    """

    project: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)
    data_config: dict[str, Any] | None = None
    project_path: str | None = None
    run_dir: str | None = None
    record: bool = True
    fit_to_data: bool = False
    device: str | None = None
    backend: str | None = None
    precision: str | None = None
    kind: str = "train"
    options: dict[str, Any] = field(default_factory=dict)
    data: Any = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The job as JSON data (without the in-process ``data``)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "data"}
        return {"job_format": JOB_FORMAT, **out}

    @classmethod
    def from_json(cls, data: Any) -> TrainingJob:
        """Read :meth:`to_json` output; :class:`JobError` for a value of the wrong type."""
        if not isinstance(data, dict):
            raise JobError("a training job must be a JSON object")
        version = data.get("job_format", JOB_FORMAT)
        if not isinstance(version, int) or version > JOB_FORMAT:
            raise JobError(f"job_format {version!r} is newer than this app reads")
        kinds: dict[str, type | tuple[type, ...]] = {
            "project": dict,
            "config": dict,
            "data_config": (dict, type(None)),
            "project_path": (str, type(None)),
            "run_dir": (str, type(None)),
            "record": bool,
            "fit_to_data": bool,
            "device": (str, type(None)),
            "backend": (str, type(None)),
            "precision": (str, type(None)),
            "kind": str,
            "options": dict,
        }
        if "project" not in data:
            raise JobError("project: missing")
        for key, kind in kinds.items():
            if key in data and not isinstance(data[key], kind):
                raise JobError(f"{key}: unexpected {type(data[key]).__name__}")
        if data.get("precision") not in (None, *PRECISIONS):
            raise JobError(f"precision: one of {', '.join(PRECISIONS)}")
        return cls(**{k: data[k] for k in kinds if k in data})

    @classmethod
    def for_project(cls, project: Any, **options: Any) -> TrainingJob:
        """A job for a :class:`~nnstudio.core.project.Project` object (its JSON and path)."""
        path = project.path
        return cls(project=project.to_json(), project_path=str(path) if path else None, **options)


@dataclass
class RunOutcome:
    """How a job ended: the run's result (``None`` if it never started), its evaluation, the
    run record (for the caller to append to its project), or why it could not start
    (``error``, with the ``stage`` it failed in).  ``log_dir``: the run's TensorBoard
    folder, when it wrote one."""

    result: Any = None
    evaluation: Any = None
    record: RunRecord | None = None
    error: str | None = None
    stage: str | None = None
    traceback: str | None = None
    write_error: str | None = None
    where: str | None = None
    notes: list[str] = field(default_factory=list)
    log_dir: str | None = None

    @property
    def status(self) -> RunStatus:
        """The run's status, or ``failed`` when it could not start."""
        return self.result.status if self.result is not None else RunStatus.FAILED

    @property
    def message(self) -> str:
        """One line for the user."""
        if self.error:
            return self.error
        return self.result.message if self.result is not None else ""

    def to_json(self) -> dict[str, Any]:
        """A plain summary (what another process would send back)."""
        out: dict[str, Any] = {
            "status": str(self.status),
            "message": self.message,
            "stage": self.stage,
            "notes": list(self.notes),
            "record": self.record.to_json() if self.record is not None else None,
            "where": self.where,
            "log_dir": self.log_dir,
            "write_error": self.write_error,
        }
        if self.result is not None:
            out["metrics"] = self.result.metrics_json()
        if self.evaluation is not None:
            out["evaluation"] = self.evaluation.to_json()
        return out


class _Refused(Exception):
    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage


def execute(job: TrainingJob, state: TaskState | None = None) -> RunOutcome:
    """Run ``job`` to the end on the calling thread; never raises."""
    import numpy as np

    state = state or TaskState(keep_events=False)
    try:
        # A diverging run overflows in numpy (statistics, probes); the run reports it as
        # diverged, so the warnings would only be noise (errstate is per thread).
        with np.errstate(all="ignore"):
            return _execute(job, state)
    except _Refused as exc:
        return RunOutcome(error=str(exc), stage=exc.stage)
    except Exception as exc:  # noqa: BLE001 - a job always hands back an outcome
        tb = "".join(traceback.format_exception(exc))
        log.error("training job failed:\n%s", tb)
        return RunOutcome(
            error=f"Training could not run: {type(exc).__name__}: {exc}",
            stage="job",
            traceback=tb,
        )


def _execute(job: TrainingJob, state: TaskState) -> RunOutcome:
    from nnstudio.core.training.run import run_training

    job = _multihost(job)
    project = _project(job)
    config = _config(job)
    if config.gan is not None or job.kind == "gan":  # a GAN: same job, its own model
        from nnstudio.core.gan.run import execute_gan

        return execute_gan(job, project, config, state)
    data_json = job.data_config
    if data_json is None and project.data is not None:
        data_json = project.data.to_json()
    data = job.data if job.data is not None else _prepare_data(data_json, config, state)
    if job.fit_to_data:
        _fit(project.graph, data, state)
    _preflight(project.graph, data, data_json)
    device = _device(job, config)
    if hasattr(device, "local_data"):  # several devices: this process's share of each batch
        data = device.local_data(data, config.batch_size)
    model = _model(project.graph, config, data, device, job.precision)
    log_dir, run_id = _log_dir(job, project, config)
    result = run_training(model, data, config, state, device=device, log_dir=log_dir)
    outcome = RunOutcome(result=result, log_dir=str(log_dir) if log_dir else None)
    if result.epochs_completed and job.options.get("evaluate", True):
        outcome.evaluation = _evaluate(model, data, config, state, outcome)
    _write(job, project, config, data, data_json, outcome, run_id)
    return outcome


def _log_dir(job: TrainingJob, project: Any, config: Any) -> tuple[Path | None, str | None]:
    """Where the run's TensorBoard logs go, and the run id reserved for them: the run
    folder must exist when training starts."""
    if not config.tensorboard or (job.run_dir is None and not job.record):
        return None, None
    from nnstudio.core.training.runs import RunError, reserve_run
    from nnstudio.core.training.tensorboard import log_dir_of

    if job.run_dir is not None:
        return log_dir_of(job.run_dir), None
    try:
        run_id, folder = reserve_run(project)
    except (OSError, RunError) as exc:
        log.warning("no TensorBoard logs for this run: %s", exc)
        return None, None
    return log_dir_of(folder), run_id


def _project(job: TrainingJob) -> Any:
    from nnstudio.core.project import Project, ProjectError

    if job.backend is not None:
        import keras

        if keras.backend.backend() != job.backend:
            raise _Refused(
                "job",
                f"this process runs Keras on {keras.backend.backend()}; the job asks for "
                f"{job.backend}",
            )
    base = Path(job.project_path).parent if job.project_path else None
    try:
        project = Project.from_json(job.project, base=base)
    except ProjectError as exc:
        raise _Refused("job", str(exc)) from None
    project.path = Path(job.project_path) if job.project_path else None
    return project


def _config(job: TrainingJob) -> Any:
    from nnstudio.core.training.config import ConfigError, TrainingConfig

    try:
        config = TrainingConfig.from_json(job.config)
        if job.device is not None:
            config = config.replace(device=job.device)
        if job.precision is not None:
            config = config.replace(mixed_precision=job.precision != "float32")
    except ConfigError as exc:
        raise _Refused("config", str(exc)) from None
    return config


def _preflight(graph: Any, data: Any, data_json: dict[str, Any] | None) -> None:
    """Refuse data that does not fit the model, with the pre-flight check's message."""
    prepared = getattr(data, "source", None)
    if prepared is None:
        return
    from nnstudio.core.graph import check_graph
    from nnstudio.core.preflight import cli_message, preflight

    targets = (data_json or {}).get("targets")
    issues = preflight(graph, prepared, check_graph(graph).shapes, targets)
    if issues:
        raise _Refused("preflight", cli_message(graph, issues))


def _prepare_data(data_json: dict[str, Any] | None, config: Any, state: TaskState) -> Any:
    from nnstudio.core.data import Cancelled, DataConfig, DataError, prepare
    from nnstudio.core.training.data import TrainingData

    if data_json is None:
        raise _Refused("data", "No data to train on: choose a data source in the Data panel.")
    state.emit({"type": "log", "level": "info", "text": "Preparing the data…"})
    try:
        prepared = prepare(
            DataConfig.from_json(data_json),
            batch_size=config.batch_size,
            seed=config.seed,
            cancelled=lambda: state.stop_requested,
        )
    except Cancelled:
        raise _Refused("data", "Stopped while the data was being prepared.") from None
    except DataError as exc:
        raise _Refused("data", f"The data cannot be used: {exc}") from None
    return TrainingData.from_prepared(prepared)


def _fit(graph: Any, data: Any, state: TaskState) -> None:
    """The data panel's one-click fit (Input shape, output head, loss and metrics), each
    change reported as a ``log`` event."""
    from nnstudio.core.catalog.spec import ParamError
    from nnstudio.core.data import DataError
    from nnstudio.core.data.fit import fit_commands
    from nnstudio.core.graph.model import GraphError

    prepared = getattr(data, "source", None) or data
    before = {nid: dict(n.params) for nid, n in graph.nodes.items()}
    outputs = [(o.node, o.loss, list(o.metrics)) for o in graph.outputs]
    try:
        fit_commands(graph, prepared).redo()
    except (DataError, GraphError, ParamError) as exc:
        raise _Refused("fit", f"cannot fit the model to the data: {exc}") from None

    def say(text: str) -> None:
        state.emit({"type": "log", "level": "info", "text": f"fitted to the data: {text}"})

    for nid, node in graph.nodes.items():
        old = before.get(nid)
        changed = {k: v for k, v in node.params.items() if old is None or old.get(k) != v}
        if old is None:
            say(f"added {node.key} {node.name}")
        elif changed:
            say(f"{node.name}: " + ", ".join(f"{k}={v}" for k, v in changed.items()))
    for o in graph.outputs:
        if (o.node, o.loss, list(o.metrics)) not in outputs:
            say(f"{graph.nodes[o.node].name}: loss {o.loss}, metrics {', '.join(o.metrics)}")


def _device(job: TrainingJob, config: Any) -> Any:
    """The run's device, or its group of devices (``config.devices``, multi-host)."""
    from nnstudio.core.training.distribute import placement

    try:
        return placement(config, job.options)
    except ValueError as exc:
        raise _Refused("device", str(exc)) from None


def _multihost(job: TrainingJob) -> TrainingJob:
    """A multi-host job (``options["multihost"]``) as this process runs it (joined)."""
    if not job.options.get("multihost"):
        return job
    from nnstudio.core.training.multihost import MultihostError, prepare_job

    try:
        return prepare_job(job)
    except MultihostError as exc:
        raise _Refused("device", str(exc)) from None


def _model(graph: Any, config: Any, data: Any, device: Any, precision: str | None = None) -> Any:
    from nnstudio.core.compiler import CompileError
    from nnstudio.core.training.run import prepare_model

    try:
        return prepare_model(graph, config, data, device, precision)
    except CompileError as exc:
        raise _Refused("compile", f"The model cannot be built: {exc}") from None


def _evaluate(model: Any, data: Any, config: Any, state: TaskState, outcome: RunOutcome) -> Any:
    """The evaluation of the kept weights; a failure is a note, the run stays."""
    from nnstudio.core.training.evaluation import evaluate

    try:
        state.emit({"type": "log", "level": "info", "text": "Evaluating…"})
        return evaluate(model, data, batch_size=config.batch_size)
    except Exception as exc:  # noqa: BLE001 - a failed evaluation keeps the run
        log.exception("evaluation failed")
        outcome.notes.append(f"The evaluation failed: {type(exc).__name__}: {exc}")
        return None


def _write(
    job: TrainingJob,
    project: Any,
    config: Any,
    data: Any,
    data_json: dict[str, Any] | None,
    outcome: RunOutcome,
    run_id: str | None = None,
) -> None:
    """Write the run folder (``run_dir``) or the project's run folder and its record."""
    from nnstudio.core.training.runs import record_run, write_data_info, write_run_files

    result = outcome.result
    try:
        if job.run_dir is not None:
            metrics = result.metrics_json()
            if outcome.evaluation is not None:
                metrics[outcome.evaluation.split] = outcome.evaluation.metrics
            model = result.model if result.epochs_completed else None
            write_run_files(job.run_dir, model, result.history, metrics)
            write_data_info(job.run_dir, data, data_json)
            outcome.where = job.run_dir
        elif job.record:
            outcome.record = record_run(
                project,
                result,
                config,
                data=data,
                graph_outputs=project.graph.outputs,
                evaluation=outcome.evaluation,
                data_config=job.data_config,
                append=False,
                run_id=run_id,
            )
            outcome.record = _sweep_fields(job, outcome.record)
            outcome.where = outcome.record.folder
    except OSError as exc:
        log.error("the run could not be written:\n%s", "".join(traceback.format_exception(exc)))
        reason = exc.strerror or str(exc)
        target = job.run_dir or "the run folder"
        outcome.write_error = f"The run could not be written to {target}: {reason}"
        outcome.notes.append(outcome.write_error)


def _sweep_fields(job: TrainingJob, record: RunRecord) -> RunRecord:
    """A sweep trial's record carries its sweep, its values and its name
    (``options["sweep"]``: ``{"name", "params", "trial"}``)."""
    sweep = job.options.get("sweep")
    if not isinstance(sweep, dict) or not isinstance(sweep.get("name"), str):
        return record
    params = sweep.get("params")
    number = sweep.get("trial")
    name = f"{sweep['name']} trial {number}" if isinstance(number, int) else record.name
    return record.replace(
        sweep=sweep["name"],
        trial_params=dict(params) if isinstance(params, dict) else None,
        name=name,
    )
