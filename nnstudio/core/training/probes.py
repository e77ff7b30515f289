"""Live activations and weights: a fixed probe batch through a multi-output probe model.

The probe runs at a cadence that keeps its cost within a share of the training time
(:class:`~nnstudio.core.training.watch.Cadence`; default 5 %).  Each probe gives, per layer,
compact statistics (mean, spread, dead-unit share for ReLU-family layers, a histogram) and
small arrays for the views: a samples x units heatmap for dense and recurrent layers, feature
maps for convolution layers.

The ``probe`` and ``weights`` events carry plain JSON data (``{layer name: to_json()}``:
dicts, lists, numbers, text; a value that is not finite is ``null``), so a run can report
from another process.  :func:`activations_from_event` and :func:`weights_from_event` read an
event back into :class:`LayerActivation` / :class:`LayerWeights` with NumPy arrays.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnstudio.core.backend import sync_weights, variable_array
from nnstudio.core.training.frozen import (
    FrozenSplit,
    layer_outputs,
    split_frozen,
    static_layers,
)
from nnstudio.core.training.watch import Cadence

log = logging.getLogger("nnstudio.training")

HIST_BINS = 40
MAX_HEAT_SAMPLES = 32
MAX_HEAT_UNITS = 128
MAX_MAP_SAMPLES = 4
MAX_MAP_CHANNELS = 16
MAX_MAP_SIDE = 48
RELU_FAMILY = ("relu", "relu6")


@dataclass
class LayerActivation:
    """One layer's activations on the probe batch."""

    name: str
    kind: str  # "dense" (samples x units), "sequence", "conv" (feature maps) or "other"
    shape: tuple[int, ...]
    mean: float
    std: float
    dead: float | None  # share of units never active on the probe batch (ReLU family)
    hist: np.ndarray  # HIST_BINS counts over hist_range
    hist_range: tuple[float, float]
    heat: np.ndarray | None = None  # (samples, units)
    maps: np.ndarray | None = None  # (samples, H, W, channels)

    def indicator(self) -> str:
        """A short text for the node badge: the dead share, or the mean activation."""
        if self.dead is not None:
            return f"dead {self.dead:.0%}"
        return f"μ {self.mean:.2g}"

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (arrays as nested lists, non-finite values as ``None``)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "shape": [int(d) for d in self.shape],
            "mean": _finite(self.mean),
            "std": _finite(self.std),
            "dead": _finite(self.dead),
            "hist": _plain(self.hist),
            "hist_range": [_finite(v) for v in self.hist_range],
            "heat": _plain(self.heat),
            "maps": _plain(self.maps),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LayerActivation:
        """Read :meth:`to_json` data back (arrays as NumPy)."""
        return cls(
            str(data["name"]),
            str(data["kind"]),
            tuple(int(d) for d in data["shape"]),
            _number(data["mean"]),
            _number(data["std"]),
            None if data.get("dead") is None else float(data["dead"]),
            np.asarray(data["hist"], dtype=np.int64),
            _pair(data["hist_range"]),
            _array(data.get("heat")),
            _array(data.get("maps")),
        )


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _number(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _pair(values: Any) -> tuple[float, float]:
    lo, hi = values
    return _number(lo), _number(hi)


def _plain(a: np.ndarray | None) -> list[Any] | None:
    """An array as nested lists of Python numbers, ``None`` where a value is not finite."""
    if a is None:
        return None
    if a.dtype.kind in "iub" or np.isfinite(a).all():
        return list(a.tolist())
    out = a.astype(object)
    out[~np.isfinite(a)] = None
    return list(out.tolist())


def _array(values: Any) -> np.ndarray | None:
    if values is None:
        return None
    return np.array(values, dtype=np.float32)  # None -> NaN


def histogram(values: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """Counts over :data:`HIST_BINS` equal bins of the finite values' own range."""
    v = values[np.isfinite(values)] if values.size else values
    if v.size == 0:
        return np.zeros(HIST_BINS, np.int64), (0.0, 0.0)
    lo, hi = float(v.min()), float(v.max())
    if hi - lo < max(abs(lo), 1.0) * 1e-6:  # (nearly) constant: a narrow range around it
        hi = lo + max(abs(lo), 1.0) * 1e-3
    counts, _ = np.histogram(v.astype(np.float64), bins=HIST_BINS, range=(lo, hi))
    return counts, (lo, hi)


def is_relu_family(layer: Any) -> bool:
    """True for layers whose output is a ReLU (dead units are possible)."""
    if type(layer).__name__ == "ReLU":
        return True
    # the activation function itself: a layer's config is a deep copy (a backbone's: 0.1 s)
    act = getattr(layer, "activation", None)
    return getattr(act, "__name__", None) in RELU_FAMILY


def summarize(name: str, out: np.ndarray, relu: bool) -> LayerActivation:
    """Statistics and view arrays of one layer's output on the probe batch."""
    a = np.asarray(out, dtype=np.float32)
    rank = a.ndim
    kind = {2: "dense", 3: "sequence", 4: "conv"}.get(rank, "other")
    finite = np.isfinite(a)
    mean = float(a[finite].mean()) if finite.any() else float("nan")
    std = float(a[finite].std()) if finite.any() else float("nan")
    dead = None
    if relu and rank >= 2:
        units = a.reshape(-1, a.shape[-1])
        dead = float(np.mean(~(units > 0).any(axis=0)))
    hist, hist_range = histogram(a.ravel())
    heat = maps = None
    if rank == 2:
        heat = a[:MAX_HEAT_SAMPLES, :MAX_HEAT_UNITS].copy()
    elif rank == 3:
        heat = a[:MAX_HEAT_SAMPLES, -1, :MAX_HEAT_UNITS].copy()  # the last time step
    elif rank == 4:
        step = max(1, -(-max(a.shape[1], a.shape[2]) // MAX_MAP_SIDE))  # keeps the aspect
        maps = a[:MAX_MAP_SAMPLES, ::step, ::step, :MAX_MAP_CHANNELS].copy()
    return LayerActivation(
        name, kind, tuple(a.shape[1:]), mean, std, dead, hist, hist_range, heat, maps
    )


class ActivationProbe:
    """Runs a fixed probe batch through every layer of ``model`` within a time budget.

    ``x`` is the probe batch (inputs only, a few dozen samples).  Layers with more than one
    output tensor or that are used several times are left out.  The part of the model a fit
    cannot change (a frozen backbone: :mod:`~nnstudio.core.training.frozen`) runs once per
    fit, at :meth:`first_run`; later probes run the trainable head only.
    """

    def __init__(self, model: Any, x: Any, budget: float = 0.05) -> None:
        self.x = x
        self.source = model
        self.cadence = Cadence(budget, min_interval=0.2)
        self.layers: list[Any] = []
        self.outputs: list[Any] = []
        for layer, out in layer_outputs(model):
            self.layers.append(layer)
            self.outputs.append(out)
        self._relu = [is_relu_family(layer) for layer in self.layers]
        self.split: FrozenSplit | None = None
        self._fixed: dict[str, LayerActivation] = {}  # the static layers', once per fit
        self._moving = list(range(len(self.layers)))  # the others: by index
        self.model = self._probe_model(model, self.outputs) if self.outputs else None

    @staticmethod
    def _probe_model(model: Any, outputs: list[Any]) -> Any:
        import keras

        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        return keras.Model(inputs, outputs, name="nnstudio_probe")

    @property
    def enabled(self) -> bool:
        """True when there is something to probe and a budget to do it."""
        return self.model is not None and self.cadence.enabled

    def prepare(self) -> None:
        """Cut off the static part for this fit (a two-phase run unfreezes between fits)
        and summarize its layers once."""
        import keras

        self.split, self._fixed, self._moving = None, {}, list(range(len(self.layers)))
        if not self.outputs:
            return
        sync_weights(self.source)
        static = static_layers(self.source)
        fixed = [i for i, layer in enumerate(self.layers) if layer.name in static]
        try:
            split = split_frozen(self.source, self.x, [self.outputs[i] for i in fixed])
        except Exception as exc:  # noqa: BLE001 - the whole model is probed instead
            log.info("probing the whole model: its frozen part could not be cut off: %s", exc)
            split = None
        if split is None:
            self.model = self._probe_model(self.source, self.outputs)
            return
        self.split = split
        for i, out in zip(fixed, split.extra, strict=True):
            layer = self.layers[i]
            self._fixed[layer.name] = summarize(layer.name, out, self._relu[i])
        done = set(fixed)
        self._moving = [i for i in range(len(self.layers)) if i not in done]
        outputs = [self.outputs[i] for i in self._moving]
        self.model = (
            keras.Model(split.head_input, outputs, name="nnstudio_probe") if outputs else None
        )

    def run(self) -> dict[str, LayerActivation]:
        """Probe now: ``{layer name: LayerActivation}``, in the model's layer order."""
        moving: dict[str, LayerActivation] = {}
        if self.model is not None and self._moving:
            sync_weights(self.source)
            x = self.split.head_inputs if self.split is not None else self.x
            outs = self.model.predict_on_batch(x)
            if not isinstance(outs, list | tuple):
                outs = [outs]
            for i, out in zip(self._moving, outs, strict=True):
                layer = self.layers[i]
                moving[layer.name] = summarize(layer.name, out, self._relu[i])
        return {
            layer.name: self._fixed[layer.name] if layer.name in self._fixed else moving[layer.name]
            for layer in self.layers
        }

    def maybe_run(self) -> dict[str, LayerActivation] | None:
        """Probe if the budget allows it now; ``None`` otherwise."""
        if not self.enabled or not self.cadence.due():
            return None
        started = time.perf_counter()
        result = self.run()
        self.cadence.done(started)
        return result

    def first_run(self) -> dict[str, LayerActivation]:
        """The probe at the start of a fit; its one-off costs (cutting off and running the
        static part, tracing) do not count against the budget."""
        self.prepare()
        result = self.run()
        self.cadence.done(time.perf_counter())
        return result


@dataclass
class LayerWeights:
    """One layer's weights at an epoch end: a histogram, the norm and the gradient norm."""

    name: str
    count: int
    norm: float
    hist: np.ndarray
    hist_range: tuple[float, float]
    grad_norm: float | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (non-finite values as ``None``)."""
        return {
            "name": self.name,
            "count": int(self.count),
            "norm": _finite(self.norm),
            "hist": _plain(self.hist),
            "hist_range": [_finite(v) for v in self.hist_range],
            "grad_norm": _finite(self.grad_norm),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LayerWeights:
        """Read :meth:`to_json` data back."""
        grad = data.get("grad_norm")
        return cls(
            str(data["name"]),
            int(data["count"]),
            _number(data["norm"]),
            np.asarray(data["hist"], dtype=np.int64),
            _pair(data["hist_range"]),
            None if grad is None else float(grad),
        )


def activations_from_event(event: Mapping[str, Any]) -> dict[str, LayerActivation]:
    """The layers of a ``probe`` event as :class:`LayerActivation` objects."""
    return {name: LayerActivation.from_json(v) for name, v in event["layers"].items()}


def weights_from_event(event: Mapping[str, Any]) -> dict[str, LayerWeights]:
    """The layers of a ``weights`` event as :class:`LayerWeights` objects."""
    return {name: LayerWeights.from_json(v) for name, v in event["layers"].items()}


def weight_stats(model: Any, grads: dict[str, float] | None = None) -> dict[str, LayerWeights]:
    """Histograms and norms of every layer's trainable weights (``grads``: gradient norms)."""
    out: dict[str, LayerWeights] = {}
    sync_weights(model)
    for layer in model.layers:
        arrays = [variable_array(v).ravel() for v in layer.trainable_weights]
        if not arrays:
            continue
        flat = np.concatenate(arrays).astype(np.float32, copy=False)
        hist, hist_range = histogram(flat)
        out[layer.name] = LayerWeights(
            layer.name,
            int(flat.size),
            float(np.linalg.norm(flat)),
            hist,
            hist_range,
            grads.get(layer.name) if grads else None,
        )
    return out


def gradient_norms(
    model: Any, x: Any, y: Any, split: FrozenSplit | None = None
) -> dict[str, float] | None:
    """L2 norm of each layer's loss gradient on the probe batch (every backend; see
    :mod:`~nnstudio.core.training.gradients`); with the probe's ``split``, through the
    trainable head only."""
    from nnstudio.core.training.gradients import gradient_norms as norms

    return norms(model, x, y, split)
