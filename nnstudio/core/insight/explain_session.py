"""What the window's Explain panel works on: the project's latest trained run, its
validation samples (model-ready), their predictions, and explanations of one sample.

Plain functions for a background task (no Qt): :func:`load_run_samples` once per run, then
:func:`explain_sample` and :func:`mean_abs_over_split` per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnstudio.core.insight.explain import (
    Explanation,
    cam_layers,
    explain,
    mean_abs_attributions,
    predict,
    sample_shape,
)
from nnstudio.core.insight.explain_maps import ExplainError, input_kind

MAX_SAMPLES = 500


@dataclass
class RunSamples:
    """A run's model and validation samples: ``x`` model-ready, ``labels`` the true class
    indices (``None`` when the task is not classification), ``preds`` the model's outputs."""

    model: Any
    run_id: str
    run_name: str
    x: np.ndarray
    labels: np.ndarray | None
    preds: np.ndarray
    kind: str
    class_names: list[str] = field(default_factory=list)
    feature_names: list[str] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)

    @property
    def predicted(self) -> np.ndarray:
        """The predicted class of each sample (one unit: above 0.5)."""
        p = self.preds
        return (p[:, 0] > 0.5).astype(np.int64) if p.shape[1] == 1 else p.argmax(axis=1)

    def misclassified(self) -> list[int]:
        """The indices of the wrongly predicted samples, most confident first."""
        if self.labels is None:
            return []
        wrong = np.flatnonzero(self.predicted != self.labels)
        confidence = self.preds.max(axis=1)[wrong]
        return [int(i) for i in wrong[np.argsort(-confidence, kind="stable")]]

    def describe(self, index: int) -> str:
        """``#12: true 3, predicted 5 (0.82)``."""
        names = self.class_names
        pred = int(self.predicted[index])
        text = f"#{index}: predicted {names[pred] if pred < len(names) else pred}"
        if self.labels is not None:
            true = int(self.labels[index])
            text += f", true {names[true] if true < len(names) else true}"
        return text


def _labels(y: Any, n_classes: int) -> np.ndarray | None:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1).astype(np.int64)
    flat = y.reshape(len(y), -1)
    if flat.shape[1] != 1 or n_classes < 2:
        return None
    values = flat[:, 0]
    if not np.all(np.isfinite(values)) or not np.allclose(values, np.round(values)):
        return None
    return np.round(values).astype(np.int64)


def load_run_samples(state: Any, project: Any, limit: int = MAX_SAMPLES) -> RunSamples:
    """Load the latest trained run's model and up to ``limit`` validation samples (a
    background task's function: ``state`` is its :class:`~nnstudio.core.tasks.TaskState`)."""
    from nnstudio.core.export import ExportError
    from nnstudio.core.export.source import source_from_project, validation_arrays
    from nnstudio.core.training.runs import latest_run

    run = latest_run(project)
    if run is None:
        raise ExplainError("no trained run yet: train the model, then explain its predictions")
    _progress(state, "Loading the run's model")
    try:
        source = source_from_project(project, run.id)
    except ExportError as exc:
        raise ExplainError(str(exc).splitlines()[0]) from None
    model = source.model
    kind = input_kind(sample_shape(model))
    _progress(state, "Reading the validation samples")
    arrays = validation_arrays(source, limit)
    if arrays is None:
        raise ExplainError("the run's data has no validation samples to explain")
    x = np.asarray(arrays[0], np.float32)
    preds = predict(model, x)
    names = source.class_names
    class_names = [str(c) for c in names] if isinstance(names, list) else []
    if not class_names and preds.shape[1] > 1:
        class_names = [str(i) for i in range(preds.shape[1])]
    features = _feature_names(source, model, x.shape[-1]) if kind == "tabular" else []
    layers = cam_layers(model) if kind != "tabular" else []
    return RunSamples(
        model,
        run.id,
        run.name or run.id,
        x,
        _labels(arrays[1], len(class_names)),
        preds,
        kind,
        class_names,
        [str(f) for f in features],
        layers,
    )


def _feature_names(source: Any, model: Any, n: int) -> list[str]:
    """The CSV columns behind the features when they map one to one, else ``f0, f1, ...``."""
    from nnstudio.core.export import ExportError
    from nnstudio.core.export.preprocessing import read_preprocessing

    try:
        preps = read_preprocessing(source.preprocessing, [t.name for t in model.inputs])
    except ExportError:
        preps = {}
    names = next((p.column_names for p in preps.values()), [])
    return names if len(names) == n else [f"f{i}" for i in range(n)]


def _progress(state: Any, text: str) -> None:
    if state is not None and hasattr(state, "set_progress"):
        state.set_progress(0.0, 1.0, text, force=True)


def explain_sample(
    state: Any,
    samples: RunSamples,
    index: int,
    method: str,
    class_index: int | None = None,
    layer: str | None = None,
) -> Explanation:
    """One validation sample's explanation (``class_index`` ``None``: the predicted one)."""
    if not 0 <= index < len(samples.x):
        raise ExplainError(f"no sample {index} (the split has {len(samples.x)})")
    options: dict[str, Any] = {}
    if method == "gradcam" and layer:
        options["layer"] = layer
    if method == "ig":
        options.update(baseline="mean" if samples.kind == "tabular" else "zeros", data=samples.x)
    (found,) = explain(samples.model, samples.x[index : index + 1], method, class_index, **options)
    return found.name_classes(samples.class_names)


def mean_abs_over_split(
    state: Any, samples: RunSamples, class_index: int | None = None
) -> np.ndarray:
    """The mean |integrated gradients| per feature over the validation samples."""
    wanted = samples.predicted if class_index is None else class_index
    return mean_abs_attributions(samples.model, samples.x, wanted, "mean", 32, samples.x)
