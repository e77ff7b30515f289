"""The check before training: does the data fit the model?

:func:`preflight` compares what the data layer found (a :class:`~nnstudio.core.data.Report`
or :class:`~nnstudio.core.data.pipeline.PreparedData`: sample shape, dtype, task, classes,
number of targets) with the graph: the Input's shape and dtype, the declared output's units
and activation, and its loss.  Each mismatch is a validation :class:`Issue` located on the
Input or the output node, in plain words and with the fix.  The Data panel shows them on the
nodes and disables Train while one stands; ``nnstudio train`` refuses with the same message
(exit code 2) unless ``--data`` fits the model.

Multi-input data (an ``.npz`` with one array per Input, ``details["inputs"]`` of the report)
is checked Input by Input against the array of the Input's name: a missing array, the
sample shape and token dtype, in the same words as for one input.

Keras is not needed: shapes come from the node parameters, or from ``shapes`` (the
per-node results of :class:`~nnstudio.core.graph.check.GraphChecker`) where given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nnstudio.core.graph.check import CheckResult
from nnstudio.core.graph.model import Graph
from nnstudio.core.graph.validation import Issue

FIT_HINT = "Fit model to data"
CLASS_LOSSES = (
    "sparse_categorical_crossentropy",
    "sparse_categorical_focal_crossentropy",
)
ONE_HOT_LOSSES = ("categorical_crossentropy", "categorical_focal_crossentropy")
BINARY_LOSSES = ("binary_crossentropy", "binary_focal_crossentropy", "hinge", "squared_hinge")
VALUE_LOSSES = (
    "mse",
    "mae",
    "mean_squared_error",
    "mean_absolute_error",
    "huber",
    "log_cosh",
    "logcosh",
    "msle",
    "mean_squared_logarithmic_error",
    "mape",
    "mean_absolute_percentage_error",
)
RECONSTRUCTION_LOSSES = VALUE_LOSSES + ("binary_crossentropy",)
TOKEN_LAYERS = ("Embedding",)
RECONSTRUCTION = "reconstruction"


def format_dims(shape: Sequence[Any]) -> str:
    """``(28, 28, 1)`` -> ``28×28×1``; unknown dimensions as ``?``."""
    return "×".join("?" if d is None else str(d) for d in shape)


def _describe_samples(shape: Sequence[int]) -> str:
    if len(shape) == 1:
        return f"{shape[0]} feature{'s' if shape[0] != 1 else ''}"
    return f"samples of shape {format_dims(shape)}"


def data_task(data: Any, targets: str | None = None) -> str | None:
    """``"classification"``, ``"regression"`` or ``"reconstruction"`` (targets = inputs)."""
    if targets == "inputs":
        return RECONSTRUCTION
    task = getattr(data, "task", None)
    if task == RECONSTRUCTION:
        return task
    config = getattr(data, "config", None)
    if getattr(config, "targets", None) == "inputs":
        return RECONSTRUCTION
    return task


def data_dtype(data: Any) -> str | None:
    """The dtype of the data's features where the source records it (NumPy), else ``None``."""
    pre = getattr(data, "preprocessing", None)
    if isinstance(pre, Mapping) and pre.get("input_dtype"):
        return str(pre["input_dtype"])
    details = getattr(data, "details", None)
    if isinstance(details, Mapping) and details.get("features_dtype"):
        return str(details["features_dtype"])
    report = getattr(data, "report", None)
    if report is not None and report is not data:
        return data_dtype(report)
    return None


def _is_integer_dtype(dtype: str) -> bool:
    return dtype.startswith(("int", "uint")) or dtype == "bool"


