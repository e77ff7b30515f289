"""Run records in the project and run folders beside the project file.

``Project.runs`` is a tuple of :class:`~nnstudio.core.training.records.RunRecord`, written
in the file as objects::

    {"id": "run-YYYYmmdd-HHMMSS[-n]", "name": str, "created": ISO time,
     "status": "completed"|"stopped"|"failed"|"diverged",
     "config": TrainingConfig.to_json(), "data_hash": str|None, "epochs_completed": int,
     "history": {metric: [per-epoch floats]}, "final": {metric: value},
     "best": {metric: value}, "dir": relative path of the run folder, ...}

plus ``message``, ``outputs`` (loss and metrics of each declared output), ``preprocessing``,
``class_names``, ``evaluation`` (summary), ``backend``, ``device``, ``elapsed_s``.

The run folder is ``<project stem>.runs/<run id>/`` beside the project file (for a project
that has no file yet: a folder under the user's data directory, recorded as an absolute
path) and holds ``model.keras`` (the kept weights), ``history.csv`` and ``metrics.json`` —
the same three files ``nnstudio train --out RUN_DIR`` writes — and, with the
``tensorboard`` setting, the ``tensorboard/`` logs.  A run that logs is given its folder
when it starts (:func:`reserve_run`; it then holds only ``tensorboard/``, which TensorBoard
can show live) and the other files arrive at the end, in one atomic swap.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnstudio.core.atomic import atomic_dir, atomic_path, atomic_write_text
from nnstudio.core.training.history import History
from nnstudio.core.training.records import STATUSES, RunRecord, RunStatus, as_run_record

__all__ = [
    "STATUSES",
    "RunError",
    "RunRecord",
    "RunStatus",
    "compare_runs",
    "delete_run",
    "find_run",
    "latest_run",
    "new_run_id",
    "record_run",
    "rename_run",
    "reserve_run",
    "run_dir",
    "run_model_path",
    "runs_root",
    "write_data_info",
    "write_run_files",
]

if TYPE_CHECKING:
    from nnstudio.core.training.data import TrainingData

MODEL_FILE = "model.keras"
HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"
DATA_INFO_FILE = "data.json"


class RunError(ValueError):
    """A run record or run folder that cannot be used (the message says which and why)."""


# -- where runs live ----------------------------------------------------------------------
def user_data_dir() -> Path:
    """NN Studio's folder in the user's data directory (``NNSTUDIO_DATA_DIR`` overrides)."""
    override = os.environ.get("NNSTUDIO_DATA_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "nnstudio"


def runs_root(project: Any) -> Path:
    """Where the runs of ``project`` go: ``<stem>.runs`` beside its file, or the user's
    data directory for a project without a file."""
    if project.path is not None:
        path = Path(project.path)
        return path.parent / f"{path.stem}.runs"
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", project.name).strip("._") or "untitled"
    return user_data_dir() / "runs" / slug


def run_dir(project: Any, run: RunRecord | dict[str, Any]) -> Path:
    """The folder of ``run`` (its ``dir`` is relative to the project file's folder)."""
    try:
        record = as_run_record(run)
    except ValueError as exc:
        raise RunError(f"run record: {exc}") from None
    if not record.folder:
        raise RunError(f"run {record.id!r} has no folder")
    p = Path(record.folder)
    if p.is_absolute() or project.path is None:
        return p
    return Path(project.path).parent / p


def run_model_path(project: Any, run: RunRecord | dict[str, Any]) -> Path:
    """The ``model.keras`` of ``run`` (it exists once an epoch was completed)."""
    return run_dir(project, run) / MODEL_FILE


def latest_run(project: Any) -> RunRecord | None:
    """The most recent run that has trained weights on disk, or ``None``."""
    for run in reversed(project.runs):
        if (run.epochs_completed or 0) > 0:
            try:
                if run_model_path(project, run).is_file():
                    return run
            except RunError:
                continue
    return None


def find_run(project: Any, run_id: str) -> RunRecord:
    """The record with this id (``RunError`` if absent)."""
    for run in project.runs:
        if run.id == run_id:
            return run
    raise RunError(f"no run with id {run_id!r}")


def new_run_id(project: Any, now: dt.datetime | None = None) -> str:
    """``run-YYYYmmdd-HHMMSS`` (with ``-n`` when that id or folder is taken)."""
    now = now or dt.datetime.now()
    base = now.strftime("run-%Y%m%d-%H%M%S")
    taken = {r.id for r in project.runs}
    root = runs_root(project)
    candidate, n = base, 1
    while candidate in taken or (root / candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def reserve_run(project: Any, now: dt.datetime | None = None) -> tuple[str, Path]:
    """Take a run id and create its folder now (``mkdir`` decides between two runs that
    start in the same second): ``(run id, folder)``.  Pass the id to :func:`record_run`."""
    root = runs_root(project)
    root.mkdir(parents=True, exist_ok=True)
    now = now or dt.datetime.now()
    for _ in range(1000):
        run_id = new_run_id(project, now)
        try:
            (root / run_id).mkdir()
        except FileExistsError:
            continue
        return run_id, root / run_id
    raise RunError(f"no free run folder in {root}")


# -- files ------------------------------------------------------------------------------
def write_run_files(
    folder: str | Path, model: Any, history: History, metrics: dict[str, Any]
) -> None:
    """Write ``model.keras`` (when ``model`` is given), ``history.csv`` and ``metrics.json``
    into ``folder`` (created if needed), each atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if model is not None:
        with atomic_path(folder / MODEL_FILE) as tmp:
            model.save(tmp)
    history.save_csv(folder / HISTORY_FILE)
    atomic_write_text(folder / METRICS_FILE, json.dumps(metrics, indent=1, allow_nan=False) + "\n")


def write_data_info(
    folder: str | Path, data: TrainingData | None, data_config: dict[str, Any] | None
) -> None:
    """Write ``data.json`` into a standalone run folder: the class names, the recorded
    preprocessing and the data's hash (what export's model card needs), and the source."""
    info = {**_data_facts(data), "data": data_config}
    atomic_write_text(
        Path(folder) / DATA_INFO_FILE, json.dumps(info, indent=1, allow_nan=False) + "\n"
    )


def _data_facts(data: TrainingData | None) -> dict[str, Any]:
    """What a run keeps of its data: class names, preprocessing and the data's hash."""
    if data is None:
        return {"class_names": [], "preprocessing": {}, "data_hash": None}
    return {
        "class_names": list(data.class_names or []),
        "preprocessing": dict(data.preprocessing or {}),
        "data_hash": data.data_hash,
    }


def record_run(
    project: Any,
    result: Any,
    config: Any,
    *,
    data: TrainingData | None = None,
    graph_outputs: Iterable[Any] = (),
    evaluation: Any = None,
    data_config: dict[str, Any] | None = None,
    name: str | None = None,
    now: dt.datetime | None = None,
    append: bool = True,
    run_id: str | None = None,
) -> RunRecord:
    """Write the run folder of ``result`` and add its record to the project's runs.

    ``data`` is the run's :class:`~.data.TrainingData` (hash, preprocessing, class names);
    ``data_config`` the data source it came from when it is not the project's own.
    The model file is written only when an epoch was completed.  Returns the record;
    ``append=False`` writes the folder only (a worker thread leaves the appending to the
    thread that owns the project).  ``run_id`` is one :func:`reserve_run` gave: what its
    folder holds already (the TensorBoard logs) moves into the new folder.
    """
    now = now or dt.datetime.now()
    run_id = run_id or new_run_id(project, now)
    root = runs_root(project)
    root.mkdir(parents=True, exist_ok=True)
    target = root / run_id
    metrics = result.metrics_json()
    if evaluation is not None:
        metrics[evaluation.split] = evaluation.metrics
    with atomic_dir(target) as tmp:
        write_run_files(
            tmp, result.model if result.epochs_completed else None, result.history, metrics
        )
        _carry_over(target, tmp)
    if project.path is not None:
        rel = os.path.relpath(target, Path(project.path).parent)
        folder = Path(rel).as_posix()
    else:
        folder = str(target)
    facts = _data_facts(data)
    record: dict[str, Any] = {
        "id": run_id,
        "name": name or _default_name(project, config),
        "created": now.isoformat(timespec="seconds"),
        "status": str(result.status),
        "message": result.message,
        "config": config.to_json(),
        "data_hash": facts["data_hash"],
        "epochs_completed": result.epochs_completed,
        "history": result.history.to_json(),
        "final": result.final(),
        "best": result.best(),
        "best_epoch": metrics["best_epoch"],
        "kept_weights": result.kept,
        "dir": folder,
        "outputs": [
            {
                "node": o.node,
                "loss": o.loss,
                "loss_weight": o.loss_weight,
                "metrics": list(o.metrics),
            }
            for o in graph_outputs
        ],
        "preprocessing": facts["preprocessing"],
        "class_names": facts["class_names"],
        "backend": result.backend,
        "device": result.device,
        "elapsed_s": round(result.elapsed, 3),
    }
    if evaluation is not None:
        record["evaluation"] = evaluation.to_json()
    if data_config is not None:
        record["data"] = data_config
    run = RunRecord.from_json(record)
    if append:
        project.add_run(run)
    return run


def _carry_over(reserved: Path, new: Path) -> None:
    """Move what a reserved run folder holds (its logs) into its replacement, last, so
    that a failed write leaves the logs where they were."""
    if not reserved.is_dir():
        return
    for entry in reserved.iterdir():
        if not (new / entry.name).exists():
            os.replace(entry, new / entry.name)


def _default_name(project: Any, config: Any) -> str:
    n = len(project.runs) + 1
    return f"Run {n} ({config.optimizer}, lr {config.learning_rate:g}, bs {config.batch_size})"


def rename_run(project: Any, run_id: str, name: str) -> None:
    """Give a run a new display name (``RunError`` for an empty name)."""
    name = name.strip()
    if not name:
        raise RunError("a run needs a name")
    project.replace_run(find_run(project, run_id).replace(name=name))


def delete_run(project: Any, run_id: str) -> None:
    """Remove a run's record and its folder."""
    run = find_run(project, run_id)
    try:
        folder = run_dir(project, run)
    except RunError:
        folder = None
    project.remove_run(run.id)
    if folder is not None and folder.is_dir() and (folder / METRICS_FILE).exists():
        shutil.rmtree(folder, ignore_errors=True)


def compare_runs(runs: Iterable[RunRecord | dict[str, Any]]) -> dict[str, Any]:
    """A table of runs side by side: ``{"runs": [...], "rows": [{"metric", "values"}]}``
    with each run's best value of every metric any of them logged."""
    records = [as_run_record(r) for r in runs]
    metrics: list[str] = []
    for run in records:
        for key in run.best:
            if key not in metrics:
                metrics.append(key)
    rows = [{"metric": m, "values": [run.best.get(m) for run in records]} for m in metrics]
    return {
        "runs": [
            {
                "id": r.id,
                "name": r.name,
                "status": None if r.status is None else str(r.status),
                "epochs": r.epochs_completed,
            }
            for r in records
        ],
        "rows": rows,
    }
