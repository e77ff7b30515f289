"""Training in the main window: the Train and Insight workspaces' panels, wired to a
background worker (see :mod:`nnstudio.ui.training.controller`).

``install(window)`` is called by the main window (a :class:`~nnstudio.ui.workspaces.Plugin`).
Nothing here imports TensorFlow or Keras at module level.
"""

from __future__ import annotations

from typing import Any

from nnstudio.ui.training.controller import (
    LOCK_REASON,
    TrainingController,
    expected_metrics,
    indicator_color,
)

__all__ = ["LOCK_REASON", "TrainingController", "expected_metrics", "indicator_color", "install"]


def install(window: Any) -> TrainingController:
    """Register the training panels with ``window`` and wire them."""
    return TrainingController(window)