def preflight(
    graph: Graph,
    data: Any,
    shapes: Mapping[str, Any] | None = None,
    targets: str | None = None,
) -> list[Issue]:
    """Every way ``data`` does not fit ``graph``, each located on the Input or output node.

    ``data`` is a Report or PreparedData; ``shapes`` optionally maps node ids to inferred
    :class:`NodeShape` (used for outputs that are not Dense layers); ``targets="inputs"``
    says the data trains a reconstruction (autoencoder) when ``data`` does not say so itself.
    """
    # imported here: core.data brings NumPy, which the window must not load before its frame
    from nnstudio.core.data.multi_input_fit import named_inputs

    named = named_inputs(data)
    if named:
        issues = _check_named_inputs(graph, named)
        return issues + _check_outputs(graph, data, (), shapes or {}, data_task(data, targets))
    feature_shape = tuple(int(d) for d in (getattr(data, "feature_shape", ()) or ()))
    if not feature_shape:
        return []
    issues = _check_inputs(graph, data, feature_shape)
    issues += _check_outputs(graph, data, feature_shape, shapes or {}, data_task(data, targets))
    return issues


def _check_named_inputs(graph: Graph, named: Mapping[str, Mapping[str, Any]]) -> list[Issue]:
    """Each Input against the data's array of the same name (shape and dtype)."""
    inputs = [n for n in graph.nodes.values() if n.spec.is_input]
    arrays = ", ".join(f"'{k}'" for k in named)
    issues: list[Issue] = []
    for inp in inputs:
        found = named.get(inp.name)
        if found is None:
            issues.append(
                Issue(
                    "error",
                    inp.id,
                    f"The data has {len(named)} input arrays ({arrays}), none named "
                    f"'{inp.name}' for Input '{inp.name}'.",
                    "Rename the Input after the data's array it takes, or add an array of "
                    "its name to the .npz.",
                    code="data-inputs",
                )
            )
            continue
        sample = tuple(int(d) for d in found.get("shape") or ()) or (1,)
        issues += _check_input(graph, inp, sample, found.get("dtype"), f"'{inp.name}'")
    return issues


def _check_inputs(graph: Graph, data: Any, feature_shape: tuple[int, ...]) -> list[Issue]:
    inputs = [n for n in graph.nodes.values() if n.spec.is_input]
    if not inputs:
        return []
    if len(inputs) > 1:
        names = ", ".join(f"'{n.name}'" for n in inputs)
        return [
            Issue(
                "error",
                inputs[1].id,
                f"The data gives one input ({_describe_samples(feature_shape)}) but the model "
                f"has {len(inputs)} Inputs ({names}).",
                "Remove the extra Inputs, or use data with one array per Input.",
                code="data-inputs",
            )
        ]
    return _check_input(graph, inputs[0], feature_shape, data_dtype(data))


def _check_input(
    graph: Graph, inp: Any, feature_shape: tuple[int, ...], dtype: str | None, array: str = ""
) -> list[Issue]:
    """One Input against its data (``array``: the name of the data's array, for several)."""
    issues: list[Issue] = []
    data = f"The data's {array}" if array else "The data"
    wanted = tuple(inp.params.get("shape") or ())
    fits = len(wanted) == len(feature_shape) and all(
        w is None or int(w) == f for w, f in zip(wanted, feature_shape, strict=True)
    )
    if not fits:
        if len(wanted) == len(feature_shape) == 1:
            message = (
                f"{data} has {_describe_samples(feature_shape)}, Input '{inp.name}' takes "
                f"{wanted[0]}."
            )
        else:
            message = (
                f"{data} has {_describe_samples(feature_shape)}, Input '{inp.name}' takes "
                f"{format_dims(wanted)}."
            )
        issues.append(Issue("error", inp.id, message, FIT_HINT, code="data-shape"))
    tokens = [
        graph.nodes[e.dst]
        for e in graph.out_edges(inp.id)
        if graph.nodes[e.dst].key in TOKEN_LAYERS
    ]
    if tokens and dtype is not None and not _is_integer_dtype(dtype):
        issues.append(
            Issue(
                "error",
                inp.id,
                f"'{tokens[0].name}' ({tokens[0].key}) needs whole-number token ids, but the "
                f"{data[0].lower()}{data[1:]} holds {dtype} values.",
                "Use integer token ids (for example an .npz of int32 arrays), or remove the "
                "Embedding.",
                code="data-dtype",
            )
        )
    return issues


