"""The export: every format written atomically, verified before it takes its place.

For each format the artefact is written to a temporary path in the target folder, reloaded
there with its own runtime and compared with the in-app model on a sample batch; only when
that passes is it moved into place (``os.replace``) and its model card written beside it.  A
failure at any point (full disk, read-only folder, converter error, failed verification)
removes the temporary path and leaves an earlier export at that path byte-identical.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.core.atomic import atomic_dir, atomic_path
from nnstudio.core.backend import variable_array
from nnstudio.core.export import samples as sm
from nnstudio.core.export.formats import FORMATS, ExportJob, Format
from nnstudio.core.export.model_card import (
    build_card,
    card_json,
    card_path_for,
    input_info,
    output_info,
)
from nnstudio.core.export.preprocessing import (
    InputPreprocessing,
    bake_model,
    bakeable,
    invert_steps,
    read_preprocessing,
)
from nnstudio.core.export.report import ExportError, ExportReport, FormatResult, Verification
from nnstudio.core.export.source import ExportSource, run_outputs
from nnstudio.core.export.verify import compare, predict_in_process, predict_tflite
from nnstudio.core.tasks import TaskState, text_progress

FLOAT_TOLERANCE = 1e-4
Progress = Callable[[float, str], None]


@dataclass
class ExportRun:
    """Everything one export carries from format to format.

    ``model`` is the source model, ``exported`` what is written (``model`` with baked
    preprocessing when ``baked``), ``feed`` the sample batch ``exported`` takes,
    ``reference`` the source model's predictions on it, ``preps`` the recorded
    preprocessing that fits, ``validation`` model-ready ``(x, y)`` for scoring quantized
    formats, ``job`` what the writers share.
    """

    source: ExportSource
    model: Any
    exported: Any
    job: ExportJob
    feed: Mapping[str, np.ndarray]
    reference: Mapping[str, np.ndarray]
    tolerance: float
    preps: dict[str, InputPreprocessing] = field(default_factory=dict)
    baked: bool = False
    validation: tuple[Any, Any] | None = None

    @property
    def baked_preps(self) -> Mapping[str, InputPreprocessing]:
        """The preprocessing in front of the exported model (none when not baked)."""
        return self.preps if self.baked else {}


def parse_formats(formats: Iterable[str]) -> list[str]:
    """Known format keys, in the order given, without repeats."""
    out: list[str] = []
    for f in formats:
        key = f.strip().lower()
        if key not in FORMATS:
            raise ExportError(f'unknown export format "{f}" (choose from {", ".join(FORMATS)})')
        if key not in out:
            out.append(key)
    if not out:
        raise ExportError("choose at least one export format")
    return out


def plan_targets(
    formats: Iterable[str], destination: str | Path, base_name: str = "model"
) -> dict[str, Path]:
    """Where each format goes.  ``destination`` is a folder (created if needed) that gets
    ``model.keras``, ``model_savedmodel/``, ``model.tflite``, ``model_int8.tflite``,
    ``model.onnx``, ``model_python/``; with one format, a path ending like that format
    (``x.keras``, ``x.tflite``, ``x.onnx``, ``x_savedmodel``, ``x_python``) is the export."""
    keys = parse_formats(formats)
    dest = Path(destination)
    if len(keys) == 1 and dest.name.endswith(FORMATS[keys[0]].target_suffix):
        if dest.is_dir() != FORMATS[keys[0]].is_dir and dest.exists():
            kind = "folder" if dest.is_dir() else "file"
            raise ExportError(f"{dest}: a {kind} is already there")
        return {keys[0]: dest}
    if dest.exists() and not dest.is_dir():
        raise ExportError(f"{dest}: is a file; give a folder for the exports")
    return {k: dest / FORMATS[k].default_name(base_name) for k in keys}


def check_weights_finite(model: Any) -> None:
    """Refuse a model with NaN or Inf weights, naming the first layer that has them."""
    for layer in model.layers:
        for w in layer.weights:
            value = variable_array(w)
            if value.size and not np.all(np.isfinite(value)):
                raise ExportError(
                    f'layer "{layer.name}" has non-finite weights (NaN or Inf): '
                    "the model diverged, so it is not exported"
                )


@contextlib.contextmanager
def _atomic_target(path: Path, is_dir: bool) -> Iterator[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    ctx = atomic_dir(path) if is_dir else atomic_path(path)
    with ctx as tmp:
        if is_dir:
            os.chmod(tmp, 0o755)  # a private temporary folder becomes an ordinary one
        yield tmp


def export_model(
    source: ExportSource,
    formats: Iterable[str],
    destination: str | Path,
    *,
    bake: bool = False,
    base_name: str = "model",
    sample: Any | None = None,
    validation: tuple[Any, Any] | None = None,
    sample_size: int = sm.DEFAULT_SAMPLES,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    state: TaskState | None = None,
) -> ExportReport:
    """Export ``source`` in each of ``formats`` to ``destination`` (see :func:`plan_targets`).

    ``sample`` (model-ready inputs) is the verification batch; by default the first
    ``sample_size`` rows of ``validation`` (model-ready ``(x, y)``), else synthetic values.
    ``bake`` puts the recorded preprocessing into the exported model so it takes raw inputs.
    A format that fails is reported in its :class:`FormatResult`; the others still run.
    Raises :class:`ExportError` before writing anything for a model that cannot be exported
    (non-finite weights, unknown format, unusable destination).  Progress and cancellation
    go through ``state`` (a :class:`~nnstudio.core.tasks.TaskState`), or the older
    ``progress(fraction, text)`` and ``cancelled()`` callbacks.
    """
    state = state or TaskState(keep_events=False, cancelled=cancelled)
    report_progress = progress or text_progress(state)
    targets = plan_targets(formats, destination, base_name)
    model = source.model
    check_weights_finite(model)
    report = ExportReport(warnings=list(source.warnings))
    input_names = [t.name for t in model.inputs]
    preps = read_preprocessing(source.preprocessing, input_names)
    if bake and not bakeable(preps):
        report.warnings.append(
            "no preprocessing was recorded for this model, so there is nothing to bake in"
        )
        bake = False
    report_progress(0.0, "Preparing the sample batch")
    ready = _ready_sample(model, sample, validation, sample_size)
    reference = _reference(model, ready)
    preps = _fitting_preprocessing(preps, ready, bake, report)
    exported, feed = _baked(model, preps, ready) if bake else (model, ready)
    tolerance = FLOAT_TOLERANCE * max(
        1.0, *(float(np.max(np.abs(r))) if r.size else 0.0 for r in reference.values())
    )
    steps = len(targets)
    with tempfile.TemporaryDirectory(prefix="nnstudio-export-") as scratch:
        job = ExportJob(exported, declared_outputs(source), Path(scratch), dict(feed))
        run = ExportRun(
            source, model, exported, job, feed, reference, tolerance, preps, bake, validation
        )
        try:
            for i, (key, target) in enumerate(targets.items()):
                if state.stop_requested:
                    report.cancelled = True
                    break
                fmt = FORMATS[key]
                report_progress(i / steps, f"Exporting {fmt.title}")
                report.results.append(_export_one(run, fmt, target))
        finally:
            job.close()
    report_progress(1.0, "Done" if not report.cancelled else "Cancelled")
    return report


def declared_outputs(source: ExportSource) -> dict[str, tuple[str, float, list[str]]]:
    """Loss, loss weight and metrics of each output by name: what the run trained with, else
    the graph's declarations, else the model's compiled losses."""
    graph = source.graph
    if source.run and run_outputs(source.run, graph):
        return run_outputs(source.run, graph)
    if graph is not None and graph.outputs:
        return {
            graph.nodes[o.node].name: (o.loss, o.loss_weight, list(o.metrics))
            for o in graph.outputs
            if o.node in graph.nodes
        }
    from nnstudio.core.export.model_card import loss_name

    return {name: (loss_name(loss) or "mse", 1.0, []) for name, loss in source.losses.items()}


def _reference(model: Any, ready: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The in-app model's predictions on the sample (this also calls it once, which the ONNX
    exporter needs)."""
    try:
        return predict_in_process(model, ready)
    except ExportError:
        raise
    except Exception as exc:  # Keras raises many types
        raise ExportError(f"the model cannot run on a sample batch: {_first_line(exc)}") from None


