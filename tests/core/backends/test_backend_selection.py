"""Backend selection and the refusals when a backend or TensorFlow is missing (in process)."""

from __future__ import annotations

import importlib.util

import pytest

from nnstudio.core import backend as bk
from nnstudio.core.export.formats import FORMATS


def _without(monkeypatch, *modules: str) -> None:
    real = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        if name.split(".")[0] in modules:
            return None
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_a_missing_backend_package_is_refused_with_the_install_line(monkeypatch) -> None:
    _without(monkeypatch, "jax")
    assert "jax" not in bk.available_backends()
    with pytest.raises(bk.BackendError, match=r"needs the 'jax' package.*pip install jax"):
        bk.select_backend("jax")
    with pytest.raises(bk.BackendError, match="unknown backend 'mxnet'"):
        bk.select_backend("mxnet")


def test_another_backend_once_keras_is_loaded_needs_a_new_process(monkeypatch) -> None:
    import keras

    loaded = keras.backend.backend()
    assert bk.current_backend() == loaded
    other = next(b for b in bk.BACKENDS if b != loaded)
    monkeypatch.setattr(bk, "is_installed", lambda name: True)
    with pytest.raises(bk.BackendError, match=f"already loaded with the {loaded} backend"):
        bk.select_backend(other)
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    bk.select_backend(loaded)  # the one in use is fine
    assert bk.current_backend() == loaded


@pytest.mark.parametrize("key", ["savedmodel", "tflite", "tflite-int8", "onnx"])
def test_tensorflow_formats_are_refused_without_tensorflow(monkeypatch, key) -> None:
    _without(monkeypatch, "tensorflow")
    problem = FORMATS[key].unavailable()
    assert problem is not None
    assert "is written by TensorFlow, which is not installed here" in problem
    assert "export .keras, or install tensorflow-cpu" in problem
    assert FORMATS["keras"].unavailable() is None
    assert FORMATS["python"].unavailable() is None


def test_sync_weights_is_a_no_op_outside_a_jax_fit() -> None:
    class Plain:
        synced = 0

        def jax_state_sync(self) -> None:
            self.synced += 1

    model = Plain()
    bk.sync_weights(model)  # no training state held apart: nothing to write back
    assert model.synced == 0
    model._jax_state = {"trainable_variables": []}
    bk.sync_weights(model)
    assert model.synced == 1
