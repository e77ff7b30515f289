"""Fit the network to the data: one compound, undoable graph command.

The Input's shape becomes the data's feature shape; the output head becomes the
layer the targets need (:func:`suggest_head`): the declared output's Dense is
set, or a Dense is appended after a head of another kind; the declared output
gets the matching loss and metrics.

When the targets are the inputs (reconstruction) no head is added: the output
layer keeps its kind and gets the input's size (a Dense's units for flat
samples, a convolution's filters for the channels of images) and a fitting
activation; the loss is MSE or binary cross-entropy (:func:`suggest_head`).
"""

from __future__ import annotations

from typing import Any

from nnstudio.core.data import multi_input_fit
from nnstudio.core.data.errors import DataError
from nnstudio.core.data.heads import suggest_head

HEAD_KEY = "Dense"
SPACING = 260.0


def _head_node(graph: Any, output: str | None) -> Any:
    if output is not None:
        return graph.node(output)
    if len(graph.outputs) == 1:
        return graph.node(graph.outputs[0].node)
    if len(graph.outputs) > 1:
        raise DataError(
            f"the model has {len(graph.outputs)} outputs: choose the one the data's targets "
            "are for",
            "model",
        )
    sinks = [n for n in graph.nodes.values() if not n.spec.is_input and not graph.out_edges(n.id)]
    if len(sinks) != 1:
        raise DataError(
            "the model has no declared output and no single last layer to fit to the targets",
            "model",
        )
    return sinks[0]


def fit_commands(graph: Any, data: Any, output: str | None = None) -> Any:
    """One command (a ``Macro``, one undo step) that fits ``graph`` to ``data``
    (a :class:`Report` or :class:`PreparedData`). ``output`` picks the output
    node when the model declares several. Raises :class:`DataError` when the
    graph cannot be fitted (no Input, several Inputs, ...)."""
    from nnstudio.core.graph.commands import Macro, SetParams

    if multi_input_fit.named_inputs(data):  # several inputs, matched to the Inputs by name
        return multi_input_fit.fit_commands(graph, data, output)
    shape = tuple(int(d) for d in getattr(data, "feature_shape", ()) or ())
    if not shape:
        raise DataError("the data has no feature shape yet: inspect it first", "data")
    head = suggest_head(data)
    inputs = [n for n in graph.nodes.values() if n.spec.is_input]
    if not inputs:
        raise DataError("the model has no Input layer to take the data", "model")
    if len(inputs) > 1:
        names = ", ".join(n.name for n in inputs)
        raise DataError(
            f"the model has {len(inputs)} Input layers ({names}) but the data gives one input",
            "model",
        )
    inp = inputs[0]
    node = _head_node(graph, output)
    decl = graph.output_decl(node.id)
    loss_weight = decl.loss_weight if decl is not None else 1.0
    if "shape" in head:
        return _fit_reconstruction(graph, inp, node, shape, head, loss_weight)

    # built now so that bad values fail here, before anything changes
    SetParams(graph, inp.id, {"shape": shape})
    steps: list[Any] = [lambda g: SetParams(g, inp.id, {"shape": shape})]
    return Macro(graph, "Fit model to data", steps + head_steps(graph, node, head, loss_weight))


def head_steps(graph: Any, node: Any, head: dict[str, Any], loss_weight: float) -> list[Any]:
    """The steps that make ``node`` (or a Dense after it) the output head ``head``."""
    from nnstudio.core.graph.commands import AddNode, Connect, SetOutput, SetParams, UndeclareOutput

    decl = graph.output_decl(node.id)
    head_params = {"units": head["units"], "activation": head["activation"]}
    steps: list[Any] = []
    if node.key == HEAD_KEY:
        SetParams(graph, node.id, head_params)
        head_id = node.id
        steps.append(lambda g: SetParams(g, node.id, head_params))
    else:
        add = AddNode(
            graph,
            HEAD_KEY,
            (node.pos[0] + SPACING, node.pos[1]),
            name=graph.unique_name("output"),
            params=head_params,
        )
        head_id = add.node.id
        steps += [add, lambda g: Connect(g, node.id, head_id)]
        if decl is not None:
            steps.append(lambda g: UndeclareOutput(g, node.id))
    steps.append(
        lambda g: SetOutput(
            g, head_id, loss=head["loss"], loss_weight=loss_weight, metrics=head["metrics"]
        )
    )
    return steps


def _fit_reconstruction(
    graph: Any, inp: Any, node: Any, shape: tuple[int, ...], head: dict[str, Any], weight: float
) -> Any:
    """Fit for targets = inputs: the output reconstructs the input's shape."""
    from nnstudio.core.graph.commands import Macro, SetOutput, SetParams

    params: dict[str, Any] = {}
    names = set(node.params)
    if len(shape) == 1 and "units" in names:
        params["units"] = int(shape[0])
    elif len(shape) >= 2 and "filters" in names:
        params["filters"] = int(shape[-1])
    if "activation" in names:
        params["activation"] = head["activation"]
    SetParams(graph, inp.id, {"shape": shape})
    steps: list[Any] = [lambda g: SetParams(g, inp.id, {"shape": shape})]
    if params:
        SetParams(graph, node.id, params)
        steps.append(lambda g: SetParams(g, node.id, params))
    steps.append(
        lambda g: SetOutput(
            g, node.id, loss=head["loss"], loss_weight=weight, metrics=head["metrics"]
        )
    )
    return Macro(graph, "Fit model to data", steps)
