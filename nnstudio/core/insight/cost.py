"""The cost of every node: multiply-accumulates, FLOPs, parameter and activation memory.

Computed from the shapes the graph check already inferred (:class:`CheckResult`), with no
Keras model built, for one sample (the batch axis left out).  One rule per catalog layer
lives in :mod:`.cost_rules`.

Conventions
-----------
* **MAC** (multiply-accumulate): one multiply and one add of a dot product.  Only dot
  products count as MACs: Dense, the convolutions (Conv 1D/2D/3D, depthwise, separable,
  transpose), the recurrent layers' input and state matmuls, and attention's projections,
  scores and weighted sums.  **1 MAC = 2 FLOPs.**
* **FLOPs** = ``2 * MACs`` + element-wise FLOPs, counted per element of the tensor named:
  bias add 1 per output element (when ``use_bias``); activation 1 per output element
  (``linear`` 0, ``softmax``/``log_softmax`` 3); ReLU and Leaky ReLU layers 1; Softmax 3;
  Batch Normalization 2 (inference: a folded scale and shift); Layer/Group Normalization
  5, plus 1 for ``scale`` and 1 for ``center``; Rescaling and Normalization 2; pooling with
  a window of ``k`` values ``k`` per output element; global pooling 1 per input element;
  Add, Subtract, Multiply, Maximum, Minimum ``n - 1`` per output element for ``n`` inputs,
  Average ``n``; Resizing and Up Sampling 2 per interpolation tap per output element
  (nearest 0 taps, bilinear 4, bicubic 16, lanczos3 36, lanczos5 100, area the input
  pixels per output pixel); recurrent layers per step, direction and unit: Simple RNN 2,
  GRU 11, LSTM 13 (biases, gate activations, state update), plus the merge of two
  directions (sum/mul 1, ave 2 per output element); attention: softmax 3 per score, the
  query scaling 1 per query element and head, biases 1 per projected element.
  Zero: Input, Dropout, noise and random augmentation (the identity at inference),
  reshaping (Flatten, Reshape, Permute, Repeat Vector, padding, cropping), Concatenate and
  Embedding (a lookup: 0 MACs).
* **Parameter memory**: parameters x the parameter dtype's size (float32 by default; mixed
  precision is left aside).  **Activation memory**: the node's output tensor for one sample
  at its dtype.  An axis of unknown size (``None``) counts as 1 and the node is marked
  ``approximate``.
* **Inference peak** (a liveness pass): nodes run in topological order; a node's output is
  allocated when it runs and freed after its last consumer has run (a model output is kept
  to the end); while a node runs its inputs and its output are alive.  Every output is its
  own buffer (no in-place or aliasing reuse): an upper bound of what a runtime needs.
* **Training peak** for a batch of ``B``: every forward activation is kept for the backward
  pass, and during it the gradients of one node's output and inputs are alive at once:
  ``B * (sum of all activations + max over nodes of (output + inputs))``.  Weights, their
  gradients and optimizer slots are not activations (see the parameter memory).

Incremental: :class:`CostModel` caches each node's cost by (layer type, parameters, input
shapes and dtypes, output shape and dtype), so after an edit only the changed nodes and the
ones whose inputs changed are recomputed.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nnstudio.core.graph.check import CheckResult
from nnstudio.core.graph.model import Graph
from nnstudio.core.graph.shapes import NodeShape, Shape, _freeze
from nnstudio.core.insight.cost_rules import RULES, Op, PerSample

DTYPE_BYTES = {
    "float64": 8,
    "int64": 8,
    "uint64": 8,
    "complex64": 8,
    "float32": 4,
    "int32": 4,
    "uint32": 4,
    "float16": 2,
    "bfloat16": 2,
    "int16": 2,
    "uint16": 2,
    "int8": 1,
    "uint8": 1,
    "bool": 1,
    "string": 8,  # a reference per element; the text itself is not counted
}
DEFAULT_BATCH = 32


def dtype_bytes(dtype: str | None) -> int:
    """Bytes of one element of ``dtype`` (4 when unknown)."""
    return DTYPE_BYTES.get(str(dtype), 4)


@dataclass(frozen=True)
class NodeCost:
    """The cost of one node for one sample."""

    macs: int
    flops: int
    params: int
    param_bytes: int
    activation_bytes: int
    approximate: bool = False

    def to_json(self) -> dict[str, Any]:
        """The figures as plain JSON."""
        return {
            "macs": self.macs,
            "flops": self.flops,
            "param_bytes": self.param_bytes,
            "activation_bytes": self.activation_bytes,
        }


@dataclass
class CostReport:
    """Per-node costs (nodes whose shape is known), totals and the memory peaks."""

    nodes: dict[str, NodeCost] = field(default_factory=dict)
    peak_activation_bytes: int = 0  # inference, one sample
    peak_node: str | None = None  # the node running when the inference peak is reached
    sample_training_bytes: int = 0  # training activations of one sample (x batch size)

    @property
    def total_macs(self) -> int:
        """Sum of the nodes' MACs."""
        return sum(c.macs for c in self.nodes.values())

    @property
    def total_flops(self) -> int:
        """Sum of the nodes' FLOPs."""
        return sum(c.flops for c in self.nodes.values())

    @property
    def total_param_bytes(self) -> int:
        """Memory of every parameter."""
        return sum(c.param_bytes for c in self.nodes.values())

    @property
    def total_activation_bytes(self) -> int:
        """Every node's output for one sample, added up."""
        return sum(c.activation_bytes for c in self.nodes.values())

    def inference_peak(self, batch_size: int = 1) -> int:
        """Peak activation memory of inference on a batch."""
        return batch_size * self.peak_activation_bytes

    def training_peak(self, batch_size: int = DEFAULT_BATCH) -> int:
        """Peak activation memory of a training step on a batch (see the module docstring)."""
        return batch_size * self.sample_training_bytes

    def totals_json(self, batch_size: int = DEFAULT_BATCH) -> dict[str, Any]:
        """Totals for ``nnstudio summary --json``."""
        return {
            "total_macs": self.total_macs,
            "total_flops": self.total_flops,
            "total_param_bytes": self.total_param_bytes,
            "total_activation_bytes": self.total_activation_bytes,
            "peak_activation_bytes": self.peak_activation_bytes,
            "batch_size": batch_size,
            "training_peak_activation_bytes": self.training_peak(batch_size),
        }


