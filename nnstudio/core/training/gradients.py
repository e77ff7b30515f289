"""Per-layer gradient norms of the loss on a probe batch, on each Keras backend.

Keras 3 has no backend-neutral way to take gradients outside ``fit``: TensorFlow uses a
``GradientTape``, JAX ``jax.grad`` of the model's stateless loss, torch autograd.  With a
:class:`~nnstudio.core.training.frozen.FrozenSplit`, TensorFlow and torch run only the
trainable head on the frozen part's stored outputs (the same gradients, without the
backbone's forward pass).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnstudio.core.backend import sync_weights
from nnstudio.core.training.frozen import FrozenSplit


def gradient_norms(
    model: Any, x: Any, y: Any, split: FrozenSplit | None = None
) -> dict[str, float] | None:
    """L2 norm of each layer's loss gradient on ``(x, y)`` (``None`` without targets or on
    an unknown backend); ``split``: ``model`` cut at its frozen part, on this ``x``."""
    import keras

    if y is None:
        return None
    sync_weights(model)
    variables = list(model.trainable_variables)
    if not variables:
        return {}
    backend = keras.backend.backend()
    if backend == "tensorflow":
        grads = _tensorflow(model, x, y, variables, split)
    elif backend == "jax":
        grads = _jax(model, x, y)
    elif backend == "torch":
        grads = _torch(model, x, y, variables, split)
    else:
        return None
    owner = {id(v): layer.name for layer in model.layers for v in layer.trainable_weights}
    sums: dict[str, float] = {}
    for v, g in zip(variables, grads, strict=True):
        name = owner.get(id(v))
        if g is not None and name is not None:
            a = np.asarray(g, dtype=np.float64)
            sums[name] = sums.get(name, 0.0) + float(np.sum(a * a))
    return {name: float(np.sqrt(s)) for name, s in sums.items()}


def _forward(model: Any, x: Any, split: FrozenSplit | None) -> Any:
    if split is not None:
        return split.head(split.head_inputs, training=False)
    return model(x, training=False)


def _tensorflow(
    model: Any, x: Any, y: Any, variables: list[Any], split: FrozenSplit | None
) -> list[Any]:
    import tensorflow as tf

    with tf.GradientTape() as tape:
        y_pred = _forward(model, x, split)
        loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
    # an Embedding's gradient is sparse (IndexedSlices): made dense, its norm is the same
    grads = tape.gradient(loss, [v.value for v in variables])
    return [None if g is None else tf.convert_to_tensor(g).numpy() for g in grads]


def _jax(model: Any, x: Any, y: Any) -> list[Any]:
    import jax

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    metrics = [v.value for v in model.metrics_variables]

    def loss(values: list[Any]) -> Any:
        out = model.compute_loss_and_updates(
            values, non_trainable, metrics, x, y, None, training=False
        )
        return out[0]

    return [np.asarray(g) for g in jax.grad(loss)(trainable)]


def _torch(
    model: Any, x: Any, y: Any, variables: list[Any], split: FrozenSplit | None
) -> list[Any]:
    import torch

    model.zero_grad()
    y_pred = _forward(model, x, split)
    loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
    params = [v.value for v in variables]
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    return [None if g is None else g.detach().cpu().numpy() for g in grads]
