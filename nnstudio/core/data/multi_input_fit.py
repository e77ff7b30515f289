"""Fit the network to multi-input data: each Input takes the shape of its array.

The Inputs are matched to the data's input arrays by name (as Keras feeds them); the output
head, loss and metrics are fitted as for one input (:func:`~nnstudio.core.data.fit.head_steps`).
One compound command, one undo step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.core.data.errors import DataError
from nnstudio.core.data.heads import suggest_head


def named_inputs(data: Any) -> dict[str, dict[str, Any]] | None:
    """A multi-input source's inputs, ``{name: {"shape": [...], "dtype": "float32"}}`` (a
    Report's ``details["inputs"]``, or that of PreparedData's report), else ``None``."""
    details = getattr(data, "details", None)
    if isinstance(details, Mapping):
        found = details.get("inputs")
        if isinstance(found, Mapping) and found:
            return {str(k): dict(v) for k, v in found.items() if isinstance(v, Mapping)}
        return None
    report = getattr(data, "report", None)
    if report is not None and report is not data:
        return named_inputs(report)
    return None


def fit_commands(graph: Any, data: Any, output: str | None = None) -> Any:
    """One command that sets each Input's shape to that of its array and fits the output
    head to the targets.  Raises :class:`DataError` when an Input has no array of its name."""
    from nnstudio.core.data.fit import _head_node, head_steps
    from nnstudio.core.graph.commands import Macro, SetParams

    named = named_inputs(data) or {}
    head = suggest_head(data)
    inputs = [n for n in graph.nodes.values() if n.spec.is_input]
    if not inputs:
        raise DataError("the model has no Input layer to take the data", "model")
    arrays = ", ".join(named)
    steps: list[Any] = []
    for inp in inputs:
        found = named.get(inp.name)
        if found is None:
            raise DataError(
                f"Input '{inp.name}' has no array of its name in the data (its input arrays: "
                f"{arrays}): rename the Input after the array it takes",
                "model",
            )
        shape = tuple(int(d) for d in found.get("shape") or ()) or (1,)
        SetParams(graph, inp.id, {"shape": shape})  # bad values fail here, before any change
        steps.append(lambda g, nid=inp.id, s=shape: SetParams(g, nid, {"shape": s}))
    node = _head_node(graph, output)
    decl = graph.output_decl(node.id)
    weight = decl.loss_weight if decl is not None else 1.0
    return Macro(graph, "Fit model to data", steps + head_steps(graph, node, head, weight))
