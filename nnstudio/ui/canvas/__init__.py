"""The graph canvas: a scene that mirrors the core Graph, its items, and the view."""

from nnstudio.ui.canvas.scene import GraphScene
from nnstudio.ui.canvas.view import GraphView

__all__ = ["GraphScene", "GraphView"]
