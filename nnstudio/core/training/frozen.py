"""The part of a model that a run cannot change, evaluated once per fit on the probe batch.

A frozen pretrained backbone is most of a transfer model's cost, and its output on the
fixed probe batch is the same throughout a fit: its weights do not train and its batch
normalization layers do not update their statistics.  The live views (activations, gradient
norms) therefore run the backbone once per fit and, after that, only the trainable *head*:
a Keras model from the frozen part's outputs (the *frontier*) to the model's outputs, made
of the same layers, so it shares their weights.

A layer is *static* when its output on a fixed input cannot change during a fit: it has no
trainable weights, nothing in it updates state in training (a batch normalization layer
that is trainable updates its moving statistics even without trainable weights), and all
its inputs come from static layers.  The model's inputs are static.  Probes and gradient
norms run in inference mode, where dropout and noise layers pass their input through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class FrozenSplit:
    """A model cut at the frontier of its static part.

    ``static``: names of the static layers (inputs left out); ``frontier``: the static
    tensors that non-static layers read; ``values``: those tensors' values on the probe
    batch (computed once); ``head``: the model from ``frontier`` to the model's outputs.
    """

    static: set[str]
    frontier: list[Any]
    values: list[Any]
    head: Any
    extra: list[Any]

    @property
    def head_input(self) -> Any:
        """The head's input tensors: one, or a list in frontier order."""
        return self.frontier[0] if len(self.frontier) == 1 else self.frontier

    @property
    def head_inputs(self) -> Any:
        """What to call the head with: one array, or a list in frontier order."""
        return self.values[0] if len(self.values) == 1 else self.values


def _sublayers(layer: Any, include_self: bool) -> list[Any]:
    flatten = getattr(layer, "_flatten_layers", None)  # Keras' walk over nested layers
    if flatten is None:
        return [layer] if include_self else []
    return list(flatten(include_self=include_self, recursive=True))


def holds_still(layer: Any) -> bool:
    """True when a layer's output on a fixed input cannot change during a fit."""
    if layer.trainable_weights:
        return False
    if not layer.non_trainable_weights or not layer.trainable:
        return True  # stateless, or frozen (Keras freezes every sublayer with it)
    for sub in _sublayers(layer, include_self=True):
        leaf = not _sublayers(sub, include_self=False)
        if leaf and sub.trainable and sub.non_trainable_weights:
            return False  # e.g. a trainable BatchNormalization without gamma and beta
    return True


def changing_weights(layer: Any) -> list[Any]:
    """The weights of a layer (or model) that a fit can change: the trainable ones and the
    state of trainable layers (batch normalization statistics).  A frozen backbone's
    weights are not among them."""
    out = list(layer.trainable_weights)
    for sub in _sublayers(layer, include_self=True):
        if sub.trainable and not _sublayers(sub, include_self=False):
            out.extend(sub.non_trainable_weights)
    return out


def graph_nodes(model: Any) -> list[Any]:
    """The nodes of a functional model's own graph (a layer called on its inputs), inputs
    first.  A nested model's node reads the outer tensors, which its ``input`` does not."""
    by_depth = getattr(model, "_nodes_by_depth", None) or {}
    return [node for depth in sorted(by_depth, reverse=True) for node in by_depth[depth]]


def _uses(nodes: list[Any]) -> dict[int, int]:
    """How many nodes each layer (by id) has: a layer used twice has no single output."""
    uses: dict[int, int] = {}
    for node in nodes:
        uses[id(node.operation)] = uses.get(id(node.operation), 0) + 1
    return uses


def layer_outputs(model: Any) -> list[tuple[Any, Any]]:
    """``(layer, output tensor)`` of each layer called once with one output, in
    topological order (inputs left out): what the probes can show."""
    nodes = graph_nodes(model)
    uses = _uses(nodes)
    return [
        (node.operation, node.outputs[0])
        for node in nodes
        if not node.is_input and uses[id(node.operation)] == 1 and len(node.outputs) == 1
    ]


def _static_tensors(model: Any) -> tuple[set[int], set[str]]:
    """Ids of the static tensors and names of the static layers (inputs included)."""
    nodes = graph_nodes(model)
    uses = _uses(nodes)
    tensors: set[int] = set()
    layers: set[str] = set()
    for node in nodes:
        layer = node.operation
        still = node.is_input or (
            uses[id(layer)] == 1
            and holds_still(layer)
            and all(id(t) in tensors for t in node.input_tensors)
        )
        if still:
            tensors.update(id(t) for t in node.outputs)
            layers.add(layer.name)
    return tensors, layers


def static_layers(model: Any) -> set[str]:
    """Names of the layers of a functional ``model`` that are static (see the module),
    its inputs included."""
    return _static_tensors(model)[1]


def split_frozen(model: Any, x: Any, also: Sequence[Any] = ()) -> FrozenSplit | None:
    """Cut ``model`` at its static part and evaluate that part on ``x`` once (with the
    static tensors ``also``: their values are the split's ``extra``, in that order).

    None when there is nothing worth cutting: no static layer besides the inputs, or a
    model output that is itself static (a network without anything to train).
    """
    import keras

    static_ids, static = _static_tensors(model)
    inputs = {node.operation.name for node in graph_nodes(model) if node.is_input}
    if not static - inputs:
        return None
    frontier: list[Any] = []
    seen: set[int] = set()
    for node in graph_nodes(model):
        if node.operation.name in static:
            continue
        for tensor in node.input_tensors:
            if id(tensor) in static_ids and id(tensor) not in seen:
                seen.add(id(tensor))
                frontier.append(tensor)
    if any(id(t) in static_ids for t in keras.tree.flatten(model.outputs)):
        return None
    input_ids = {id(t) for t in keras.tree.flatten(model.inputs)}
    if all(id(t) in input_ids for t in frontier):
        return None  # the frontier is the inputs themselves: nothing to save
    model_in = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    prefix = keras.Model(model_in, [*frontier, *also], name="nnstudio_frozen_prefix")
    out = prefix(x, training=False)  # once: eager costs less than tracing a function
    out = [keras.ops.convert_to_numpy(v) for v in (out if isinstance(out, list | tuple) else [out])]
    values, extra = out[: len(frontier)], out[len(frontier) :]
    structure = getattr(model, "_outputs_struct", model.outputs)
    split = FrozenSplit(static - inputs, frontier, values, None, extra)
    split.head = keras.Model(split.head_input, structure, name="nnstudio_trainable_head")
    return split
