"""Reading a graph back from JSON data, with a located message for anything malformed."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from nnstudio.core import catalog
from nnstudio.core.catalog.spec import ParamError
from nnstudio.core.graph.model import Edge, Graph, Node, OutputDecl

MAX_NODES = 20_000
_NODE_KEYS = {"id", "type", "name", "params", "pos"}
_EDGE_KEYS = {"from", "to", "port"}
_OUTPUT_KEYS = {"node", "loss", "loss_weight", "metrics"}


class FormatError(ValueError):
    """Malformed file content; ``where`` is the JSON path of the offending value."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where


def _expect(value: Any, kind: type | tuple[type, ...], where: str, what: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and bool not in _as_tuple(kind):
        raise FormatError(where, f"expected {what}, found {_describe(value)}")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _describe(value: Any) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def _finite(value: Any) -> bool:
    """A JSON number that is not true/false and fits a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _param_value(value: Any, where: str, depth: int = 0) -> Any:
    """Keep JSON scalars and lists of them; lists become tuples."""
    if isinstance(value, list):
        if depth > 2 or len(value) > 64:
            raise FormatError(where, "parameter lists are at most 64 items and 2 levels deep")
        return tuple(_param_value(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value))
    if value is None or isinstance(value, (str, int, float, bool)):
        if isinstance(value, str) and len(value) > 1000:
            raise FormatError(where, "text parameter longer than 1000 characters")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > 2**63:
            raise FormatError(where, "number too large for a parameter")
        return value
    raise FormatError(
        where, f"expected a number, text, true/false or a list, found {_describe(value)}"
    )


def normalise_params(key: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Validated values where valid; values a spec refuses are kept as given (and reported)."""
    spec = catalog.get(key)
    out: dict[str, Any] = {}
    for name, value in params.items():
        try:
            out[name] = spec.param(name).validate(value)
        except (KeyError, ParamError, TypeError, ValueError, ArithmeticError):
            out[name] = value
    return out


def graph_from_json(data: Any, where: str = "graph") -> Graph:
    """Build a :class:`Graph` from ``data`` (as written by ``Graph.to_json``).

    Raises :class:`FormatError` naming the JSON path of the first problem.
    """
    _expect(data, dict, where, "an object")
    graph = Graph()
    nodes = _expect(data.get("nodes", []), list, f"{where}.nodes", "a list")
    if len(nodes) > MAX_NODES:
        raise FormatError(f"{where}.nodes", f"more than {MAX_NODES} nodes")
    for i, raw in enumerate(nodes):
        at = f"{where}.nodes[{i}]"
        _expect(raw, dict, at, "an object")
        node_id = _expect(raw.get("id"), str, f"{at}.id", "text")
        key = _expect(raw.get("type"), str, f"{at}.type", "text")
        try:
            catalog.get(key)
        except KeyError:
            raise FormatError(f"{at}.type", f"unknown layer type {key!r}") from None
        name = _expect(raw.get("name", node_id), str, f"{at}.name", "text")
        if node_id in graph.nodes:
            raise FormatError(f"{at}.id", f"duplicate node id {node_id!r}")
        params_raw = _expect(raw.get("params", {}), dict, f"{at}.params", "an object")
        params = {k: _param_value(v, f"{at}.params.{k}") for k, v in params_raw.items()}
        pos_raw = _expect(raw.get("pos", [0, 0]), list, f"{at}.pos", "a list [x, y]")
        if len(pos_raw) != 2 or not all(_finite(v) for v in pos_raw):
            raise FormatError(f"{at}.pos", "expected two numbers [x, y]")
        extra = {k: v for k, v in raw.items() if k not in _NODE_KEYS}
        node = Node(
            node_id,
            key,
            name,
            normalise_params(key, params),
            (float(pos_raw[0]), float(pos_raw[1])),
            extra,
        )
        graph.nodes[node_id] = node
    edges = _expect(data.get("edges", []), list, f"{where}.edges", "a list")
    for i, raw in enumerate(edges):
        at = f"{where}.edges[{i}]"
        _expect(raw, dict, at, "an object")
        src = _expect(raw.get("from"), str, f"{at}.from", "a node id")
        dst = _expect(raw.get("to"), str, f"{at}.to", "a node id")
        port = _expect(raw.get("port", "in"), str, f"{at}.port", "a port name")
        for end, nid in (("from", src), ("to", dst)):
            if nid not in graph.nodes:
                raise FormatError(f"{at}.{end}", f"no node with id {nid!r}")
        if port not in graph.nodes[dst].spec.inputs:
            raise FormatError(
                f"{at}.port", f"{graph.nodes[dst].spec.display} has no input port {port!r}"
            )
        extra = {k: v for k, v in raw.items() if k not in _EDGE_KEYS}
        graph.edges.append(Edge(src, dst, port, extra))
    outputs = _expect(data.get("outputs", []), list, f"{where}.outputs", "a list")
    for i, raw in enumerate(outputs):
        at = f"{where}.outputs[{i}]"
        _expect(raw, dict, at, "an object")
        nid = _expect(raw.get("node"), str, f"{at}.node", "a node id")
        if nid not in graph.nodes:
            raise FormatError(f"{at}.node", f"no node with id {nid!r}")
        loss = _expect(raw.get("loss", "mse"), str, f"{at}.loss", "a loss name")
        weight = _expect(raw.get("loss_weight", 1.0), (int, float), f"{at}.loss_weight", "a number")
        if not _finite(weight):
            raise FormatError(f"{at}.loss_weight", "expected a number of ordinary size")
        metrics = _expect(raw.get("metrics", []), list, f"{at}.metrics", "a list")
        for j, m in enumerate(metrics):
            _expect(m, str, f"{at}.metrics[{j}]", "a metric name")
        extra = {k: v for k, v in raw.items() if k not in _OUTPUT_KEYS}
        graph.outputs.append(OutputDecl(nid, loss, float(weight), list(metrics), extra))
    graph._next_id = len(graph.nodes) + 1
    return graph
