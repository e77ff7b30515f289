"""What gets exported: a Keras model plus what the card needs (graph, run record, data).

A source comes from the app (the in-app model), from a project file (its latest run, or the
untrained graph), or from a run folder (``model.keras`` + ``metrics.json``, with the run
record found in the project beside it when there is one).
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnstudio.core.export.report import ExportError
from nnstudio.core.training.records import RunRecord, RunRecordError, as_run_record

MODEL_FILE = "model.keras"
METRICS_FILE = "metrics.json"
PROJECT_SUFFIX = ".nnstudio"
_MAX_CONFIG_BYTES = 64 * 1024 * 1024


@dataclass
class ExportSource:
    """The model to export and its context (everything but ``model`` may be empty)."""

    model: Any
    name: str = "model"
    graph: Any | None = None
    trained: bool = True
    run: RunRecord | None = None
    class_names: list[str] | dict[str, list[str]] | None = None
    preprocessing: dict[str, Any] | None = None
    data_hash: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    losses: dict[str, Any] = field(default_factory=dict)
    data_config: dict[str, Any] | None = None
    project_path: Path | None = None
    warnings: list[str] = field(default_factory=list)
    card_extra: dict[str, Any] = field(default_factory=dict)  # more card sections (a generator)

    @property
    def run_id(self) -> str | None:
        """The run's id, if the model comes from a run."""
        return self.run.id if self.run is not None else None


# -- runs -----------------------------------------------------------------------------


def latest_run(project: Any) -> RunRecord | None:
    """The project's most recent run with trained weights on disk (``None`` if none)."""
    from nnstudio.core.training.runs import latest_run as training_latest_run

    return training_latest_run(project)


def run_folder(project: Any, run: RunRecord | Mapping[str, Any]) -> Path:
    """The run's folder (``dir`` is relative to the project file)."""
    from nnstudio.core.training.runs import RunError, run_dir

    try:
        return run_dir(project, _record(run))
    except RunError as exc:
        raise ExportError(str(exc)) from None


def find_run(project: Any, run_id: str) -> RunRecord:
    """The run record with id (or name) ``run_id``."""
    for run in project.runs:
        if run_id in (run.id, run.name):
            return run
    known = ", ".join(r.id for r in project.runs) or "none"
    raise ExportError(f'the project has no run "{run_id}" (runs: {known})')


def _record(run: RunRecord | Mapping[str, Any]) -> RunRecord:
    try:
        return as_run_record(run)
    except RunRecordError as exc:
        raise ExportError(f"run record: {exc}") from None


# -- loading --------------------------------------------------------------------------


def read_archive_config(path: Path) -> dict[str, Any]:
    """The ``config.json`` of a ``.keras`` archive, read as JSON (nothing executed)."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("config.json")
            if info.file_size > _MAX_CONFIG_BYTES:
                raise ExportError(f"{path.name}: its config.json is too large")
            data = json.loads(zf.read(info).decode("utf-8"))
    except FileNotFoundError:
        raise ExportError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, KeyError):
        raise ExportError(f"{path.name}: not a Keras .keras archive") from None
    except (zlib.error, EOFError, NotImplementedError, RecursionError) as exc:
        raise ExportError(f"{path.name}: the archive is damaged ({exc})") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ExportError(f"{path.name}: cannot read it ({exc})") from None
    if not isinstance(data, dict):
        raise ExportError(f"{path.name}: its config.json is not an object")
    return data


def compiled_losses(config: Mapping[str, Any], output_names: list[str]) -> dict[str, Any]:
    """The loss of each output, from an archive's ``compile_config``."""
    loss = (config.get("compile_config") or {}).get("loss")
    if isinstance(loss, Mapping) and set(loss) <= set(output_names):
        return dict(loss)
    if isinstance(loss, (list, tuple)) and len(loss) == len(output_names):
        return dict(zip(output_names, loss, strict=True))
    if loss is not None and len(output_names) == 1:
        return {output_names[0]: loss}
    return {}


