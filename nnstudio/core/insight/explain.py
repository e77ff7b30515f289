"""Why a trained model decides as it does: attributions of one class score to its input.

Methods (each on a batch of model-ready samples, for the class the caller picks, the
predicted one by default):

* ``gradcam`` -- Grad-CAM on a convolution (the last one by default): the layer's channels
  weighted by their mean gradient, positive part, resized to the input;
* ``saliency`` -- the gradient of the score with respect to the input;
* ``smoothgrad`` -- the gradient averaged over noisy copies of the input;
* ``ig`` -- integrated gradients from a baseline (zeros, blurred, the data's mean) in
  ``steps`` steps (trapezoid rule), all steps of a sample in one or a few passes.

Rows (tabular) get one attribution per feature, sequences one per step
(:func:`step_attributions`); :func:`mean_abs_attributions` summarises a set of rows.
The gradients come from :mod:`.explain_backend`, the only backend-specific part.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnstudio.core.insight.explain_backend import cam_gradients, score_gradients
from nnstudio.core.insight.explain_maps import (
    BASELINES,
    ExplainError,
    input_kind,
    make_baseline,
    resize_map,
)

__all__ = [
    "BASELINES",
    "METHODS",
    "ExplainError",
    "Explanation",
    "cam_layers",
    "default_cam_layer",
    "explain",
    "gradcam",
    "integrated_gradients",
    "mean_abs_attributions",
    "saliency",
    "smoothgrad",
    "step_attributions",
]

METHODS = ("gradcam", "saliency", "smoothgrad", "ig")
ClassIndex = int | Sequence[int] | np.ndarray | None  # one class for all samples, or one each
METHOD_TITLES = {
    "gradcam": "Grad-CAM",
    "saliency": "Saliency (gradients)",
    "smoothgrad": "SmoothGrad",
    "ig": "Integrated gradients",
}
POINT_BUDGET = 4_000_000  # floats per forward/backward pass
MAX_POINTS = 1024  # samples per pass
_CAM_MODELS: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


@dataclass
class Explanation:
    """One sample's attributions for one class.

    ``attributions`` has the sample's shape for the gradient methods and the input's
    spatial shape for Grad-CAM; ``score`` is the model's output for ``class_index``;
    ``check`` holds integrated gradients' completeness (``sum`` of the attributions and
    ``difference`` f(x) - f(baseline)).
    """

    method: str
    class_index: int
    predicted_index: int
    score: float
    attributions: np.ndarray
    kind: str
    layer: str | None = None
    class_name: str | None = None
    predicted_name: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    check: dict[str, float] = field(default_factory=dict)

    def heatmap(self) -> np.ndarray:
        """A map over the input's layout (images: H x W; sequences: steps; rows: features):
        Grad-CAM as is, gradients as the largest magnitude over channels, integrated
        gradients as the summed magnitude."""
        a = np.asarray(self.attributions, np.float32)
        if self.method == "gradcam":
            return a
        if a.ndim == 1:
            return np.abs(a)
        return np.abs(a.sum(axis=-1)) if self.method == "ig" else np.abs(a).max(axis=-1)

    def name_classes(self, names: Sequence[str] | None) -> Explanation:
        """Fill ``class_name`` and ``predicted_name`` from the class names."""
        if names:
            if 0 <= self.class_index < len(names):
                self.class_name = str(names[self.class_index])
            if 0 <= self.predicted_index < len(names):
                self.predicted_name = str(names[self.predicted_index])
        return self

    def to_json(self, arrays: bool = False) -> dict[str, Any]:
        """A JSON-able summary (the attributions themselves with ``arrays=True``)."""
        out: dict[str, Any] = {
            "method": self.method,
            "kind": self.kind,
            "class_index": self.class_index,
            "class": self.class_name,
            "predicted_index": self.predicted_index,
            "predicted": self.predicted_name,
            "score": self.score,
            "layer": self.layer,
            "params": dict(self.params),
            "shape": list(np.shape(self.attributions)),
        }
        if self.check:
            out["completeness"] = dict(self.check)
        if arrays:
            out["attributions"] = np.asarray(self.attributions, np.float64).tolist()
        return out


# -- the model ------------------------------------------------------------------------------
def sample_shape(model: Any) -> tuple[int, ...]:
    """The shape of one sample of the model's one float input."""
    if len(model.inputs) != 1:
        raise ExplainError(
            f"the model has {len(model.inputs)} inputs; explanations need a single input"
        )
    t = model.inputs[0]
    if "int" in str(t.dtype) or "bool" in str(t.dtype):
        raise ExplainError(
            f'input "{t.name}" takes {t.dtype} values (tokens): gradients need a float input'
        )
    shape = tuple(t.shape[1:])
    if any(d is None for d in shape):
        raise ExplainError(f'input "{t.name}" has an open shape {list(shape)}')
    return tuple(int(d) for d in shape)