def per_sample(shape: Shape | None) -> tuple[PerSample, bool]:
    """``shape`` without its batch axis, unknown sizes as 1; and whether any was unknown."""
    dims = tuple(shape or ())[1:]
    return tuple(1 if d is None else int(d) for d in dims), any(d is None for d in dims)


class CostModel:
    """Computes :class:`CostReport` s; keep one per graph so re-computations are cached."""

    def __init__(self, param_dtype: str = "float32", cache_size: int = 20_000) -> None:
        self.param_bytes = dtype_bytes(param_dtype)
        self._cache: OrderedDict[Any, NodeCost] = OrderedDict()
        self._cache_size = cache_size
        self.computed = 0  # nodes computed by a rule (not taken from the cache)
        self._last: tuple[CheckResult, Graph, int, CostReport] | None = None

    def compute(self, graph: Graph, result: CheckResult) -> CostReport:
        """The cost of every node whose output shape ``result`` knows (the same report again
        for the same check of an unchanged graph: views that share the model share it)."""
        last = self._last
        if (
            last is not None
            and last[0] is result
            and last[1] is graph
            and last[2] == graph.revision
        ):
            return last[3]
        report = self._report(graph, result)
        self._last = (result, graph, graph.revision, report)
        return report

    def _report(self, graph: Graph, result: CheckResult) -> CostReport:
        if result.flat is not None:  # blocks: the flat graph's costs, summed per block use
            from nnstudio.core.insight.block_cost import lift_report

            return lift_report(self._report(result.flat.graph, result.flat.result), result.flat)
        shapes = result.shapes
        incoming: dict[str, list[tuple[str, str]]] = {}
        for e in graph.edges:
            incoming.setdefault(e.dst, []).append((e.port, e.src))
        report = CostReport()
        for nid, shape in shapes.items():
            node = graph.nodes.get(nid)
            if node is None or shape.shape is None:
                continue
            cost = self._node_cost(node.key, node.params, incoming.get(nid, []), shape, shapes)
            if cost is not None:
                report.nodes[nid] = cost
        _liveness(graph, report, incoming)
        return report

    def _node_cost(
        self,
        key: str,
        params: Mapping[str, Any],
        edges: list[tuple[str, str]],
        shape: NodeShape,
        shapes: Mapping[str, NodeShape],
    ) -> NodeCost | None:
        from nnstudio.core import catalog

        spec = catalog.get(key)
        values, errors = spec.validate_params(params)
        ports: dict[str, list[NodeShape]] = {}
        for port, src in edges:
            s = shapes.get(src)
            if s is None or s.shape is None:
                return None
            ports.setdefault(port, []).append(s)
        cache_key = (
            key,
            _freeze(values),
            tuple((p, tuple((s.shape, s.dtype) for s in ports.get(p, ()))) for p in spec.inputs),
            shape.shape,
            shape.dtype,
            shape.params,
        )
        cached = self._cache.get(cache_key)
        if cached is not None:
            self._cache.move_to_end(cache_key)
            return cached
        cost = self._compute(key, values, ports, shape)
        self._cache[cache_key] = cost
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return cost

    def _compute(
        self,
        key: str,
        values: Mapping[str, Any],
        ports: Mapping[str, list[NodeShape]],
        shape: NodeShape,
    ) -> NodeCost:
        self.computed += 1
        out, unknown = per_sample(shape.shape)
        inputs: dict[str, tuple[PerSample, ...]] = {}
        for port, items in ports.items():
            dims = [per_sample(s.shape) for s in items]
            unknown = unknown or any(u for _, u in dims)
            inputs[port] = tuple(d for d, _ in dims)
        macs, extra = RULES[key](Op(values, inputs, out))
        return NodeCost(
            macs=int(macs),
            flops=int(2 * macs + extra),
            params=shape.params,
            param_bytes=shape.params * self.param_bytes,
            activation_bytes=math.prod(out) * dtype_bytes(shape.dtype),
            approximate=unknown,
        )


