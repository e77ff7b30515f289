"""The one backend-specific part of the explanations: gradients of a class score.

Two primitives, each returning plain numpy arrays:

* :func:`score_gradients` -- the gradient of each sample's class score with respect to the
  model's input (saliency, SmoothGrad, integrated gradients);
* :func:`cam_gradients` -- a layer's activation and the gradient of the class score with
  respect to it (Grad-CAM), through a model with two outputs ``[activation, predictions]``.

The class score of sample ``i`` is ``predictions[i, classes[i]]``; for a model with one
output unit it is ``signs[i] * predictions[i, 0]`` (``-1`` explains class 0 of a binary
classifier).  TensorFlow (``tf.GradientTape``) is the tested backend; JAX (``jax.vjp``) and
PyTorch (autograd) follow the same steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["backend_name", "cam_gradients", "score_gradients", "to_numpy"]


def backend_name() -> str:
    """The Keras backend in use (``tensorflow``, ``jax``, ``torch``, ...)."""
    import keras

    return str(keras.backend.backend())


def to_numpy(t: Any) -> np.ndarray:
    """A backend tensor (or array) as numpy."""
    if isinstance(t, np.ndarray):
        return t
    if hasattr(t, "numpy") and backend_name() == "tensorflow":
        return np.asarray(t.numpy())
    import keras

    return np.asarray(keras.ops.convert_to_numpy(t))


def _pick(preds: Any, classes: np.ndarray, signs: np.ndarray, ops: Any) -> Any:
    """Per-sample class scores from a ``(batch, units)`` prediction tensor."""
    preds = ops.reshape(preds, (len(classes), -1))
    onehot = np.zeros((len(classes), int(preds.shape[-1])), dtype=np.float32)
    onehot[np.arange(len(classes)), classes] = signs
    return ops.sum(preds * ops.convert_to_tensor(onehot, dtype=preds.dtype), axis=-1)


def score_gradients(
    model: Any, x: np.ndarray, classes: np.ndarray, signs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(predictions, d score / d x)`` for the batch ``x`` (numpy, float32)."""
    fn = _BACKENDS.get(backend_name())
    if fn is None:
        raise NotImplementedError(
            f"explanations need the tensorflow, jax or torch backend, not {backend_name()}"
        )
    return fn(model, np.asarray(x, np.float32), classes, signs)


def cam_gradients(
    cam_model: Any, x: np.ndarray, classes: np.ndarray, signs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(activation, d score / d activation, predictions)`` of a two-output model."""
    name = backend_name()
    x = np.asarray(x, np.float32)
    if name == "tensorflow":
        return _tf_cam(cam_model, x, classes, signs)
    if name == "torch":
        return _torch_cam(cam_model, x, classes, signs)
    if name == "jax":
        return _jax_cam(cam_model, x, classes, signs)
    raise NotImplementedError(f"Grad-CAM needs the tensorflow, jax or torch backend, not {name}")


# -- TensorFlow -------------------------------------------------------------------------
def _tf_scores(model: Any, x: np.ndarray, classes: np.ndarray, signs: np.ndarray) -> Any:
    import keras
    import tensorflow as tf

    xt = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        preds = model(xt, training=False)
        score = _pick(preds, classes, signs, keras.ops)
    return preds.numpy(), tape.gradient(score, xt).numpy()


def _tf_cam(
    cam_model: Any, x: np.ndarray, classes: np.ndarray, signs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import keras
    import tensorflow as tf

    with tf.GradientTape() as tape:
        acts, preds = cam_model(tf.convert_to_tensor(x), training=False)
        score = _pick(preds, classes, signs, keras.ops)
    grads = tape.gradient(score, acts)
    return acts.numpy(), grads.numpy(), preds.numpy()


# -- PyTorch ----------------------------------------------------------------------------
def _torch_scores(
    model: Any, x: np.ndarray, classes: np.ndarray, signs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    import keras
    import torch

    xt = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)
    preds = model(xt, training=False)
    score = _pick(preds, classes, signs, keras.ops)
    (grad,) = torch.autograd.grad(score.sum(), xt)
    return keras.ops.convert_to_numpy(preds.detach()), grad.detach().cpu().numpy()


def _torch_cam(
    cam_model: Any, x: np.ndarray, classes: np.ndarray, signs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import keras
    import torch

    acts, preds = cam_model(keras.ops.convert_to_tensor(x), training=False)
    score = _pick(preds, classes, signs, keras.ops)
    (grad,) = torch.autograd.grad(score.sum(), acts)
    return tuple(t.detach().cpu().numpy() for t in (acts, grad, preds))  # type: ignore[return-value]


# -- JAX --------------------------------------------------------------------------------
def _jax_scores(
    model: Any, x: np.ndarray, classes: np.ndarray, signs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    import jax
    import keras

    def total(xv: Any) -> Any:
        preds = model(xv, training=False)
        return keras.ops.sum(_pick(preds, classes, signs, keras.ops)), preds

    (_, preds), vjp = jax.vjp(total, x)
    (grad,) = vjp((np.float32(1.0), np.zeros(preds.shape, np.float32)))
    return np.asarray(preds), np.asarray(grad)


def _jax_cam(
    cam_model: Any, x: np.ndarray, classes: np.ndarray, signs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """JAX cannot take a gradient with respect to an intermediate tensor: split the model
    at the layer (``body``: input -> activation, ``head``: activation -> predictions)."""
    import keras

    layer_out = cam_model.outputs[0]
    body = keras.Model(cam_model.inputs, layer_out)
    head = keras.Model(layer_out, cam_model.outputs[1])
    acts = np.asarray(body(x, training=False))
    preds, grads = _jax_scores(head, acts, classes, signs)
    return acts, grads, preds


_BACKENDS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "tensorflow": _tf_scores,
    "torch": _torch_scores,
    "jax": _jax_scores,
}
