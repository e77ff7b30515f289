"""Sweeps in the window: the Experiments workspace (see
:mod:`nnstudio.ui.sweeps.controller`).

``install(window)`` is called by the main window (a :class:`~nnstudio.ui.workspaces.Plugin`).
Nothing here imports TensorFlow or Keras at module level.
"""

from __future__ import annotations

from typing import Any

from nnstudio.ui.sweeps.controller import SweepController

__all__ = ["SweepController", "install"]


def install(window: Any) -> SweepController:
    """Register the Experiments panels with ``window`` and wire them."""
    return SweepController(window)
