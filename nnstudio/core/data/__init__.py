"""The data layer: CSV/TSV files, image folders and NumPy arrays.

Qt-free and light to import: TensorFlow is imported only by :func:`prepare`.

- :class:`DataConfig` is what the project file records (path, options, hash).
- :func:`inspect_source` reads and checks a source and returns a :class:`Report`
  (summary + every problem, located in plain words).
- :func:`prepare` builds train/validation/test ``tf.data`` pipelines
  (:class:`PreparedData`), raising :class:`DataError` when a problem blocks
  training.
- :func:`suggest_head` says which output layer and loss fit the targets;
  :func:`fit_commands` turns that into one undoable graph command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nnstudio.core.data.config import DataConfig, config_for_path, detect_kind
from nnstudio.core.data.errors import Cancelled, DataError
from nnstudio.core.data.fit import fit_commands
from nnstudio.core.data.hashing import content_hash
from nnstudio.core.data.heads import suggest_head
from nnstudio.core.data.inspection import inspect_source
from nnstudio.core.data.report import Problem, Report

if TYPE_CHECKING:
    from nnstudio.core.data.pipeline import PreparedData

__all__ = [
    "Cancelled",
    "DataConfig",
    "DataError",
    "PreparedData",
    "Problem",
    "Report",
    "config_for_path",
    "content_hash",
    "detect_kind",
    "fit_commands",
    "inspect_source",
    "prepare",
    "suggest_head",
]


def prepare(config: DataConfig, **kwargs: Any) -> PreparedData:
    """Build the pipelines; see :func:`nnstudio.core.data.pipeline.prepare`."""
    from nnstudio.core.data.pipeline import prepare as _prepare

    return _prepare(config, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "PreparedData":
        from nnstudio.core.data.pipeline import PreparedData

        return PreparedData
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