def _fitting_preprocessing(
    preps: dict[str, InputPreprocessing],
    ready: Mapping[str, np.ndarray],
    bake: bool,
    report: ExportReport,
) -> dict[str, InputPreprocessing]:
    """The recorded preprocessing that fits the model's inputs.  One that does not is an
    error when it is to be baked in, else left out of the card with a warning."""
    out = dict(preps)
    for name, prep in preps.items():
        try:
            invert_steps(prep, ready[name])
        except ExportError as exc:
            if bake:
                raise ExportError(
                    f"the recorded preprocessing does not fit the model's inputs "
                    f"({exc}); export without baking it in"
                ) from None
            report.warnings.append(
                f'input "{name}": {exc}; the preprocessing is left out of the model card'
            )
            del out[name]
    return out


def _baked(
    model: Any, preps: Mapping[str, InputPreprocessing], ready: Mapping[str, np.ndarray]
) -> tuple[Any, dict[str, np.ndarray]]:
    """The model with its preprocessing in front, and the sample as raw inputs for it."""
    try:
        exported = bake_model(model, preps)
        feed = _raw_sample(ready, preps)
        predict_in_process(exported, feed)
    except ExportError:
        raise
    except Exception as exc:  # Keras raises many types
        raise ExportError(
            "the recorded preprocessing does not fit the model's inputs "
            f"({_first_line(exc)}); export without baking it in"
        ) from None
    return exported, feed