def _units(model: Any) -> int:
    shape = model.outputs[0].shape[1:]
    return int(np.prod([d or 1 for d in shape]))


def _step(x: np.ndarray) -> int:
    return max(1, min(MAX_POINTS, POINT_BUDGET // max(1, int(np.prod(x.shape[1:])))))


def predict(model: Any, x: np.ndarray) -> np.ndarray:
    """The model's first output on ``x`` as ``(batch, units)``, in chunks."""
    x = np.asarray(x, np.float32)
    if len(x) == 0:
        return np.empty((0, _units(model)), np.float32)
    return _gradients(model, x, np.zeros((len(x), _units(model)), np.float32), True)[0]


def _weights(model: Any, n: int, class_index: ClassIndex) -> np.ndarray:
    """The one-hot score weights of ``class_index`` (zeros when the predicted class is
    wanted: the pass picks it)."""
    units = _units(model)
    w = np.zeros((n, units), np.float32)
    if class_index is None:
        return w
    wanted = np.broadcast_to(np.asarray(class_index, np.int64), (n,))
    limit = 2 if units == 1 else units
    bad = [int(k) for k in wanted if not 0 <= k < limit]
    if bad:
        raise ExplainError(f"class {bad[0]} is out of range (the model has {limit} classes)")
    if units == 1:
        w[:, 0] = np.where(wanted == 0, -1.0, 1.0)
    else:
        w[np.arange(n), wanted] = 1.0
    return w


def _targets(
    preds: np.ndarray, class_index: ClassIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(classes, signs, predicted)``: the column and sign of each sample's score."""
    n, units = preds.shape
    predicted = (preds[:, 0] > 0.5).astype(np.int64) if units == 1 else preds.argmax(axis=1)
    if class_index is None:
        wanted = predicted.copy()
    else:
        wanted = np.broadcast_to(np.asarray(class_index, np.int64), (n,)).copy()
    if units == 1:  # one unit: the score is the output (class 1) or its negative (class 0)
        return np.zeros(n, np.int64), np.where(wanted == 0, -1.0, 1.0), predicted
    return wanted, np.ones(n), predicted


def _chosen(preds: np.ndarray, classes: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """The class index of each sample's score (one unit: 1, or 0 for a negative sign)."""
    return classes if preds.shape[1] > 1 else (signs > 0).astype(np.int64)


def _results(
    method: str,
    kind: str,
    preds: np.ndarray,
    classes: np.ndarray,
    predicted: np.ndarray,
    signs: np.ndarray,
    attributions: np.ndarray,
    **extra: Any,
) -> list[Explanation]:
    units = preds.shape[1]
    out = []
    for i in range(len(preds)):
        k = int(classes[i]) if units > 1 else int(signs[i] > 0)
        score = float(preds[i, classes[i]])
        out.append(Explanation(method, k, int(predicted[i]), score, attributions[i], kind, **extra))
    return out


def _gradients(
    model: Any, x: np.ndarray, weights: np.ndarray, predicted: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Predictions and input gradients of a large batch, in passes of bounded size."""
    step = _step(x)
    preds, grads = [], []
    for start in range(0, len(x), step):
        sl = slice(start, start + step)
        p, g = score_gradients(model, x[sl], weights[sl], predicted)
        preds.append(p.reshape(len(g), -1))
        grads.append(g)
    return np.concatenate(preds), np.concatenate(grads)


# -- methods --------------------------------------------------------------------------------
def saliency(model: Any, x: np.ndarray, class_index: ClassIndex = None) -> list[Explanation]:
    """Vanilla gradients of the class score with respect to each sample."""
    kind = input_kind(sample_shape(model))
    x = np.asarray(x, np.float32)
    weights = _weights(model, len(x), class_index)
    preds, grads = _gradients(model, x, weights, class_index is None)
    classes, signs, predicted = _targets(preds, class_index)
    return _results("saliency", kind, preds, classes, predicted, signs, grads)


def smoothgrad(
    model: Any,
    x: np.ndarray,
    class_index: ClassIndex = None,
    noise: float = 0.15,
    samples: int = 25,
    seed: int = 0,
) -> list[Explanation]:
    """Gradients averaged over ``samples`` copies of each sample with Gaussian noise of
    ``noise`` times the sample's value range."""
    if samples < 1 or noise < 0:
        raise ExplainError("SmoothGrad needs at least 1 sample and a noise level >= 0")
    kind = input_kind(sample_shape(model))
    x = np.asarray(x, np.float32)
    preds = predict(model, x)
    classes, signs, predicted = _targets(preds, class_index)
    rng = np.random.default_rng(seed)
    axes = tuple(range(1, x.ndim))
    sigma = noise * (x.max(axis=axes) - x.min(axis=axes))
    shape = (len(x), samples, *x.shape[1:])
    spread = sigma.reshape(-1, 1, *([1] * (x.ndim - 1)))
    noisy = (x[:, None] + rng.standard_normal(shape, dtype=np.float32) * spread).reshape(
        -1, *x.shape[1:]
    )
    rep = np.repeat(np.arange(len(x)), samples)
    weights = _weights(model, len(x), _chosen(preds, classes, signs))
    _, grads = _gradients(model, noisy.astype(np.float32), weights[rep])
    mean = grads.reshape(shape).mean(axis=1)
    params = {"noise": noise, "samples": samples}
    return _results("smoothgrad", kind, preds, classes, predicted, signs, mean, params=params)


def integrated_gradients(
    model: Any,
    x: np.ndarray,
    class_index: ClassIndex = None,
    baseline: str | np.ndarray = "zeros",
    steps: int = 50,
    data: np.ndarray | None = None,
) -> list[Explanation]:
    """Integrated gradients from ``baseline`` (see :func:`.make_baseline`; ``data`` for
    ``mean``) in ``steps`` steps: ``(x - baseline) * mean gradient on the path``.  Each
    explanation's ``check`` compares the attributions' sum with f(x) - f(baseline)."""
    if steps < 1:
        raise ExplainError("integrated gradients need at least 1 step")
    kind = input_kind(sample_shape(model))
    x = np.asarray(x, np.float32)
    base = make_baseline(baseline, x, data)
    preds = predict(model, x)
    classes, signs, predicted = _targets(preds, class_index)
    alphas = np.linspace(0.0, 1.0, steps + 1, dtype=np.float32)
    weights = np.full(steps + 1, 1.0 / steps, np.float32)
    weights[[0, -1]] /= 2  # the trapezoid rule
    n, m = len(x), steps + 1
    diff = x - base
    shape = (-1, *([1] * (x.ndim - 1)))
    points = base[:, None] + alphas.reshape(1, -1, *([1] * (x.ndim - 1))) * diff[:, None]
    rep = np.repeat(np.arange(n), m)
    scores = _weights(model, n, _chosen(preds, classes, signs))
    path_preds, grads = _gradients(model, points.reshape(-1, *x.shape[1:]), scores[rep])
    avg = (grads.reshape(n, m, *x.shape[1:]) * weights.reshape(1, -1, *shape[1:])).sum(axis=1)
    attributions = diff * avg
    start = path_preds.reshape(n, m, -1)[:, 0, :]
    out = _results(
        "ig",
        kind,
        preds,
        classes,
        predicted,
        signs,
        attributions,
        params={"baseline": baseline if isinstance(baseline, str) else "array", "steps": steps},
    )
    for i, e in enumerate(out):
        f_x = float(signs[i] * preds[i, classes[i]])
        f_b = float(signs[i] * start[i, classes[i]])
        e.check = {"sum": float(attributions[i].sum()), "difference": f_x - f_b}
    return out


def cam_layers(model: Any) -> list[str]:
    """The layers Grad-CAM can use, last first: those whose output keeps the input's spatial
    layout (4-D for images, 3-D for sequences), convolutions before the others."""
    rank = len(sample_shape(model)) + 1
    found = []
    for layer in model.layers:
        if layer.__class__.__name__ == "InputLayer":
            continue
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):
            continue
        if len(shape) == rank and rank >= 3:
            found.append(layer)
    convs = [x.name for x in reversed(found) if "Conv" in x.__class__.__name__]
    return convs + [x.name for x in reversed(found) if x.name not in convs]


def default_cam_layer(model: Any) -> str:
    """The last convolution (else the last layer that keeps the spatial layout)."""
    layers = cam_layers(model)
    if not layers:
        raise ExplainError(
            "Grad-CAM needs a convolution over the input's layout, and this model has none "
            "(use saliency, smoothgrad or ig)"
        )
    return layers[0]


def _cam_model(model: Any, layer: str) -> Any:
    cache = _CAM_MODELS.setdefault(model, {})
    if layer not in cache:
        import keras

        try:
            target = model.get_layer(layer)
        except ValueError:
            raise ExplainError(
                f'the model has no layer "{layer}" (Grad-CAM layers: '
                f"{', '.join(cam_layers(model)) or 'none'})"
            ) from None
        if layer not in cam_layers(model):
            raise ExplainError(
                f'layer "{layer}" has no spatial output for Grad-CAM (choose one of: '
                f"{', '.join(cam_layers(model)) or 'none'})"
            )
        outputs = model.outputs[0]
        cache[layer] = keras.Model(model.inputs, [target.output, outputs])
    return cache[layer]


def gradcam(
    model: Any,
    x: np.ndarray,
    class_index: ClassIndex = None,
    layer: str | None = None,
) -> list[Explanation]:
    """Grad-CAM maps (non-negative, the input's spatial size) of ``layer``."""
    shape = sample_shape(model)
    kind = input_kind(shape)
    name = layer or default_cam_layer(model)
    cam_model = _cam_model(model, name)
    x = np.asarray(x, np.float32)
    weights = _weights(model, len(x), class_index)
    maps, outs = [], []
    step = max(1, min(256, POINT_BUDGET // max(1, int(np.prod(shape)))))
    for start in range(0, len(x), step):
        sl = slice(start, start + step)
        acts, grads, p = cam_gradients(cam_model, x[sl], weights[sl], class_index is None)
        outs.append(p.reshape(len(p), -1))
        spatial = tuple(range(1, acts.ndim - 1))
        weights = grads.mean(axis=spatial, keepdims=True)
        cams = np.maximum((weights * acts).sum(axis=-1), 0.0)
        maps += [resize_map(c, shape[:-1]) for c in cams]
    preds = np.concatenate(outs)
    classes, signs, predicted = _targets(preds, class_index)
    return _results("gradcam", kind, preds, classes, predicted, signs, np.stack(maps), layer=name)


def explain(
    model: Any,
    x: np.ndarray,
    method: str,
    class_index: ClassIndex = None,
    **options: Any,
) -> list[Explanation]:
    """Run ``method`` (one of :data:`METHODS`) with its options on the batch ``x``."""
    if method == "gradcam":
        return gradcam(model, x, class_index, layer=options.get("layer"))
    if method == "saliency":
        return saliency(model, x, class_index)
    if method == "smoothgrad":
        keys = ("noise", "samples", "seed")
        return smoothgrad(model, x, class_index, **{k: options[k] for k in keys if k in options})
    if method == "ig":
        keys = ("baseline", "steps", "data")
        return integrated_gradients(
            model, x, class_index, **{k: options[k] for k in keys if k in options}
        )
    raise ExplainError(f"unknown method {method!r} (one of: {', '.join(METHODS)})")


# -- summaries ------------------------------------------------------------------------------
def step_attributions(e: Explanation) -> np.ndarray:
    """A sequence's attribution per step (the sum over the feature axis)."""
    a = np.asarray(e.attributions, np.float32)
    return a if a.ndim == 1 else a.sum(axis=-1)


def mean_abs_attributions(
    model: Any,
    rows: np.ndarray,
    class_index: ClassIndex = None,
    baseline: str | np.ndarray = "mean",
    steps: int = 50,
    data: np.ndarray | None = None,
) -> np.ndarray:
    """The mean |integrated-gradients attribution| of each feature over ``rows`` (the
    ``mean`` baseline is the mean of ``data``, by default of ``rows`` themselves)."""
    rows = np.asarray(rows, np.float32)
    if len(rows) == 0:
        raise ExplainError("no rows to summarise")
    found = integrated_gradients(
        model, rows, class_index, baseline, steps, rows if data is None else data
    )
    return np.mean([np.abs(e.attributions) for e in found], axis=0)
