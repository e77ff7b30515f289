"""Slice a recorded run's evaluation by a group: find its model and data, prepare the data
as the run did (the split is seeded, so the same rows), predict on the split and compute
the :class:`~nnstudio.core.insight.fairness.FairnessReport`.

A run is found from a run folder (``model.keras`` with ``data.json`` beside it, as
``nnstudio train --out`` writes; or a folder under ``<project>.runs/``, whose project file
holds the record) or from a project file and a run id (default: the latest run with
weights).  Keras and TensorFlow are imported inside the functions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.core.insight.fairness import MIN_SUPPORT, FairnessError, FairnessReport
from nnstudio.core.insight.fairness import fairness_report as _report
from nnstudio.core.insight.fairness_groups import split_groups

PROJECT_SUFFIX = ".nnstudio"


@dataclass
class RunSource:
    """What slicing a run needs: its model file, data source and batch size."""

    name: str
    model_path: Path
    data: dict[str, Any] | None
    batch_size: int = 256
    data_hash: str | None = None
    notes: list[str] = field(default_factory=list)


def source_for_record(project: Any, record: Any) -> RunSource:
    """The :class:`RunSource` of a run record of ``project``."""
    from nnstudio.core.project_paths import absolute_paths
    from nnstudio.core.training.runs import RunError, run_model_path

    try:
        model = run_model_path(project, record)
    except RunError as exc:
        raise FairnessError(str(exc)) from None
    data = record.data
    if data is not None:
        base = Path(project.path).parent if project.path is not None else None
        data = absolute_paths(dict(data), base)
    elif project.data is not None:
        data = project.data.to_json()
    batch = (record.config or {}).get("batch_size")
    return RunSource(
        name=record.id,
        model_path=model,
        data=data,
        batch_size=batch if isinstance(batch, int) and batch > 0 else 256,
        data_hash=record.data_hash,
    )


def locate_run(path: str | Path, run_id: str | None = None) -> RunSource:
    """A run from a run folder or a project file (``run_id``: which run; default the latest
    with weights).  :class:`FairnessError` (one line) when it cannot be found."""
    p = Path(path)
    if not p.exists():
        raise FairnessError(f"{p}: no such file or folder")
    if p.is_file():
        if p.suffix != PROJECT_SUFFIX:
            raise FairnessError(f"{p}: not a run folder or a {PROJECT_SUFFIX} project file")
        return _from_project(p, run_id, None)
    if run_id is not None:
        raise FairnessError("a run id goes with a project file, not with a run folder")
    if not (p / "model.keras").is_file():
        raise FairnessError(f"{p}: no model.keras (not a run folder, or no epoch completed)")
    info = p / "data.json"
    if info.is_file():
        return _from_data_info(p, info)
    parent = p.parent
    if parent.name.endswith(".runs"):
        project_file = parent.parent / (parent.name[: -len(".runs")] + PROJECT_SUFFIX)
        if project_file.is_file():
            return _from_project(project_file, None, p)
    raise FairnessError(f"{p}: no data.json and no project file beside {parent.name}")


def _from_data_info(folder: Path, info: Path) -> RunSource:
    try:
        data = json.loads(info.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, ValueError) as exc:
        raise FairnessError(f"{info}: cannot be read ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
        raise FairnessError(f"{info}: it names no data source")
    return RunSource(
        name=folder.name,
        model_path=folder / "model.keras",
        data=data["data"],
        data_hash=data.get("data_hash") if isinstance(data.get("data_hash"), str) else None,
    )


def _from_project(project_file: Path, run_id: str | None, folder: Path | None) -> RunSource:
    from nnstudio.core.project import Project, ProjectError
    from nnstudio.core.training.runs import RunError, find_run, latest_run, run_dir

    try:
        project = Project.load(project_file)
    except ProjectError as exc:
        raise FairnessError(str(exc).splitlines()[0]) from None
    record = None
    if folder is not None:
        for run in project.runs:
            try:
                if run_dir(project, run).resolve() == folder.resolve():
                    record = run
            except RunError:
                continue
        if record is None:
            raise FairnessError(f"{folder}: {project_file.name} has no record of this run")
    elif run_id is not None:
        try:
            record = find_run(project, run_id)
        except RunError as exc:
            ids = ", ".join(r.id for r in project.runs) or "none"
            raise FairnessError(f"{project_file.name}: {exc} (its runs: {ids})") from None
    else:
        record = latest_run(project)
        if record is None:
            raise FairnessError(f"{project_file.name}: no run with trained weights")
    return source_for_record(project, record)


def load_run_model(path: Path) -> Any:
    """The run's ``model.keras``, checked and loaded in safe mode."""
    from nnstudio.core.export import ExportError
    from nnstudio.core.export.source import load_model_file
    from nnstudio.core.interop.archive import check_keras_archive
    from nnstudio.core.interop.errors import ModelImportError

    try:
        check_keras_archive(path)  # caps, ratios, a damaged zip: before Keras opens it
        return load_model_file(path)
    except (ExportError, ModelImportError) as exc:
        message = str(exc).splitlines()[0].rstrip(":")
        raise FairnessError(message if path.name in message else f"{path}: {message}") from None