def load_model_file(path: Path) -> Any:
    """Load a ``.keras`` model for export or prediction.  Its config is checked first by the
    import allowlist (no Lambda, no custom or non-Keras classes, no code); only then does
    Keras load it, in safe mode, without compiling."""
    from nnstudio.core.interop.safety import check_config

    config = read_archive_config(path)
    # compile=False: Keras never deserializes the compile config (optimizer, losses)
    findings = check_config({k: v for k, v in config.items() if k != "compile_config"})
    if not findings.ok:
        problems = [*findings.unsafe, *findings.unsupported]
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise ExportError(f"{path.name}: refused: {'; '.join(problems[:3])}{more}")
    import keras

    try:
        return keras.saving.load_model(str(path), compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a broken archive
        raise ExportError(f"{path.name}: Keras cannot load it ({exc})") from None


def read_metrics(folder: Path) -> dict[str, Any]:
    """``final`` metrics from a run folder's ``metrics.json`` (``{}`` if absent)."""
    data = _read_json_object(folder / METRICS_FILE)
    final = data.get("final", data)
    return {k: v for k, v in final.items() if isinstance(v, (int, float, str))}


# -- sources --------------------------------------------------------------------------


def source_from_model(
    model: Any,
    project: Any | None = None,
    run: RunRecord | Mapping[str, Any] | None = None,
    trained: bool = True,
) -> ExportSource:
    """An in-app model with its project and (optional) run record."""
    graph = project.graph if project is not None else None
    run = _record(run) if run else None
    src = ExportSource(
        model=model,
        name=project.name if project is not None else "model",
        graph=graph,
        trained=trained,
        run=run,
    )
    if project is not None and graph is not None:
        src.project_path = Path(project.path) if project.path else None
        src.data_config = project.data.to_json() if project.data is not None else None
        src.data_hash = project.data.content_hash if project.data is not None else None
        src.losses = {
            graph.nodes[o.node].name: o.loss for o in graph.outputs if o.node in graph.nodes
        }
    if run is not None:
        declared = run_outputs(run, graph)
        if declared:
            src.losses = {name: loss for name, (loss, _, _) in declared.items()}
        src.preprocessing = run.preprocessing or None
        src.class_names = run.class_names or (src.preprocessing or {}).get("class_names") or None
        src.data_hash = run.data_hash or src.data_hash
        src.data_config = run.data or src.data_config
        src.metrics = dict(run.final)
        if run.epochs_completed == 0:
            src.trained = False
    if not src.trained:
        src.warnings.append(
            "the model has not been trained: the export carries its random initial weights"
        )
    return src


def run_outputs(
    run: RunRecord | Mapping[str, Any], graph: Any | None
) -> dict[str, tuple[str, float, list[str]]]:
    """The loss, loss weight and metrics each output was trained with, by output name (the
    run record's ``outputs``; node ids are named through ``graph``)."""
    out: dict[str, tuple[str, float, list[str]]] = {}
    for entry in _record(run).outputs:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("loss"), str):
            continue
        node = entry.get("node")
        name = graph.nodes[node].name if graph is not None and node in graph.nodes else None
        if name is not None:
            out[name] = (
                entry["loss"],
                float(entry.get("loss_weight", 1.0)),
                [str(m) for m in entry.get("metrics") or ()],
            )
    return out


def source_from_project(project: Any, run_id: str | None = None) -> ExportSource:
    """A project's run (the latest by default) or, with no run, its untrained graph."""
    run = find_run(project, run_id) if run_id else latest_run(project)
    if run is None and getattr(project.training, "gan", None) is not None:
        from nnstudio.core.export.generator import untrained_gan_source

        return untrained_gan_source(project)
    if run is None:
        from nnstudio.core.compiler import CompileError, build_model, compile_model

        try:
            model = build_model(project.graph, seed=0, name="model")
        except CompileError as exc:
            raise ExportError(
                f"{project.name}: {str(exc).splitlines()[0]} "
                f"{str(exc).splitlines()[1].lstrip('- ')}"
            ) from None
        compile_model(model, project.graph)
        src = source_from_model(model, project, None, trained=False)
        src.warnings[-1] = (
            "the project has no trained run: exporting the untrained model (random initial weights)"
        )
        return src
    folder = run_folder(project, run)
    path = folder / MODEL_FILE
    if not path.is_file():
        raise ExportError(f"run {run.id}: its model file {path} is missing")
    model = load_model_file(path)
    src = source_from_model(model, project, run, trained=True)
    if not src.metrics:
        src.metrics = read_metrics(folder)
    src.losses = src.losses or compiled_losses(read_archive_config(path), list(model.output_names))
    from nnstudio.core.export.generator import generator_source

    return generator_source(src, folder, project)


