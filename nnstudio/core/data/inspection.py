"""inspect_source: the same checks for every kind of source, one Report."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from nnstudio.core.data import csv_source, image_folder, multi_input, numpy_source
from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.hashing import file_sha256, path_hash
from nnstudio.core.data.memory import default_cache_budget
from nnstudio.core.data.numpy_arrays import NumpyArrays
from nnstudio.core.data.progress import CancelledFn, ProgressFn, TaskState, as_state
from nnstudio.core.data.report import ProblemLog, Report
from nnstudio.core.data.targets import RECONSTRUCTION, reconstructs, value_range


@dataclass
class LoadedSource:
    """A checked source, ready for :func:`prepare` (or just reported)."""

    config: DataConfig
    report: Report
    table: csv_source.CsvTable | None = None
    targets: csv_source.Targets | None = None
    val_table: csv_source.CsvTable | None = None
    val_targets: csv_source.Targets | None = None
    scan: image_folder.ImageScan | None = None
    val_scan: image_folder.ImageScan | None = None
    image_size: tuple[int, int] | None = None
    color_mode: str | None = None
    arrays: numpy_source.NumpyArrays | None = None
    val_arrays: numpy_source.NumpyArrays | None = None


def inspect_source(
    config: DataConfig,
    progress: ProgressFn | None = None,
    cancelled: CancelledFn | None = None,
) -> Report:
    """Read and check the whole source; never raises for bad data (the problems
    are in the report) but raises :class:`Cancelled` when ``cancelled()`` says so."""
    return load_source(config, as_state(progress, cancelled)).report


def load_source(config: DataConfig, state: TaskState, budget: int | None = None) -> LoadedSource:
    """The work behind :func:`inspect_source`, keeping what was read for
    :func:`prepare`."""
    log = ProblemLog()
    report = Report(kind=config.kind, path=config.path)
    loaded = LoadedSource(config=config, report=report)
    hashes: dict[str, str] = {}
    missing = [p for p in config.all_paths() if not os.path.exists(p)]
    if missing:
        for p in missing:
            log.error(p, "does not exist")
    elif config.kind == "csv":
        _load_csv(loaded, log, state, hashes)
    elif config.kind == "images":
        _load_images(loaded, log, state, hashes)
    elif (keys := multi_input.input_keys(config)) is not None:
        multi_input.load_multi_input(loaded, log, state, keys)
    else:
        _load_numpy(loaded, log, state, budget or default_cache_budget())
    unreadable = config.kind == "numpy" and loaded.arrays is None and log.has_errors
    if not missing and not unreadable:  # an unusable file is never hashed
        try:
            digest = "+".join(hashes.get(p) or _hash(p, state) for p in config.all_paths())
        except OSError as exc:
            digest = None
            log.error(config.path, f"cannot read the data to hash it: {exc}")
        report.content_hash = digest
        if digest and config.content_hash and config.content_hash != digest:
            log.warning(
                config.path,
                "the data changed since it was connected to the project (its content hash "
                "differs); the report describes the data as it is now",
            )
    report.problems = log.problems()
    return loaded


def _hash(path: str, state: TaskState) -> str:
    if os.path.isdir(path):
        return path_hash(path)
    return "sha256:" + file_sha256(path, state)


# -- CSV ----------------------------------------------------------------------


def _load_csv(loaded: LoadedSource, log: ProblemLog, state: TaskState, hashes: dict) -> None:
    config, report = loaded.config, loaded.report
    table = csv_source.read_csv_table(config.path, config, log, state)
    if table is None:
        return
    hashes[config.path] = "sha256:" + table.sha256
    report.nan_count, report.inf_count = table.nan_count, table.inf_count
    report.columns = table.summaries
    report.details = {
        "encoding": table.encoding,
        "delimiter": table.dialect.delimiter,
        "header": table.dialect.header,
        "columns": table.column_names,
        "feature_columns": [c.name for c in table.features],
        "target_columns": [c.name for c in table.targets],
        "rows_read": table.rows_read,
    }
    if table.blocked:
        return
    targets = csv_source.interpret_targets(table, config, log)
    report.constant_columns = csv_source.check_features(table, config, log)
    loaded.table, loaded.targets = table, targets
    report.samples = table.n_rows
    report.feature_shape = (csv_source.feature_width(table, config),)
    if targets is None:
        return
    if config.validation_path:
        val = csv_source.read_csv_table(config.validation_path, config, log, state, like=table)
        if val is not None and not val.blocked:
            hashes[config.validation_path] = "sha256:" + val.sha256
            val_targets = csv_source.interpret_targets(val, config, log, like=targets)
            loaded.val_table, loaded.val_targets = val, val_targets
            report.details["validation_samples"] = val.n_rows
    if targets.task == RECONSTRUCTION:
        _fill_reconstruction(report, None)  # the inputs are standardized: unbounded
    else:
        raw = np.stack([c.values for c in table.targets], axis=1)
        _fill_targets(
            report, targets.task, targets.y, targets.class_names, targets.num_outputs, raw
        )
    csv_source.check_targets(targets, log)
    for t in (table, loaded.val_table):
        if t is not None:
            t.release()


def _fill_reconstruction(report: Report, value_range: tuple[float, float] | None) -> None:
    """The inputs are the targets: the range is that of the inputs as trained on."""
    report.task = RECONSTRUCTION
    report.num_outputs = int(np.prod(report.feature_shape or (1,), dtype=np.int64))
    report.classes = []
    report.target_range = value_range
    report.details["targets"] = "inputs"


def _fill_targets(
    report: Report,
    task: str,
    y: np.ndarray,
    class_names: list[str] | None,
    num_outputs: int,
    raw: np.ndarray | None = None,
) -> None:
    """``raw`` holds the targets as read (float64 where the file had more
    precision than the float32 used for training), for the range shown."""
    report.task = task
    report.num_outputs = num_outputs
    if task == "classification":
        assert class_names is not None
        counts = np.bincount(y, minlength=len(class_names)).tolist()
        report.classes = list(zip(class_names, counts, strict=True))
    elif len(y):
        values = raw if raw is not None and raw.dtype.kind in "biuf" else y
        report.target_range = (float(np.min(values)), float(np.max(values)))


# -- images -------------------------------------------------------------------


def _load_images(loaded: LoadedSource, log: ProblemLog, state: TaskState, hashes: dict) -> None:
    config, report = loaded.config, loaded.report
    scan = image_folder.scan_image_folder(config.path, state, log)
    if scan is None:
        return
    hashes[config.path] = "listing-sha256:" + scan.listing_hash
    size, mode = image_folder.resolve_image_options(scan, config, log)
    loaded.scan, loaded.image_size, loaded.color_mode = scan, size, mode
    if config.validation_path:
        where = os.path.basename(os.path.normpath(config.validation_path))
        val = image_folder.scan_image_folder(
            config.validation_path, state, log, class_names=scan.class_names, where=where
        )
        if val is not None:
            hashes[config.validation_path] = "listing-sha256:" + val.listing_hash
            loaded.val_scan = val
    report.samples = len(scan.files)
    report.feature_shape = (size[0], size[1], image_folder.CHANNELS[mode])
    report.task = "classification"
    report.num_outputs = len(scan.class_names)
    report.classes = list(zip(scan.class_names, scan.counts, strict=True))
    if reconstructs(config):
        report.details = {}
        _fill_reconstruction(report, (0.0, 1.0))  # pixels are scaled by 1/255
    report.details |= {
        "image_size": list(size),
        "color_mode": mode,
        "skipped": len(scan.skipped),
        "sizes": {f"{h}x{w}": n for (h, w), n in scan.sizes.most_common(10)},
        "modes": dict(scan.modes),
        "examples": _examples(scan, per_class=6),
    }
    if loaded.val_scan is not None:
        report.details["validation_samples"] = len(loaded.val_scan.files)


def _examples(scan: image_folder.ImageScan, per_class: int) -> dict[str, list[str]]:
    """A few usable files of each class, relative to the folder ("/"-separated)."""
    out: dict[str, list[str]] = {name: [] for name in scan.class_names}
    for path, label in zip(scan.files, scan.labels.tolist(), strict=True):
        chosen = out[scan.class_names[label]]
        if len(chosen) < per_class:
            chosen.append(os.path.relpath(path, scan.root).replace(os.sep, "/"))
    return out


# -- NumPy --------------------------------------------------------------------


def take_arrays(loaded: LoadedSource, arrays: NumpyArrays, feature_shape: tuple[int, ...]) -> bool:
    """Report what NumPy-style ``arrays`` hold (non-finite counts, details, samples,
    constant columns) and keep them in ``loaded``; False when a problem blocks them."""
    report = loaded.report
    report.nan_count, report.inf_count = arrays.nan_count, arrays.inf_count
    report.details = dict(arrays.details or {})
    if arrays.blocked:
        return False
    loaded.arrays = arrays
    report.samples = arrays.n
    report.feature_shape = feature_shape
    report.constant_columns = list(arrays.constant or [])
    return True


def take_validation(loaded: LoadedSource, val: NumpyArrays | None) -> None:
    """Keep a separate validation source's arrays unless they are blocked."""
    if val is not None and not val.blocked:
        loaded.val_arrays = val
        loaded.report.details["validation_samples"] = val.n