def prepare_run_data(source: RunSource) -> Any:
    """The run's data prepared as the run prepared it (``PreparedData``)."""
    from nnstudio.core.data import DataConfig, DataError, prepare

    if source.data is None:
        raise FairnessError(f"run {source.name}: no data source recorded")
    try:
        config = DataConfig.from_json(source.data)
        prepared = prepare(config, batch_size=source.batch_size)
    except DataError as exc:
        raise FairnessError(f"data: {exc}") from None
    if source.data_hash and prepared.content_hash and source.data_hash != prepared.content_hash:
        source.notes.append("the data changed since the run was trained (its hash differs)")
    return prepared


def slice_prepared(
    model: Any,
    prepared: Any,
    by: str,
    *,
    split: str = "validation",
    min_support: int = MIN_SUPPORT,
    positive: int | str | None = None,
    batch_size: int = 256,
) -> FairnessReport:
    """Predict ``split`` of ``prepared`` with ``model`` and slice it by ``by``."""
    if prepared.task != "classification":
        raise FairnessError(
            f"fairness slices need a classifier; this run's task is {prepared.task}"
        )
    pair = prepared.test_arrays() if split == "test" else prepared.val_arrays()
    if split not in ("validation", "test"):
        raise FairnessError(f"no split {split!r}: validation or test")
    if pair is None:
        raise FairnessError(f"the data has no {split} split to evaluate on")
    groups = split_groups(prepared, by, split)
    x, y = pair
    if len(groups) != len(y):
        raise FairnessError(
            f"{len(y)} {split} samples could be read but {len(groups)} have a group "
            "(an image may have become unreadable)"
        )
    pred = model.predict(x, batch_size=batch_size, verbose=0)
    if isinstance(pred, dict):
        pred = next(iter(pred.values()))
    elif isinstance(pred, list | tuple):
        pred = pred[0]
    pred = np.asarray(pred, dtype=np.float64)
    return _report(
        y,
        pred,
        groups,
        class_names=prepared.class_names,
        positive=positive,
        min_support=min_support,
        by=by,
        split=split,
    )


def slice_run(
    source: RunSource,
    by: str,
    *,
    split: str = "validation",
    min_support: int = MIN_SUPPORT,
    positive: int | str | None = None,
    state: Any = None,
) -> FairnessReport:
    """Load the run's model and data and slice its ``split`` by ``by``; ``state`` (a
    TaskState, optional) gets the steps as messages."""

    def step(text: str, done: int) -> None:
        if state is not None:
            state.report(done, 3, text, force=True)
            state.check()

    step("Preparing the data…", 0)
    prepared = prepare_run_data(source)
    step("Loading the model…", 1)
    model = load_run_model(source.model_path)
    step("Predicting…", 2)
    report = slice_prepared(
        model,
        prepared,
        by,
        split=split,
        min_support=min_support,
        positive=positive,
        batch_size=source.batch_size,
    )
    report.notes = list(source.notes)
    return report
