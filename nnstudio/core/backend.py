"""The Keras backend: which one a process uses, which are installed, and backend quirks.

Keras fixes its backend when it is first imported (``KERAS_BACKEND``, else
``~/.keras/keras.json``, else TensorFlow), once per process.  The command line sets it
before Keras loads; the window reads its saved setting at start (a change applies at the
next start).

Nothing here imports Keras unless Keras is already loaded, except :func:`sync_weights`'s
callers, which hold a model.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

BACKENDS: tuple[str, ...] = ("tensorflow", "jax", "torch")
BACKEND_PACKAGES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
DEFAULT_BACKEND = "tensorflow"


class BackendError(Exception):
    """A backend that cannot be used in this process (missing package, Keras loaded)."""


def is_installed(name: str) -> bool:
    """True when the backend's package can be imported (without importing it)."""
    package = BACKEND_PACKAGES.get(name)
    return package is not None and importlib.util.find_spec(package) is not None


def available_backends() -> list[str]:
    """The backends whose packages are installed, in :data:`BACKENDS` order."""
    return [b for b in BACKENDS if is_installed(b)]


def tensorflow_installed() -> bool:
    """True when TensorFlow can be imported here (the SavedModel/TFLite/ONNX exporters)."""
    return is_installed("tensorflow")


def _keras_json_backend() -> str | None:
    home = os.environ.get("KERAS_HOME") or str(Path.home() / ".keras")
    try:
        data = json.loads((Path(home) / "keras.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("backend") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def current_backend() -> str:
    """The backend this process uses or will use once Keras loads (does not import Keras)."""
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "backend"):
        return str(keras.backend.backend())
    return os.environ.get("KERAS_BACKEND") or _keras_json_backend() or DEFAULT_BACKEND


def select_backend(name: str | None) -> None:
    """Make ``name`` this process's backend (sets ``KERAS_BACKEND`` before Keras loads).

    :class:`BackendError` when its package is missing, or when Keras is already loaded with
    another backend.  ``None`` keeps the environment's choice.
    """
    if name is None:
        return
    if name not in BACKEND_PACKAGES:
        raise BackendError(f"unknown backend {name!r} (one of {', '.join(BACKENDS)})")
    if not is_installed(name):
        package = BACKEND_PACKAGES[name]
        raise BackendError(
            f"the {name} backend needs the '{package}' package, which is not "
            f"installed (pip install {package})"
        )
    if "keras" in sys.modules:
        current = current_backend()
        if current != name:
            raise BackendError(
                f"Keras is already loaded with the {current} backend in this process; "
                f"the {name} backend needs a new process"
            )
    os.environ["KERAS_BACKEND"] = name


def sync_weights(model: Any) -> None:
    """Write the training state back into the model's variables, where a backend keeps it
    apart during ``fit``.

    JAX's trainer holds the weights as arrays outside the variables between steps (and
    empties the variables); a callback that reads weights mid-epoch must sync first.  The
    next step then picks the state up from the variables again.  Other backends: nothing.
    """
    sync = getattr(model, "jax_state_sync", None)
    if callable(sync) and getattr(model, "_jax_state", None):
        sync()


def variable_array(variable: Any) -> Any:
    """A Keras variable's value as a NumPy array, on any backend.

    ``Variable.numpy()`` goes through ``np.array(variable)``, which on jax and torch warns
    (Keras 3.15's ``__array__`` takes no ``copy`` argument) once per weight per read; on
    TensorFlow it is the quiet way.
    """
    import keras
    import numpy as np

    backend = keras.backend.backend()
    if backend == "tensorflow":
        return np.asarray(variable.numpy())  # no warning there
    value = variable.value
    if backend == "torch":
        return value.detach().cpu().numpy()
    return np.asarray(keras.ops.convert_to_numpy(value))
