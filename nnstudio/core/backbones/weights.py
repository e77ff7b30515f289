"""Local weights for a backbone: a file the user picked, or the standard file in the Keras
cache (``$KERAS_HOME/models`` or ``~/.keras/models``).  Nothing is ever downloaded.

Loading is weights only: ``load_weights`` of the application on an HDF5 file (``.h5`` or
``.weights.h5``), which reads arrays and never deserialises a model or code.  A missing,
damaged or mismatched file gives one located :class:`WeightsError`.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nnstudio.core.backbones.architectures import get

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
SUFFIXES = (".weights.h5", ".h5")
_PARTIAL = re.compile(r"Skipping|freshly-initiali[sz]ed|mismatch|not found", re.I)


class WeightsError(ValueError):
    """A weights file that cannot be used; the message says which file and why."""


def cache_dir() -> Path:
    """The folder keras.applications caches its weights in."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


def _alpha_text(alpha: float) -> str:
    return f"{alpha:g}" if alpha not in (1.0,) else "1.0"


def cached_file(params: Mapping[str, Any]) -> Path | None:
    """The standard ``*_notop`` file for these params in the Keras cache, if one is there."""
    arch = get(params["architecture"])
    folder = cache_dir()
    alpha = float(params.get("alpha", 1.0))
    for pattern in arch.weights:
        name = pattern.format(alpha=_alpha_text(alpha), size=int(params["input_size"]))
        path = folder / name
        if path.is_file():
            return path
    return None


def resolve(params: Mapping[str, Any]) -> Path | None:
    """The file the node loads: the chosen one, else the cache's (``None``: random init)."""
    chosen = str(params.get("weights_file") or "").strip()
    if chosen:
        return Path(chosen).expanduser()
    if params.get("use_cache", True):
        return cached_file(params)
    return None


def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a weights file (``None``: it looks like one)."""
    if not path.name.lower().endswith(SUFFIXES):
        return f"{path.name} is not a weights file (.weights.h5 or .h5)"
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        return f"weights file {path} does not exist"
    except OSError as exc:
        return f"weights file {path} cannot be read: {exc.strerror or exc}"
    if head != HDF5_MAGIC:
        return f"{path.name} is not an HDF5 weights file (damaged or of another kind)"
    return None


def load(app: Any, path: Path, node_name: str) -> None:
    """Load ``path`` into the application ``app``; :class:`WeightsError` names the node."""
    problem = file_problem(path)
    if problem:
        raise WeightsError(f'Pretrained backbone "{node_name}": {problem}.')
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            app.load_weights(str(path))
        skipped = [w for w in caught if _PARTIAL.search(str(w.message))]
        if skipped:  # Keras loads what fits and warns about the rest: that is a mismatch
            raise ValueError(f"{len(skipped)} parts of the model found no weights in the file")
    except Exception as exc:  # noqa: BLE001 - h5py/Keras raise many kinds; one message
        text = " ".join(str(exc).split())
        if len(text) > 240:
            text = text[:237] + "..."
        raise WeightsError(
            f'Pretrained backbone "{node_name}": the weights in {path.name} do not fit '
            f"{app.name} ({text})."
        ) from None
