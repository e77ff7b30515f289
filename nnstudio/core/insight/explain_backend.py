"""The one backend-specific part of the explanations: gradients of a class score.

Two primitives, each returning plain numpy arrays:

* :func:`score_gradients` -- the gradient of each sample's class score with respect to the
  model's input (saliency, SmoothGrad, integrated gradients);
* :func:`cam_gradients` -- a layer's activation and the gradient of the class score with
  respect to it (Grad-CAM), through a model with two outputs ``[activation, predictions]``.

The class score of sample ``i`` is ``sum(predictions[i] * weights[i])``: ``weights`` is a
one-hot row per sample (``-1`` for class 0 of a one-unit binary classifier); with
``predicted=True`` the weights are made from the predictions themselves (their arg-max, or
the sign for one unit) in the same pass.  TensorFlow (a cached ``tf.function`` around
``tf.GradientTape``) is the tested backend; JAX (``jax.vjp``) and PyTorch (autograd) follow
the same steps eagerly.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["backend_name", "cam_gradients", "score_gradients", "to_numpy"]

_TF_STEPS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


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


def predicted_weights(preds: np.ndarray) -> np.ndarray:
    """One-hot rows of the predicted classes (one unit: ``+1`` above 0.5, else ``-1``)."""
    p = np.asarray(preds, np.float32).reshape(len(preds), -1)
    if p.shape[1] == 1:
        return np.where(p > 0.5, 1.0, -1.0).astype(np.float32)
    out = np.zeros_like(p)
    out[np.arange(len(p)), p.argmax(axis=1)] = 1.0
    return out


def score_gradients(
    model: Any, x: np.ndarray, weights: np.ndarray, predicted: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``(predictions, d score / d x)`` for the batch ``x``."""
    name = backend_name()
    x, weights = np.asarray(x, np.float32), np.asarray(weights, np.float32)
    if name == "tensorflow":
        _, grads, preds = _tf_step(model, "input")(x, weights, predicted)
        return preds.numpy(), grads.numpy()
    if name == "torch":
        return _torch_scores(model, x, weights, predicted)
    if name == "jax":
        return _jax_scores(model, x, weights, predicted)
    raise NotImplementedError(f"explanations need the tensorflow, jax or torch backend, not {name}")


def cam_gradients(
    cam_model: Any, x: np.ndarray, weights: np.ndarray, predicted: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(activation, d score / d activation, predictions)`` of a two-output model."""
    name = backend_name()
    x, weights = np.asarray(x, np.float32), np.asarray(weights, np.float32)
    if name == "tensorflow":
        acts, grads, preds = _tf_step(cam_model, "layer")(x, weights, predicted)
        return acts.numpy(), grads.numpy(), preds.numpy()
    if name == "torch":
        return _torch_cam(cam_model, x, weights, predicted)
    if name == "jax":
        return _jax_cam(cam_model, x, weights, predicted)
    raise NotImplementedError(f"Grad-CAM needs the tensorflow, jax or torch backend, not {name}")


# -- TensorFlow -------------------------------------------------------------------------
def _tf_step(model: Any, wrt: str) -> Any:
    """A traced ``(x, weights, predicted) -> (activation, gradient, predictions)``: the
    gradient with respect to the input (``wrt="input"``) or the first output's tensor."""
    cached = _TF_STEPS.setdefault(model, {})
    if wrt in cached:
        return cached[wrt]
    import tensorflow as tf

    ref: Callable[[], Any] = weakref.ref(model)  # the cached value must not hold its key

    @tf.function(reduce_retracing=True)
    def step(x: Any, weights: Any, predicted: Any) -> Any:
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = ref()(x, training=False)
            if wrt == "layer":
                acts, preds = out[0], out[1]
            else:
                acts, preds = x, out[0] if isinstance(out, (list, tuple)) else out
            flat = tf.reshape(preds, (tf.shape(preds)[0], -1))
            if flat.shape[-1] == 1:
                own = tf.where(flat > 0.5, 1.0, -1.0)
            else:
                own = tf.one_hot(tf.argmax(flat, axis=-1), tf.shape(flat)[-1])
            chosen = tf.where(predicted, tf.stop_gradient(own), weights)
            score = tf.reduce_sum(flat * chosen, axis=-1)
        return acts, tape.gradient(score, acts), flat

    def run(x: np.ndarray, weights: np.ndarray, predicted: bool) -> Any:
        return step(tf.constant(x), tf.constant(weights), tf.constant(predicted))

    cached[wrt] = run
    return run


# -- PyTorch ----------------------------------------------------------------------------
def _torch_weights(preds: Any, weights: np.ndarray, predicted: bool) -> Any:
    import keras

    p = keras.ops.convert_to_numpy(preds.detach()).reshape(len(weights), -1)
    w = predicted_weights(p) if predicted else weights
    return keras.ops.convert_to_tensor(w)


def _torch_scores(
    model: Any, x: np.ndarray, weights: np.ndarray, predicted: bool
) -> tuple[np.ndarray, np.ndarray]:
    import keras
    import torch

    xt = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)
    preds = model(xt, training=False).reshape(len(x), -1)
    score = (preds * _torch_weights(preds, weights, predicted)).sum()
    (grad,) = torch.autograd.grad(score, xt)
    return to_numpy(preds.detach()), to_numpy(grad.detach())


def _torch_cam(
    cam_model: Any, x: np.ndarray, weights: np.ndarray, predicted: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import keras
    import torch

    acts, preds = cam_model(keras.ops.convert_to_tensor(x), training=False)
    preds = preds.reshape(len(x), -1)
    score = (preds * _torch_weights(preds, weights, predicted)).sum()
    (grad,) = torch.autograd.grad(score, acts)
    return to_numpy(acts.detach()), to_numpy(grad.detach()), to_numpy(preds.detach())


# -- JAX --------------------------------------------------------------------------------
def _jax_scores(
    model: Any, x: np.ndarray, weights: np.ndarray, predicted: bool
) -> tuple[np.ndarray, np.ndarray]:
    import jax

    preds = np.asarray(model(x, training=False)).reshape(len(x), -1)
    w = predicted_weights(preds) if predicted else weights

    def total(xv: Any) -> Any:
        return (model(xv, training=False).reshape(len(w), -1) * w).sum()

    return preds, np.asarray(jax.grad(total)(x))


def _jax_cam(
    cam_model: Any, x: np.ndarray, weights: np.ndarray, predicted: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """JAX takes no gradient with respect to an intermediate tensor: split the model at the
    layer (``body``: input -> activation, ``head``: activation -> predictions)."""
    import keras

    layer_out = cam_model.outputs[0]
    body = keras.Model(cam_model.inputs, layer_out)
    head = keras.Model(layer_out, cam_model.outputs[1])
    acts = np.asarray(body(x, training=False))
    preds, grads = _jax_scores(head, acts, weights, predicted)
    return acts, grads, preds