def source_from_run_dir(folder: Path) -> ExportSource:
    """A run folder: ``model.keras`` (+ ``metrics.json``); the run record and graph come from
    the project that owns it (``<stem>.runs/<id>/`` beside ``<stem>.nnstudio``)."""
    path = folder / MODEL_FILE
    if not path.is_file():
        raise ExportError(f"{folder}: not a run folder (no {MODEL_FILE})")
    project = _owning_project(folder)
    if project is not None and project.run_index(folder.name) is not None:
        return source_from_project(project, folder.name)
    model = load_model_file(path)
    src = ExportSource(
        model=model, name=folder.name or "model", trained=True, metrics=read_metrics(folder)
    )
    src.losses = compiled_losses(read_archive_config(path), list(model.output_names))
    info = read_data_info(folder)
    src.class_names = info.get("class_names") or None
    src.preprocessing = info.get("preprocessing") or None
    src.data_hash = info.get("data_hash")
    src.data_config = info.get("data")
    from nnstudio.core.export.generator import generator_source

    return generator_source(src, folder)


def read_data_info(folder: Path) -> dict[str, Any]:
    """A standalone run folder's ``data.json`` (written by ``nnstudio train --out``):
    class names, recorded preprocessing, data hash and source; ``{}`` if absent."""
    from nnstudio.core.training.runs import DATA_INFO_FILE

    return _read_json_object(folder / DATA_INFO_FILE)


def _read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object from ``path`` (``{}`` if the file is absent or holds no object)."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExportError(f"{path}: not readable ({exc})") from None
    return data if isinstance(data, dict) else {}


def _owning_project(folder: Path) -> Any | None:
    parent = folder.resolve().parent
    if not parent.name.endswith(".runs"):
        return None
    candidate = parent.parent / (parent.name[: -len(".runs")] + PROJECT_SUFFIX)
    if not candidate.is_file():
        return None
    from nnstudio.core.project import Project, ProjectError

    try:
        return Project.load(candidate)
    except ProjectError:
        return None


def source_from_path(path: str | Path, run_id: str | None = None) -> ExportSource:
    """A project file, a run folder, or a run's ``model.keras``."""
    p = Path(path)
    if not p.exists():
        raise ExportError(f"{p}: no such file or folder")
    if p.is_dir():
        if run_id:
            raise ExportError("--run applies to a project file, not a run folder")
        return source_from_run_dir(p)
    if p.suffix == ".keras":
        return source_from_run_dir(p.parent) if p.name == MODEL_FILE else _bare_model(p)
    from nnstudio.core.project import Project, ProjectError

    try:
        project = Project.load(p)
    except ProjectError as exc:
        raise ExportError(str(exc).splitlines()[0]) from None
    return source_from_project(project, run_id)


def _bare_model(path: Path) -> ExportSource:
    model = load_model_file(path)
    src = ExportSource(model=model, name=path.stem, trained=True)
    src.losses = compiled_losses(read_archive_config(path), list(model.output_names))
    return src


def validation_arrays(source: ExportSource, limit: int = 1000) -> tuple[Any, Any] | None:
    """Up to ``limit`` model-ready validation samples ``(x, y)`` from the project's data
    source, or ``None`` when there is no data (or the data layer cannot prepare it)."""
    if not source.data_config:
        return None
    try:
        from nnstudio.core.data import DataConfig, DataError, prepare
    except ImportError:
        return None
    try:
        config = DataConfig.from_json(source.data_config)
        arrays = prepare(config, batch_size=64).val_arrays(limit)
    except (DataError, OSError, ValueError):
        return None
    if arrays is None or len(arrays[1]) == 0:
        return None
    return arrays