def _output_info(graph: Graph, node_id: str, shapes: Mapping[str, Any]) -> tuple[Any, str | None]:
    """(output shape without the batch axis or ``None``, activation or ``None``)."""
    node = graph.nodes[node_id]
    activation = node.params.get("activation")
    inferred = shapes.get(node_id)
    shape = getattr(inferred, "shape", None)
    if shape is not None:
        return tuple(shape)[1:], activation
    if node.key == "Dense" and isinstance(node.params.get("units"), int):
        return None, activation  # units known, leading dims not
    return None, activation


def _units(graph: Graph, node_id: str, shapes: Mapping[str, Any]) -> int | None:
    shape, _ = _output_info(graph, node_id, shapes)
    if shape:
        last = shape[-1]
        return int(last) if last is not None else None
    node = graph.nodes[node_id]
    units = node.params.get("units")
    return units if node.key == "Dense" and isinstance(units, int) else None


def _check_outputs(
    graph: Graph,
    data: Any,
    feature_shape: tuple[int, ...],
    shapes: Mapping[str, Any],
    task: str | None,
) -> list[Issue]:
    outputs = graph.outputs
    if not outputs or task is None:
        return []
    if len(outputs) > 1:
        names = ", ".join(f"'{graph.nodes[o.node].name}'" for o in outputs if o.node in graph.nodes)
        return [
            Issue(
                "error",
                outputs[1].node,
                f"The data has one target but the model has {len(outputs)} outputs ({names}).",
                "Keep one output (right-click > Not an output), or use data with a target per "
                "output.",
                code="data-outputs",
            )
        ]
    decl = outputs[0]
    if decl.node not in graph.nodes:
        return []
    if task == "classification":
        return _check_classifier(graph, data, decl, shapes)
    if task == "regression":
        return _check_regression(graph, data, decl, shapes)
    if task == RECONSTRUCTION:
        return _check_reconstruction(graph, decl, feature_shape, shapes)
    return []


def _check_classifier(graph: Graph, data: Any, decl: Any, shapes: Mapping[str, Any]) -> list[Issue]:
    node = graph.nodes[decl.node]
    names = getattr(data, "class_names", None) or []
    k = len(names) or int(getattr(data, "num_outputs", 0) or 0)
    if k < 2:
        return []
    units = _units(graph, decl.node, shapes)
    activation = node.params.get("activation")
    loss = decl.loss
    where = f"output '{node.name}'"
    issues: list[Issue] = []
    binary_head = k == 2 and units == 1
    if units is not None and units != k and not binary_head:
        issues.append(
            Issue(
                "error",
                node.id,
                f"The data has {k} classes, {where} gives {units} value"
                f"{'s' if units != 1 else ''}.",
                f"Set its units to {k} with softmax, or " + FIT_HINT,
                code="data-classes",
            )
        )
    if loss in VALUE_LOSSES:
        issues.append(
            Issue(
                "error",
                node.id,
                f"The loss {loss} of {where} is for regression, but the data is a "
                f"classification into {k} classes.",
                "Use sparse_categorical_crossentropy (binary_crossentropy for one sigmoid "
                "unit), or " + FIT_HINT,
                code="data-loss",
            )
        )
    elif loss in ONE_HOT_LOSSES:
        issues.append(
            Issue(
                "error",
                node.id,
                f"The loss {loss} of {where} needs one-hot targets, but the data gives class "
                "indices.",
                "Use sparse_categorical_crossentropy.",
                code="data-loss",
            )
        )
    elif loss in BINARY_LOSSES and not binary_head and units is not None:
        issues.append(
            Issue(
                "error",
                node.id,
                f"The loss {loss} of {where} is for two classes in one sigmoid unit, but the "
                f"data has {k} classes in {units} units.",
                f"Use sparse_categorical_crossentropy with {k} softmax units, or " + FIT_HINT,
                code="data-loss",
            )
        )
    if loss in CLASS_LOSSES and activation not in (None, "softmax") and units != 1:
        issues.append(
            Issue(
                "error",
                node.id,
                f"{where} uses {activation}, but {loss} needs class probabilities.",
                "Set its activation to softmax.",
                code="data-activation",
            )
        )
    return issues