def fill_array_targets(report: Report, arrays: NumpyArrays) -> None:
    """The report's target summary from NumPy-style ``arrays`` (kept samples only)."""
    assert arrays.y is not None
    raw = arrays.y_raw if arrays.rows is None else arrays.y_raw[arrays.rows]
    _fill_targets(report, arrays.task, arrays.y, arrays.class_names, arrays.num_outputs, raw)


def _load_numpy(loaded: LoadedSource, log: ProblemLog, state: TaskState, budget: int) -> None:
    config, report = loaded.config, loaded.report
    arrays = numpy_source.load_numpy(config, log, state, budget)
    if arrays is None or not take_arrays(loaded, arrays, arrays.feature_shape):
        return
    report.details["features_shape"] = [int(d) for d in arrays.x.shape]
    report.details["targets_shape"] = [int(d) for d in arrays.y_raw.shape]
    head = np.asarray(arrays.x[:5]).reshape(min(5, len(arrays.x)), -1)[:, :8]
    report.details["preview_rows"] = [
        [float(v) if np.isfinite(v) else str(v) for v in row.tolist()] for row in head
    ]
    report.details["preview_targets"] = [str(v) for v in np.asarray(arrays.y_raw[:5]).tolist()]
    if config.validation_path:
        take_validation(loaded, numpy_source.load_numpy(config, log, state, budget, like=arrays))
    if arrays.task == RECONSTRUCTION:
        plain = config.normalization == "none"
        _fill_reconstruction(report, value_range(arrays.x) if plain else None)
        return
    fill_array_targets(report, arrays)
