"""The Insight workspace's activations panel, wired to the window's shared selection.

Its layer list shows the open model's layers; picking one selects that node everywhere
(canvas, maps, inspector) through ``window.select_nodes``, and a selection made anywhere
comes back through ``window.selection_changed`` (the training controller passes it to
:meth:`ActivationsView.select_layer`).  The Insight panels are registered by the training
controller (:mod:`nnstudio.ui.training.controller`): activations (centre), evaluation
(right), the model map (bottom).
"""

from __future__ import annotations

from typing import Any

from nnstudio.ui.training.activations import ActivationsView


def layer_names(window: Any) -> list[str]:
    """The open model's node names, inputs first (in the order they were added while the
    graph has a cycle)."""
    graph = window.graph
    try:
        order = graph.topological_order()
    except Exception:  # noqa: BLE001 - a cycle is an issue elsewhere; still list the layers
        order = list(graph.nodes)
    return [graph.nodes[node_id].name for node_id in order]


def select_layer_by_name(window: Any, name: str) -> None:
    """Select the node called ``name`` in every workspace (nothing if it is gone)."""
    node = window.graph.node_by_name(name)
    if node is not None:
        window.select_nodes([node.id])


def make_activations(window: Any) -> ActivationsView:
    """An activations view listing the window's layers and sharing its selection."""
    view = ActivationsView(layers=lambda: layer_names(window))
    view.layer_chosen.connect(lambda name: select_layer_by_name(window, name))
    return view
