"""Training: configuration, the run (``fit`` plus callbacks), cancel/pause, NaN watch,
activation probes, history, evaluation and run records.

Importing this package is light (no Keras); the names that need Keras load on first use::

    from nnstudio.core.training import TrainingConfig, TrainingData, RunState, run_training
"""

from __future__ import annotations

import importlib
from typing import Any

from nnstudio.core.training.config import ConfigError, TrainingConfig, suggest_loss_and_metrics
from nnstudio.core.training.history import History
from nnstudio.core.training.state import RunState

_LAZY = {
    "TrainingData": "nnstudio.core.training.data",
    "RunResult": "nnstudio.core.training.run",
    "prepare_model": "nnstudio.core.training.run",
    "run_training": "nnstudio.core.training.run",
    "evaluate": "nnstudio.core.training.evaluation",
    "Evaluation": "nnstudio.core.training.evaluation",
    "record_run": "nnstudio.core.training.runs",
    "latest_run": "nnstudio.core.training.runs",
    "run_model_path": "nnstudio.core.training.runs",
}

__all__ = [
    "ConfigError",
    "History",
    "RunState",
    "TrainingConfig",
    "suggest_loss_and_metrics",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