def _liveness(graph: Graph, report: CostReport, incoming: Mapping[str, list[Any]]) -> None:
    """Fill the inference and training peaks of ``report`` (see the module docstring)."""
    order = list(report.nodes)  # the check's topological order
    index = {nid: i for i, nid in enumerate(order)}
    last_use = {nid: i for i, nid in enumerate(order)}
    for nid in order:
        for _, src in incoming.get(nid, ()):
            if src in last_use:
                last_use[src] = max(last_use[src], index[nid])
    for decl in graph.outputs:
        if decl.node in last_use:
            last_use[decl.node] = len(order)
    frees: dict[int, list[str]] = {}
    for nid, i in last_use.items():
        frees.setdefault(i, []).append(nid)
    live = peak = 0
    peak_node = None
    for i, nid in enumerate(order):
        live += report.nodes[nid].activation_bytes
        if live > peak:
            peak, peak_node = live, nid
        for done in frees.get(i, ()):
            live -= report.nodes[done].activation_bytes
    report.peak_activation_bytes = peak
    report.peak_node = peak_node
    backward = 0
    for nid in order:
        srcs = {src for _, src in incoming.get(nid, ()) if src in report.nodes}
        grads = report.nodes[nid].activation_bytes + sum(
            report.nodes[s].activation_bytes for s in srcs
        )
        backward = max(backward, grads)
    report.sample_training_bytes = report.total_activation_bytes + backward


def compute_cost(graph: Graph, result: CheckResult) -> CostReport:
    """One-off cost of a checked graph (see :class:`CostModel` for repeated ones)."""
    return CostModel().compute(graph, result)


def human_count(n: float) -> str:
    """``4_090_000_000`` as ``4.09 G``; ``12_300`` as ``12.3 k``; below 1000 as is."""
    value = float(n)
    for unit in ("", " k", " M", " G", " T"):
        if abs(value) < 999.5 or unit == " T":
            if not unit:
                return f"{value:.0f}"
            return f"{value:.3g}{unit}"
        value /= 1000
    return f"{value:.3g} T"  # pragma: no cover


def human_bytes(n: float) -> str:
    """A byte count in B, KiB, MiB or GiB (powers of 1024, three significant digits)."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1023.5 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.3g} {unit}"
        value /= 1024
    return f"{value:.3g} GiB"  # pragma: no cover