def _check_regression(graph: Graph, data: Any, decl: Any, shapes: Mapping[str, Any]) -> list[Issue]:
    node = graph.nodes[decl.node]
    n = int(getattr(data, "num_outputs", 0) or 1)
    units = _units(graph, decl.node, shapes)
    where = f"output '{node.name}'"
    issues: list[Issue] = []
    if units is not None and units != n:
        issues.append(
            Issue(
                "error",
                node.id,
                f"The data has {n} regression target{'s' if n != 1 else ''}, {where} gives "
                f"{units} value{'s' if units != 1 else ''}.",
                f"Set its units to {n} with a linear activation, or " + FIT_HINT,
                code="data-targets",
            )
        )
    if decl.loss not in VALUE_LOSSES:
        issues.append(
            Issue(
                "error",
                node.id,
                f"The loss {decl.loss} of {where} is for classes, but the data's targets are "
                "numbers (regression).",
                "Use mse or mae, or " + FIT_HINT,
                code="data-loss",
            )
        )
    if node.params.get("activation") == "softmax":
        issues.append(
            Issue(
                "error",
                node.id,
                f"{where} uses softmax, which cannot give regression values.",
                "Set its activation to linear.",
                code="data-activation",
            )
        )
    return issues


def _check_reconstruction(
    graph: Graph, decl: Any, feature_shape: tuple[int, ...], shapes: Mapping[str, Any]
) -> list[Issue]:
    node = graph.nodes[decl.node]
    where = f"output '{node.name}'"
    issues: list[Issue] = []
    shape, _ = _output_info(graph, decl.node, shapes)
    if shape is not None and tuple(shape) != feature_shape:
        issues.append(
            Issue(
                "error",
                node.id,
                f"The data's targets are its inputs ({format_dims(feature_shape)}), {where} "
                f"gives {format_dims(shape)}.",
                "Make the output the same shape as the Input (for example a last Conv2D with "
                "as many filters as the image has channels).",
                code="data-targets",
            )
        )
    if decl.loss not in RECONSTRUCTION_LOSSES:
        issues.append(
            Issue(
                "error",
                node.id,
                f"The loss {decl.loss} of {where} is for classes, but the data trains a "
                "reconstruction.",
                "Use mse (or binary_crossentropy for values from 0 to 1).",
                code="data-loss",
            )
        )
    return issues


def cli_message(graph: Graph, issues: Sequence[Issue]) -> str:
    """The issues as the one line ``nnstudio train`` refuses with."""
    parts = [
        f"{i.message.rstrip('.')}: {i.hint.rstrip('.')}" if i.hint else i.message.rstrip(".")
        for i in issues
    ]
    return (
        "the data does not fit the model: "
        + "; ".join(parts)
        + " (or train with --data PATH to fit the model to the data for this run)"
    )


def with_preflight(
    result: CheckResult, graph: Graph, data: Any, targets: str | None = None
) -> CheckResult:
    """``result`` (a graph check) with the pre-flight issues added, errors first: what the UI's
    checking shows on the nodes and in the Issues panel once data is attached (Train is
    disabled while ``result.ok`` is False)."""
    issues = list(result.issues) + preflight(graph, data, result.shapes, targets)
    order = {nid: i for i, nid in enumerate(graph.nodes)}
    issues.sort(key=lambda i: (i.severity != "error", order.get(i.node or "", -1)))
    return CheckResult(issues, result.shapes)
