"""Reading a graph back from JSON data, with a located message for anything malformed."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from nnstudio.core import catalog
from nnstudio.core.catalog.spec import ParamError
from nnstudio.core.graph.model import (
    BLOCK_KEY,
    NAME_RE,
    OUT_PORT,
    BlockDefinition,
    Edge,
    Graph,
    Node,
    OutputDecl,
)

MAX_NODES = 20_000
MAX_BLOCKS = 2_000
_NODE_KEYS = {"id", "type", "name", "params", "pos"}
_EDGE_KEYS = {"from", "to", "port", "from_port"}
_OUTPUT_KEYS = {"node", "loss", "loss_weight", "metrics", "port"}
_BLOCK_KEYS = {"description", "graph"}


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
    """Build a :class:`Graph` from ``data`` (as written by ``Graph.to_json``), with its block
    definitions (``blocks``) and the uses of them.

    Raises :class:`FormatError` naming the JSON path of the first problem.
    """
    _expect(data, dict, where, "an object")
    raw_blocks = _expect(data.get("blocks", {}), dict, f"{where}.blocks", "an object")
    if len(raw_blocks) > MAX_BLOCKS:
        raise FormatError(f"{where}.blocks", f"more than {MAX_BLOCKS} block definitions")
    names = set(raw_blocks)
    budget = [MAX_NODES]
    graph = _read_graph(data, where, names, budget)
    pending = [(graph, where)]
    for name, raw in raw_blocks.items():
        at = f"{where}.blocks.{name}"
        if not NAME_RE.match(name):
            raise FormatError(at, "a block name uses letters, digits, _ . - (at most 64)")
        _expect(raw, dict, at, "an object")
        description = _expect(raw.get("description", ""), str, f"{at}.description", "text")
        if len(description) > 10_000:
            raise FormatError(f"{at}.description", "longer than 10000 characters")
        inner_raw = _expect(raw.get("graph", {}), dict, f"{at}.graph", "an object")
        if "blocks" in inner_raw:
            raise FormatError(f"{at}.graph.blocks", "definitions are listed at the top only")
        inner = _read_graph(inner_raw, f"{at}.graph", names, budget)
        extra = {k: v for k, v in raw.items() if k not in _BLOCK_KEYS}
        graph.blocks[name] = BlockDefinition(name, inner, description, extra)
        pending.append((inner, f"{at}.graph"))
    for d in graph.blocks.values():
        d.graph.blocks = graph.blocks
        d.graph.subscribe(graph._inner_changed)
    _check_block_cycles(graph, where)
    graph.refresh_block_specs()
    for g, at in pending:
        _check_block_ports(g, at)
    return graph


def _check_block_cycles(graph: Graph, where: str) -> None:
    """A definition that uses itself, directly or through others, is refused."""
    uses = {
        name: {
            str(n.params.get("definition")) for n in d.graph.nodes.values() if n.key == BLOCK_KEY
        }
        for name, d in graph.blocks.items()
    }
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for dep in sorted(uses.get(name, ())):
            if state.get(dep) == 1:
                loop = " → ".join([*trail[trail.index(dep) :], dep]) if dep in trail else dep
                raise FormatError(f"{where}.blocks.{name}", f"block definitions loop: {loop}")
            if dep not in state:
                visit(dep, [*trail, dep])
        state[name] = 2

    for name in graph.blocks:
        if name not in state:
            visit(name, [name])


def _check_block_ports(graph: Graph, where: str) -> None:
    """Edges and outputs that name a port a block use does not have are refused."""
    for i, e in enumerate(graph.edges):
        src = graph.nodes[e.src]
        if src.key == BLOCK_KEY:
            d = graph.blocks[str(src.params.get("definition"))]
            if e.src_port not in d.output_ports():
                raise FormatError(
                    f"{where}.edges[{i}].from_port",
                    f"block {d.name!r} has no output {e.src_port!r}",
                )
        elif e.src_port != OUT_PORT:
            raise FormatError(f"{where}.edges[{i}].from_port", f"{src.name!r} has one output")
        if graph.nodes[e.dst].key == BLOCK_KEY and e.port not in graph.nodes[e.dst].spec.inputs:
            raise FormatError(f"{where}.edges[{i}].port", f"the block has no input {e.port!r}")
    for i, o in enumerate(graph.outputs):
        node = graph.nodes[o.node]
        ports = (
            graph.blocks[str(node.params.get("definition"))].output_ports()
            if node.key == BLOCK_KEY
            else [OUT_PORT]
        )
        if o.port not in ports:
            raise FormatError(
                f"{where}.outputs[{i}].port", f"{node.name!r} has no output {o.port!r}"
            )


def _read_graph(data: Any, where: str, blocks: set[str], budget: list[int]) -> Graph:
    """One graph's nodes, edges and outputs (block ports are checked afterwards)."""
    _expect(data, dict, where, "an object")
    graph = Graph()
    nodes = _expect(data.get("nodes", []), list, f"{where}.nodes", "a list")
    budget[0] -= len(nodes)
    if len(nodes) > MAX_NODES or budget[0] < 0:
        raise FormatError(f"{where}.nodes", f"more than {MAX_NODES} nodes")
    for i, raw in enumerate(nodes):
        at = f"{where}.nodes[{i}]"
        _expect(raw, dict, at, "an object")
        node_id = _expect(raw.get("id"), str, f"{at}.id", "text")
        key = _expect(raw.get("type"), str, f"{at}.type", "text")
        if key != BLOCK_KEY:
            try:
                catalog.get(key)
            except KeyError:
                raise FormatError(f"{at}.type", f"unknown layer type {key!r}") from None
        name = _expect(raw.get("name", node_id), str, f"{at}.name", "text")
        if node_id in graph.nodes:
            raise FormatError(f"{at}.id", f"duplicate node id {node_id!r}")
        params_raw = _expect(raw.get("params", {}), dict, f"{at}.params", "an object")
        params = {k: _param_value(v, f"{at}.params.{k}") for k, v in params_raw.items()}
        if key == BLOCK_KEY:
            params = _block_params(params, blocks, f"{at}.params")
        pos_raw = _expect(raw.get("pos", [0, 0]), list, f"{at}.pos", "a list [x, y]")
        if len(pos_raw) != 2 or not all(_finite(v) for v in pos_raw):
            raise FormatError(f"{at}.pos", "expected two numbers [x, y]")
        extra = {k: v for k, v in raw.items() if k not in _NODE_KEYS}
        node = Node(
            node_id,
            key,
            name,
            params if key == BLOCK_KEY else normalise_params(key, params),
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
        src_port = _expect(raw.get("from_port", OUT_PORT), str, f"{at}.from_port", "a port name")
        for end, nid in (("from", src), ("to", dst)):
            if nid not in graph.nodes:
                raise FormatError(f"{at}.{end}", f"no node with id {nid!r}")
        if graph.nodes[dst].key != BLOCK_KEY and port not in graph.nodes[dst].spec.inputs:
            raise FormatError(
                f"{at}.port", f"{graph.nodes[dst].spec.display} has no input port {port!r}"
            )
        extra = {k: v for k, v in raw.items() if k not in _EDGE_KEYS}
        graph.edges.append(Edge(src, dst, port, extra, src_port))
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
        port = _expect(raw.get("port", OUT_PORT), str, f"{at}.port", "a port name")
        extra = {k: v for k, v in raw.items() if k not in _OUTPUT_KEYS}
        graph.outputs.append(OutputDecl(nid, loss, float(weight), list(metrics), extra, port))
    graph._next_id = len(graph.nodes) + 1
    return graph


def _block_params(params: dict[str, Any], blocks: set[str], where: str) -> dict[str, Any]:
    """A block use's parameters: a known ``definition`` and a ``repeat`` of 1..1000."""
    definition = params.get("definition")
    if not isinstance(definition, str) or definition not in blocks:
        raise FormatError(f"{where}.definition", f"no block definition {definition!r}")
    repeat = params.get("repeat", 1)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= 1000:
        raise FormatError(f"{where}.repeat", "expected a whole number from 1 to 1000")
    unknown = sorted(set(params) - {"definition", "repeat"})
    if unknown:
        raise FormatError(f"{where}.{unknown[0]}", "a block use has no such parameter")
    return {"definition": definition, "repeat": repeat}
