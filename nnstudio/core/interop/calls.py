"""Serialized layer calls: tensor references (``keras_history``) and port mapping.

A call of a functional model's layer is recorded as ``args``/``kwargs`` (Keras 3) or as a
list of ``[layer, node, tensor, kwargs]`` (Keras 2); here both become :class:`Ref` values,
validated for type before use, and are assigned to the input ports of a catalog spec.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from nnstudio.core import catalog

Shape = tuple[int | None, ...] | None
# A layer's call waiting for its inputs: (entry, args, kwargs, names of the layers it reads)
PendingCall = tuple[dict[str, Any], list[Any], dict[str, Any], set[str]]


@dataclass(frozen=True)
class Ref:
    """A reference to a tensor: ``keras_history`` plus the shape the config records."""

    layer: str
    node_index: int
    tensor_index: int
    shape: Shape = None
    dtype: str | None = None


class Malformed(Exception):
    """A config that is not a well-formed serialized model (the message says where)."""


OP_MODULES = ("keras.src.ops.numpy", "keras.ops")
OPS = frozenset({"Add", "Subtract", "Multiply"})


def is_op_entry(entry: Mapping[str, Any]) -> bool:
    """True for a Keras operation (not a layer) recorded in a functional model."""
    return entry.get("module") in OP_MODULES and entry.get("class_name") in OPS


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def entry_name(entry: Mapping[str, Any]) -> str | None:
    name = entry.get("name")
    if not isinstance(name, str):
        name = as_dict(entry.get("config")).get("name")
    return name if isinstance(name, str) and name else None


def as_ref(value: Any) -> Ref | None:
    """A tensor reference from the Keras 3 dict form or the Keras 2 list form."""
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        cfg = as_dict(value.get("config"))
        hist = cfg.get("keras_history")
        ref = as_ref(hist)
        if ref is None:
            raise Malformed(f"a tensor has a malformed keras_history {hist!r}")
        shape = cfg.get("shape")
        shape_t = tuple(shape) if isinstance(shape, list) else None
        dtype = cfg.get("dtype") if isinstance(cfg.get("dtype"), str) else None
        return Ref(ref.layer, ref.node_index, ref.tensor_index, shape_t, dtype)
    if (
        isinstance(value, list)
        and len(value) in (3, 4)
        and isinstance(value[0], str)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:3])
    ):
        return Ref(value[0], value[1], value[2])
    return None


def history_list(value: Any, what: str) -> list[Ref]:
    if isinstance(value, dict):
        raise Malformed(
            f"{what} is a dict; models with named (dict) inputs or outputs are not supported"
        )
    single = as_ref(value)
    if single is not None:
        return [single]
    if not isinstance(value, list):
        raise Malformed(f"{what} is missing")
    refs = [as_ref(v) for v in value]
    if any(r is None for r in refs):
        raise Malformed(f"{what} holds something other than layer references")
    return [r for r in refs if r is not None]


def convert(value: Any) -> Any:
    """Replace tensor references in a call structure by :class:`Ref`."""
    ref = as_ref(value) if isinstance(value, dict) else None
    if ref is not None:
        return ref
    if isinstance(value, dict) and value.get("class_name") == "__tuple__":
        return convert(as_dict(value.get("config")).get("value", []))
    if isinstance(value, list):
        return [convert(v) for v in value]
    if isinstance(value, dict):
        return {k: convert(v) for k, v in value.items()}
    return value


def parse_node(node: Any, name: str) -> tuple[list[Any], dict[str, Any]]:
    """``(args, kwargs)`` of one call, with tensors as :class:`Ref`."""
    if isinstance(node, dict):
        args = node.get("args", [])
        kwargs = node.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise Malformed(f"{name}: malformed call")
        return convert(args), convert(kwargs)
    if isinstance(node, list) and node and all(isinstance(t, list) for t in node):
        refs = [as_ref(t) for t in node]
        if any(r is None for r in refs):
            raise Malformed(f"{name}: malformed inbound tensor")
        legacy_kwargs: dict[str, Any] = {}
        if len(node[0]) == 4 and isinstance(node[0][3], dict):
            for k, v in node[0][3].items():
                legacy_kwargs[k] = as_ref(v) if as_ref(v) is not None else v
        legacy_args: list[Any] = [refs[0]] if len(refs) == 1 else [list(refs)]
        return legacy_args, legacy_kwargs
    raise Malformed(f"{name}: malformed inbound node")


def refs_in(value: Any) -> list[Ref]:
    out: list[Ref] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, Ref):
            out.append(v)
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    return out


def map_ports(
    spec: catalog.LayerSpec,
    args: list[Any],
    kwargs: Mapping[str, Any],
    label: str,
    problems: list[str],
) -> dict[str, list[Ref]] | None:
    """Assign the call's tensors to the spec's input ports."""
    tensor_kwargs = {k: v for k, v in kwargs.items() if isinstance(v, Ref)}
    first = args[0] if args else None
    if spec.variadic:
        if (
            isinstance(first, list)
            and first
            and all(isinstance(r, Ref) for r in first)
            and len(args) == 1
            and not tensor_kwargs
        ):
            return {"in": list(first)}
        problems.append(f"{label}: a merge must be called on a list of tensors")
        return None
    if len(spec.inputs) > 1:
        if isinstance(first, list):
            items, rest = first, args[1:]
        else:
            items, rest = args, []
        if rest or not all(isinstance(r, Ref) for r in items) or len(items) > len(spec.inputs):
            problems.append(f"{label}: called with arguments NN Studio cannot map to its ports")
            return None
        ports = {p: [r] for p, r in zip(spec.inputs, items, strict=False)}
        for key, ref in tensor_kwargs.items():
            if key not in spec.inputs or key in ports:
                problems.append(f"{label}: tensor argument {key!r} has no port")
                return None
            ports[key] = [ref]
        missing = [p for p in spec.required_inputs if p not in ports]
        if missing:
            problems.append(f"{label}: no tensor for {', '.join(missing)}")
            return None
        return ports
    if isinstance(first, list) and len(first) == 1:
        first = first[0]
    if isinstance(first, Ref) and len(args) == 1 and not tensor_kwargs:
        return {spec.inputs[0]: [first]}
    if tensor_kwargs and not args and len(tensor_kwargs) == 1:
        return {spec.inputs[0]: list(tensor_kwargs.values())}
    problems.append(
        f"{label}: called on {len(refs_in(args)) + len(tensor_kwargs)} tensors; "
        "NN Studio layers of this type take one"
    )
    return None


def index_entries(entries: list[Any]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The layer entries of a functional model by name, and their names in file order."""
    by_name: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
            raise Malformed(f"layer #{i} is not a layer entry")
        name = entry_name(entry)
        if name is None:
            raise Malformed(f"layer #{i} has no name")
        if name in by_name:
            raise Malformed(f"two layers are called {name!r}")
        by_name[name] = entry
        order.append(name)
    return by_name, order


def call_order(
    calls: Mapping[str, PendingCall], order: list[str], produced: Collection[str]
) -> list[str]:
    """The calls in an order where each comes after the layers it reads (the file's order
    wherever that allows); linear in the number of calls, whatever the file's order."""
    index = {name: i for i, name in enumerate(order)}
    waiting = {name: {d for d in call[3] if d not in produced} for name, call in calls.items()}
    users: dict[str, list[str]] = {}
    for name, deps in waiting.items():
        for dep in deps:
            users.setdefault(dep, []).append(name)
    ready = [index[name] for name, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    out: list[str] = []
    while ready:
        name = order[heapq.heappop(ready)]
        out.append(name)
        for user in users.get(name, ()):
            waiting[user].discard(name)
            if not waiting[user]:
                heapq.heappush(ready, index[user])
    if len(out) < len(calls):
        done = set(out)
        stuck = [name for name in order if name in calls and name not in done]
        raise Malformed(f"layers {', '.join(stuck[:5])} depend on each other in a cycle")
    return out