def _ready_sample(
    model: Any, sample: Any | None, validation: tuple[Any, Any] | None, n: int
) -> dict[str, np.ndarray]:
    names = [t.name for t in model.inputs]
    if sample is not None:
        batch = sm.as_input_dict(sample, names)
    elif validation is not None:
        batch = sm.take(sm.as_input_dict(validation[0], names), n)
    else:
        batch = sm.synthetic_sample(model, n)
    sm.check_sample(model, batch)
    return batch


def _raw_sample(
    ready: Mapping[str, np.ndarray], preps: Mapping[str, InputPreprocessing]
) -> dict[str, np.ndarray]:
    return {name: invert_steps(preps[name], x) if name in preps else x for name, x in ready.items()}


def _export_one(run: ExportRun, fmt: Format, target: Path) -> FormatResult:
    """Write, verify and move one format into place, its card beside it.

    The card's temporary file is the outer context, the artefact's the inner one: a failure
    anywhere before the artefact's move keeps both the earlier artefact and its card; the
    card moves into place right after the artefact.
    """
    result = FormatResult(fmt.key, target)
    started = time.perf_counter()
    card_path = card_path_for(target)
    job, feed, tolerance = run.job, run.feed, run.tolerance
    try:
        problem = fmt.unavailable()
        if problem:
            raise ExportError(problem)
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(card_path) as card_tmp, _atomic_target(target, fmt.is_dir) as tmp:
            fmt.writer(job, tmp)
            t0 = time.perf_counter()
            got = fmt.verifier(tmp, feed)
            diffs = compare(run.reference, got)
            verification = Verification(
                runtime=fmt.runtime,
                samples=sm.batch_size(feed),
                max_abs_diff=max(diffs.values(), default=0.0),
                per_output=diffs,
                tolerance=None if fmt.quantized else tolerance,
                note="; ".join(job.notes.get(fmt.key, [])),
            )
            if fmt.quantized and run.validation is not None:
                _score_quantized(run, verification, tmp, run.validation)
            elif fmt.quantized:
                verification.note = "; ".join(
                    filter(None, [verification.note, "no validation data: accuracy not measured"])
                )
            verification.seconds = time.perf_counter() - t0
            result.verification = verification
            if not verification.passed:
                raise ExportError(
                    f"verification failed: {fmt.runtime} differs from the model "
                    f"by {verification.max_abs_diff:.3g} (tolerance "
                    f"{tolerance:.0e})"
                )
            card_tmp.write_text(card_json(_card(run, result, fmt)), encoding="utf-8")
        result.card_path = card_path
    except ExportError as exc:
        result.error = str(exc)
    except OSError as exc:
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        result.error = f"could not write {target}: {exc.strerror or exc}{where}"
    except Exception as exc:  # converter and runtime errors of many types
        result.error = f"{fmt.title} failed: {type(exc).__name__}: {_first_line(exc)}"
    result.seconds = time.perf_counter() - started
    return result


