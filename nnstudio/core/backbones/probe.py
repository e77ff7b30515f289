"""Build and call a backbone node's layer, with a cheap stand-in for shape inference.

Building a keras.applications model costs about a second (ResNet50: ~180 layers), so a shape
probe (inside ``keras.StatelessScope``) builds the real one once per (parameters, input shape)
and afterwards gets a stand-in layer that has the same output shape and weight counts.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from nnstudio.core.backbones import build as bb
from nnstudio.core.backbones.architectures import get

_PENDING = "_nnstudio_pending"
_PROBES: OrderedDict[Any, tuple[tuple[int | None, ...], int, int]] = OrderedDict()
_PROBE_CACHE_SIZE = 64
_SHAPE_KEYS = ("architecture", "alpha", "input_size", "pooling", "input_range", "preprocess")
_TRAIN_KEYS = ("trainable", "unfreeze_from", "batchnorm")


def _in_stateless_scope() -> bool:
    try:
        from keras.src.backend.common.stateless_scope import in_stateless_scope
    except ImportError:  # pragma: no cover - a Keras without it: always build for real
        return False
    return bool(in_stateless_scope())


def build_node(params: Mapping[str, Any], name: str) -> Any:
    """The node's (empty) ``keras.Sequential``; it is filled on the first call."""
    import keras

    problem = bb.size_problem(params)
    if problem:
        raise bb.BackboneError(problem)
    seq = keras.Sequential(name=name)
    setattr(seq, _PENDING, dict(params))
    if not _in_stateless_scope():
        bb.fill(seq, params)
    return seq


def call_node(seq: Any, x: Any) -> Any:
    """Fill ``seq`` for the input ``x`` and call it (frozen: with ``training=False``)."""
    params: dict[str, Any] = getattr(seq, _PENDING)
    in_shape = tuple(x.shape)
    if _in_stateless_scope() and not seq.layers:
        return _probe_call(seq, params, in_shape, x)
    app = seq.layers[-1]
    bb.fit_input(seq, params, in_shape)
    out = seq(x, training=False) if params["trainable"] == "frozen" else seq(x)
    _finish(seq, app, params)
    return out


def _finish(seq: Any, app: Any, params: Mapping[str, Any]) -> None:
    """Fixed preprocessing weights, the pretrained weights, then trainability."""
    from nnstudio.core.backbones.weights import load, resolve

    bb.set_fixed_weights(seq)
    if params["weights"] != "none":
        path = resolve(params)
        if path is not None:
            load(app, path, seq.name)
    arch = get(params["architecture"])
    bb.apply_trainable(
        app, arch, params["trainable"], int(params["unfreeze_from"]), params["batchnorm"]
    )


def _key(params: Mapping[str, Any], in_shape: tuple[int | None, ...]) -> Any:
    return (
        tuple(params[k] for k in _SHAPE_KEYS),
        tuple(params[k] for k in _TRAIN_KEYS),
        in_shape[1:],
    )


def _probe_call(seq: Any, params: dict[str, Any], in_shape: tuple[int | None, ...], x: Any) -> Any:
    key = _key(params, in_shape)
    found = _PROBES.get(key)
    if found is None:
        app = bb.fill(seq, params)
        bb.fit_input(seq, params, in_shape)
        out = seq(x)
        arch = get(params["architecture"])
        bb.apply_trainable(
            app, arch, params["trainable"], int(params["unfreeze_from"]), params["batchnorm"]
        )
        total = sum(math.prod(w.shape) for w in seq.weights)
        trainable = sum(math.prod(w.shape) for w in seq.trainable_weights)
        _PROBES[key] = (tuple(out.shape[1:]), int(total), int(trainable))
        if len(_PROBES) > _PROBE_CACHE_SIZE:
            _PROBES.popitem(last=False)
        return out
    _PROBES.move_to_end(key)
    tail, total, trainable = found
    seq.add(_stand_in(tail, total, trainable))
    return seq(x)


def _stand_in(tail: tuple[int | None, ...], total: int, trainable: int) -> Any:
    """A layer with the backbone's output shape and weight counts (nothing computed)."""
    import keras

    class _StandIn(keras.layers.Layer):
        def build(self, input_shape: Any) -> None:
            if trainable:
                self.add_weight(shape=(trainable,), initializer="zeros", trainable=True)
            if total - trainable:
                self.add_weight(shape=(total - trainable,), initializer="zeros", trainable=False)

        def compute_output_shape(self, input_shape: Any) -> Any:
            return (input_shape[0], *tail)

        def call(self, inputs: Any) -> Any:  # pragma: no cover - only ever called symbolically
            raise RuntimeError("a shape probe stand-in is not computed")

    return _StandIn(name="backbone_probe")