def _score_quantized(
    run: ExportRun, verification: Verification, path: Path, validation: tuple[Any, Any]
) -> None:
    model, preps = run.model, run.baked_preps
    names = [t.name for t in model.inputs]
    x_ready = sm.as_input_dict(validation[0], names)
    y = validation[1]
    if len(model.outputs) != 1 or isinstance(y, (list, tuple, Mapping)):
        verification.note = "; ".join(
            filter(
                None,
                [verification.note, "validation accuracy is measured for single-output models"],
            )
        )
        return
    x_feed = _raw_sample(x_ready, preps) if preps else x_ready
    quantized = next(iter(predict_tflite(path, x_feed).values()))
    reference = next(iter(predict_in_process(model, x_ready).values()))
    info = output_info(model, {}, None)[0]
    verification.validation_samples = len(reference)
    labels = sm.class_indices(y)
    if (
        info["kind"] in ("classes", "unknown")
        and labels is not None
        and (reference.ndim == 2 and reference.shape[1] > 1)
    ):
        verification.accuracy = float(np.mean(np.argmax(quantized, axis=1) == labels))
        verification.reference_accuracy = float(np.mean(np.argmax(reference, axis=1) == labels))
        return
    if (
        labels is not None
        and reference.ndim == 2
        and reference.shape[1] == 1
        and set(np.unique(labels)) <= {0, 1}
    ):
        cut = 0.5 if info["activation"] == "sigmoid" else 0.0
        verification.accuracy = float(np.mean((quantized[:, 0] > cut) == labels))
        verification.reference_accuracy = float(np.mean((reference[:, 0] > cut) == labels))
        return
    target = np.asarray(y, dtype=np.float64).reshape(reference.shape)
    verification.mae = float(np.mean(np.abs(quantized - target)))
    verification.reference_mae = float(np.mean(np.abs(reference - target)))


def _card(run: ExportRun, result: FormatResult, fmt: Format) -> dict[str, Any]:
    source, exported, preps, baked, job = (
        run.source,
        run.exported,
        run.preps,
        run.baked,
        run.job,
    )
    card = build_card(
        fmt=fmt.key,
        title=fmt.title,
        export_path=result.path,
        model=exported,
        model_name=source.name,
        inputs=input_info(exported, preps),
        outputs=output_info(exported, source.losses, source.class_names),
        preprocessing=[p.to_json() for p in preps.values()],
        baked=baked,
        recorded_preprocessing=source.preprocessing,
        trained=source.trained,
        run_id=source.run_id,
        data_hash=source.data_hash,
        metrics=source.metrics,
        verification=result.verification.to_json() if result.verification else None,
        notes=[*source.warnings, *job.notes.get(fmt.key, [])],
    )
    card.update(source.card_extra)  # e.g. a GAN generator's "generator" section
    return card


def _first_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= 300 else text[:297] + "..."
