"""A serialized Keras model (functional or Sequential) as a flat list of layer calls.

Reads the parsed config only (no Keras): each layer's inbound tensors (``keras_history``,
in the Keras 3 ``args``/``kwargs`` form or the Keras 2 list form) become edges; nested
functional and Sequential models are flattened into their layers, their inputs bound to
the tensors they were called on and their outputs to their inner output layers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nnstudio.core import catalog
from nnstudio.core.interop.errors import ModelImportError, UnsupportedModelError

CONTAINERS = ("Functional", "Model", "Sequential")
Shape = tuple[int | None, ...] | None

# Call arguments that may appear with their neutral value (``None``/``False``).
_NEUTRAL_CALL_ARGS = {
    "mask",
    "training",
    "attention_mask",
    "return_attention_scores",
    "use_causal_mask",
    "initial_state",
    "return_state",
    "query_mask",
    "value_mask",
    "key_mask",
}


@dataclass
class FlatLayer:
    """One layer call of the flattened model."""

    path: tuple[str, ...]
    class_name: str
    config: dict[str, Any]
    inputs: dict[str, list[int]] = field(default_factory=dict)
    input_shapes: dict[str, list[Shape]] = field(default_factory=dict)
    depth: int = 0
    op: bool = False

    @property
    def keras_name(self) -> str:
        """The layer's own name in its (sub)model."""
        return self.path[-1]


@dataclass
class FlatModel:
    """Layers in topological order, the indices of the model outputs and their names."""

    name: str
    layers: list[FlatLayer] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    nested_models: int = 0


@dataclass(frozen=True)
class _Ref:
    """A reference to a tensor: ``keras_history`` plus the shape the config records."""

    layer: str
    node_index: int
    tensor_index: int
    shape: Shape = None
    dtype: str | None = None


def flatten(
    model: Mapping[str, Any], *, max_layers: int = 20_000, max_nested: int = 32
) -> FlatModel:
    """Flatten a serialized model (``{"class_name": ..., "config": {...}}``).

    Raises :class:`UnsupportedModelError` listing every call NN Studio cannot represent
    (shared layers, multi-output layers, unusual call arguments...), and
    :class:`ModelImportError` for malformed configs.
    """
    cls = model.get("class_name")
    cfg = model.get("config")
    if cls not in CONTAINERS or not isinstance(cfg, Mapping):
        raise ModelImportError(
            f"not a functional or Sequential Keras model (class {cls!r}); "
            "subclassed models carry no layer graph and cannot be imported"
        )
    name = cfg.get("name") if isinstance(cfg.get("name"), str) else "model"
    flat = _Flattener(max_layers, max_nested)
    result = FlatModel(name)
    try:
        outs = flat.expand(str(cls), cfg, None, (), 0)
    except _Malformed as exc:
        raise ModelImportError(f"the model config is malformed: {exc}") from None
    if flat.problems:
        raise UnsupportedModelError(
            "The model uses constructs NN Studio cannot represent:", flat.problems
        )
    result.layers = flat.layers
    result.outputs = [o for o, _ in outs]
    result.output_names = [n for _, n in outs]
    result.notes = flat.notes
    result.nested_models = flat.nested
    return result


class _Malformed(Exception):
    pass


class _Flattener:
    def __init__(self, max_layers: int, max_nested: int) -> None:
        self.layers: list[FlatLayer] = []
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.max_layers = max_layers
        self.max_nested = max_nested
        self.nested = 0
        self.refused: set[str] = set()  # layers already reported; references to them pass

    # -- containers ---------------------------------------------------------------------
    def expand(
        self,
        cls: str,
        cfg: Mapping[str, Any],
        bound: list[tuple[int, str]] | None,
        prefix: tuple[str, ...],
        depth: int,
    ) -> list[tuple[int, str]]:
        """Add the layers of a container; returns its outputs as (layer index, name)."""
        if depth > self.max_nested:
            raise _Malformed(f"models nested more than {self.max_nested} deep")
        if depth:
            self.nested += 1
        layers = cfg.get("layers")
        if not isinstance(layers, list):
            raise _Malformed(f"{'/'.join(prefix) or 'the model'}: 'layers' is not a list")
        if cls == "Sequential" or "input_layers" not in cfg:
            return self._sequential(cfg, layers, bound, prefix, depth)
        return self._functional(cfg, layers, bound, prefix, depth)

    def _add(self, layer: FlatLayer) -> int:
        if len(self.layers) >= self.max_layers:
            raise _Malformed(f"more than {self.max_layers} layers")
        self.layers.append(layer)
        return len(self.layers) - 1

    def _functional(
        self,
        cfg: Mapping[str, Any],
        entries: list[Any],
        bound: list[tuple[int, str]] | None,
        prefix: tuple[str, ...],
        depth: int,
    ) -> list[tuple[int, str]]:
        by_name: dict[str, dict[str, Any]] = {}
        order: list[str] = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
                raise _Malformed(f"layer #{i} is not a layer entry")
            name = _entry_name(entry)
            if name is None:
                raise _Malformed(f"layer #{i} has no name")
            if name in by_name:
                raise _Malformed(f"two layers are called {name!r}")
            by_name[name] = entry
            order.append(name)
        inputs = _history_list(cfg.get("input_layers"), "input_layers")
        outputs = _history_list(cfg.get("output_layers"), "output_layers")
        produced: dict[str, list[tuple[int, str]]] = {}
        if bound is None:
            for ref in inputs:
                entry = by_name.get(ref.layer)
                if entry is None or entry["class_name"] != "InputLayer":
                    raise _Malformed(f"model input {ref.layer!r} is not an InputLayer")
                idx = self._add(
                    FlatLayer(
                        (*prefix, ref.layer), "InputLayer", _dict(entry.get("config")), depth=depth
                    )
                )
                produced[ref.layer] = [(idx, ref.layer)]
        else:
            if len(bound) != len(inputs):
                raise _Malformed(
                    f"{'/'.join(prefix)} takes {len(inputs)} inputs but is called on {len(bound)}"
                )
            for ref, src in zip(inputs, bound, strict=True):
                produced[ref.layer] = [src]
        pending = [n for n in order if n not in produced]
        while pending:
            progressed = False
            still: list[str] = []
            for name in pending:
                entry = by_name[name]
                nodes = entry.get("inbound_nodes") or []
                if not isinstance(nodes, list):
                    raise _Malformed(f"{name}: inbound_nodes is not a list")
                if entry["class_name"] == "InputLayer" or not nodes:
                    if entry["class_name"] != "InputLayer":
                        self.notes.append(
                            f"layer {name!r} is not connected to anything and was left out"
                        )
                    produced[name] = []
                    progressed = True
                    continue
                if len(nodes) > 1:
                    self.problems.append(
                        f"layer {'/'.join((*prefix, name))!r} ({entry['class_name']}) is called "
                        f"{len(nodes)} times (shared weights); a graph node is one call"
                    )
                    self.refused.add("/".join((*prefix, name)))
                    produced[name] = []
                    progressed = True
                    continue
                args, kwargs = _parse_node(nodes[0], name)
                refs = _refs_in(args) + _refs_in(kwargs)
                if any(r.layer not in produced for r in refs):
                    if any(r.layer not in by_name for r in refs):
                        missing = next(r.layer for r in refs if r.layer not in by_name)
                        raise _Malformed(f"{name} takes a tensor from unknown layer {missing!r}")
                    still.append(name)
                    continue
                progressed = True
                produced[name] = self._call(entry, name, args, kwargs, produced, prefix, depth)
            if not progressed:
                raise _Malformed(f"layers {', '.join(still[:5])} depend on each other in a cycle")
            pending = still
        return [self._resolve(ref, produced, prefix) for ref in outputs]

    def _sequential(
        self,
        cfg: Mapping[str, Any],
        entries: list[Any],
        bound: list[tuple[int, str]] | None,
        prefix: tuple[str, ...],
        depth: int,
    ) -> list[tuple[int, str]]:
        items = [e for e in entries if isinstance(e, dict)]
        if len(items) != len(entries):
            raise _Malformed(f"{'/'.join(prefix) or 'the model'}: a layer entry is not an object")
        current: list[tuple[int, str]]
        if items and items[0].get("class_name") == "InputLayer":
            first, items = items[0], items[1:]
            name = _entry_name(first) or "input_layer"
            if bound is None:
                idx = self._add(
                    FlatLayer(
                        (*prefix, name), "InputLayer", _dict(first.get("config")), depth=depth
                    )
                )
                current = [(idx, name)]
            else:
                current = bound
        elif bound is not None:
            current = bound
        else:
            shape = _sequential_input_shape(cfg, items)
            if shape is None:
                raise UnsupportedModelError(
                    "The Sequential model has no input shape: build it (or give it a "
                    "keras.Input) before saving, so that its layers have known shapes."
                )
            dtype = _dict(items[0].get("config")).get("dtype") if items else None
            config = {
                "batch_shape": list(shape),
                "name": "input_layer",
                "dtype": dtype if isinstance(dtype, str) else "float32",
            }
            idx = self._add(FlatLayer((*prefix, "input_layer"), "InputLayer", config, depth=depth))
            current = [(idx, "input_layer")]
        for entry in items:
            name = _entry_name(entry)
            if name is None:
                raise _Malformed("a Sequential layer has no name")
            if entry.get("class_name") == "InputLayer":
                continue
            if not current:
                return current  # the layer before was refused (already reported)
            if len(current) != 1:
                self.problems.append(
                    f"{'/'.join((*prefix, name))!r}: a Sequential layer "
                    f"receives {len(current)} tensors"
                )
                return []
            src = current[0]
            current = self._call(
                entry, name, [_Ref(src[1], 0, 0)], {}, {src[1]: [src]}, prefix, depth
            )
        return current

    # -- one call -----------------------------------------------------------------------
    def _call(
        self,
        entry: dict[str, Any],
        name: str,
        args: list[Any],
        kwargs: dict[str, Any],
        produced: Mapping[str, list[tuple[int, str]]],
        prefix: tuple[str, ...],
        depth: int,
    ) -> list[tuple[int, str]]:
        cls = entry["class_name"]
        path = (*prefix, name)
        label = f"layer {'/'.join(path)!r} ({cls})"
        self._check_call_kwargs(label, kwargs)
        if cls in CONTAINERS:
            tensors = args[0] if args else []
            refs = tensors if isinstance(tensors, list) else [tensors]
            if not refs or not all(isinstance(r, _Ref) for r in refs) or len(args) > 1:
                self.problems.append(f"{label}: called on something other than tensors")
                return []
            bound = [self._resolve(r, produced, prefix) for r in refs]
            return self.expand(cls, _dict(entry.get("config")), bound, path, depth + 1)
        if is_op_entry(entry):
            return self._op(entry, name, args, kwargs, produced, prefix, depth)
        config = _dict(entry.get("config"))
        spec = catalog.spec_for_keras_class(cls, config)
        if spec is None:
            self.problems.append(f"{label}: not in NN Studio's catalog")
            return []
        ports = _map_ports(spec, args, kwargs, label, self.problems)
        if ports is None:
            return []
        layer = FlatLayer(path, cls, config, depth=depth)
        for port, refs in ports.items():
            layer.inputs[port] = [self._resolve(r, produced, prefix)[0] for r in refs]
            layer.input_shapes[port] = [r.shape for r in refs]
        return [(self._add(layer), name)]

    def _op(
        self,
        entry: dict[str, Any],
        name: str,
        args: list[Any],
        kwargs: dict[str, Any],
        produced: Mapping[str, list[tuple[int, str]]],
        prefix: tuple[str, ...],
        depth: int,
    ) -> list[tuple[int, str]]:
        """A Keras operation applied to tensors (``x + 3.0``, ``a * b``) as a layer node.

        Tensor with tensor becomes the merge layer of the same name; tensor with a number
        becomes a Rescaling (``x * scale + offset``), which computes the same values exactly.
        """
        cls = entry["class_name"]
        path = (*prefix, name)
        label = f"operation {'/'.join(path)!r} ({cls})"
        if kwargs or len(args) != 2:
            self.problems.append(f"{label}: called with arguments NN Studio cannot represent")
            return []
        a, b = args
        refs = [x for x in (a, b) if isinstance(x, _Ref)]
        nums = [x for x in (a, b) if isinstance(x, (int, float)) and not isinstance(x, bool)]
        if any(r.dtype not in (None, "float32") for r in refs):
            self.problems.append(
                f"{label}: applied to a {refs[0].dtype} tensor; only float32 "
                "arithmetic can be represented"
            )
            return []
        if len(refs) == 2:
            if a.shape is not None and b.shape is not None and a.shape != b.shape:
                self.problems.append(
                    f"{label}: broadcasts {a.shape} with {b.shape}, which NN "
                    "Studio's merge layers do not"
                )
                return []
            layer = FlatLayer(path, cls, {"name": name}, depth=depth, op=True)
            layer.inputs["in"] = [self._resolve(r, produced, prefix)[0] for r in refs]
            layer.input_shapes["in"] = [r.shape for r in refs]
            return [(self._add(layer), name)]
        if len(refs) != 1 or len(nums) != 1:
            self.problems.append(f"{label}: needs a tensor and a number, or two tensors")
            return []
        try:
            c = float(nums[0])
        except OverflowError:
            c = math.inf
        if not math.isfinite(c):
            self.problems.append(f"{label}: the constant {str(nums[0])[:20]} is not finite")
            return []
        if cls == "Add":
            scale, offset = 1.0, c
        elif cls == "Multiply":
            scale, offset = c, 0.0
        else:  # Subtract: x - c, or c - x
            scale, offset = (1.0, -c) if isinstance(a, _Ref) else (-1.0, c)
        layer = FlatLayer(
            path,
            "Rescaling",
            {"name": name, "scale": scale, "offset": offset},
            depth=depth,
            op=True,
        )
        layer.inputs["in"] = [self._resolve(refs[0], produced, prefix)[0]]
        layer.input_shapes["in"] = [refs[0].shape]
        return [(self._add(layer), name)]

    def _check_call_kwargs(self, label: str, kwargs: Mapping[str, Any]) -> None:
        for key, value in kwargs.items():
            if isinstance(value, _Ref) or (
                isinstance(value, list) and value and all(isinstance(v, _Ref) for v in value)
            ):
                continue
            if key == "training" and isinstance(value, bool):
                # A functional model passes its own ``training`` flag to every layer in
                # fit/predict, overriding what the config recorded at build time.
                continue
            if value is None or value is False or (key in _NEUTRAL_CALL_ARGS and value == []):
                continue
            self.problems.append(
                f"{label}: called with {key}={value!r}, which NN Studio cannot represent"
            )

    def _resolve(
        self, ref: _Ref, produced: Mapping[str, list[tuple[int, str]]], prefix: tuple[str, ...]
    ) -> tuple[int, str]:
        outs = produced.get(ref.layer)
        if outs is None:
            raise _Malformed(f"unknown layer {ref.layer!r}")
        if "/".join((*prefix, ref.layer)) in self.refused:
            return (-1, ref.layer)
        if ref.node_index != 0:
            raise _Malformed(f"{ref.layer!r} has no call #{ref.node_index}")
        if ref.tensor_index < 0:
            raise _Malformed(f"{ref.layer!r} has no output #{ref.tensor_index}")
        if ref.tensor_index >= len(outs):
            if outs:
                self.problems.append(
                    f"layer {'/'.join((*prefix, ref.layer))!r}: output #{ref.tensor_index} is "
                    "used, but NN Studio layers have one output"
                )
            return (-1, ref.layer)
        return outs[ref.tensor_index]


# -- helpers ----------------------------------------------------------------------------------

OP_MODULES = ("keras.src.ops.numpy", "keras.ops")
OPS = frozenset({"Add", "Subtract", "Multiply"})


def is_op_entry(entry: Mapping[str, Any]) -> bool:
    """True for a Keras operation (not a layer) recorded in a functional model."""
    return entry.get("module") in OP_MODULES and entry.get("class_name") in OPS


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _entry_name(entry: Mapping[str, Any]) -> str | None:
    name = entry.get("name")
    if not isinstance(name, str):
        name = _dict(entry.get("config")).get("name")
    return name if isinstance(name, str) and name else None


def _as_ref(value: Any) -> _Ref | None:
    """A tensor reference from the Keras 3 dict form or the Keras 2 list form."""
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        cfg = _dict(value.get("config"))
        hist = cfg.get("keras_history")
        ref = _as_ref(hist)
        if ref is None:
            raise _Malformed(f"a tensor has a malformed keras_history {hist!r}")
        shape = cfg.get("shape")
        shape_t = tuple(shape) if isinstance(shape, list) else None
        dtype = cfg.get("dtype") if isinstance(cfg.get("dtype"), str) else None
        return _Ref(ref.layer, ref.node_index, ref.tensor_index, shape_t, dtype)
    if (
        isinstance(value, list)
        and len(value) in (3, 4)
        and isinstance(value[0], str)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:3])
    ):
        return _Ref(value[0], value[1], value[2])
    return None


def _history_list(value: Any, what: str) -> list[_Ref]:
    if isinstance(value, dict):
        raise _Malformed(
            f"{what} is a dict; models with named (dict) inputs or outputs are not supported"
        )
    single = _as_ref(value)
    if single is not None:
        return [single]
    if not isinstance(value, list):
        raise _Malformed(f"{what} is missing")
    refs = [_as_ref(v) for v in value]
    if any(r is None for r in refs):
        raise _Malformed(f"{what} holds something other than layer references")
    return [r for r in refs if r is not None]


def _convert(value: Any) -> Any:
    """Replace tensor references in a call structure by :class:`_Ref`."""
    ref = _as_ref(value) if isinstance(value, dict) else None
    if ref is not None:
        return ref
    if isinstance(value, dict) and value.get("class_name") == "__tuple__":
        return _convert(_dict(value.get("config")).get("value", []))
    if isinstance(value, list):
        return [_convert(v) for v in value]
    if isinstance(value, dict):
        return {k: _convert(v) for k, v in value.items()}
    return value


def _parse_node(node: Any, name: str) -> tuple[list[Any], dict[str, Any]]:
    """``(args, kwargs)`` of one call, with tensors as :class:`_Ref`."""
    if isinstance(node, dict):
        args = node.get("args", [])
        kwargs = node.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise _Malformed(f"{name}: malformed call")
        return _convert(args), _convert(kwargs)
    if isinstance(node, list) and node and all(isinstance(t, list) for t in node):
        refs = [_as_ref(t) for t in node]
        if any(r is None for r in refs):
            raise _Malformed(f"{name}: malformed inbound tensor")
        kwargs: dict[str, Any] = {}
        if len(node[0]) == 4 and isinstance(node[0][3], dict):
            for k, v in node[0][3].items():
                kwargs[k] = _as_ref(v) if _as_ref(v) is not None else v
        args: list[Any] = [refs[0]] if len(refs) == 1 else [list(refs)]
        return args, kwargs
    raise _Malformed(f"{name}: malformed inbound node")


def _refs_in(value: Any) -> list[_Ref]:
    out: list[_Ref] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, _Ref):
            out.append(v)
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    return out


def _map_ports(
    spec: catalog.LayerSpec,
    args: list[Any],
    kwargs: Mapping[str, Any],
    label: str,
    problems: list[str],
) -> dict[str, list[_Ref]] | None:
    """Assign the call's tensors to the spec's input ports."""
    tensor_kwargs = {k: v for k, v in kwargs.items() if isinstance(v, _Ref)}
    first = args[0] if args else None
    if spec.variadic:
        if (
            isinstance(first, list)
            and first
            and all(isinstance(r, _Ref) for r in first)
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
        if rest or not all(isinstance(r, _Ref) for r in items) or len(items) > len(spec.inputs):
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
    if isinstance(first, _Ref) and len(args) == 1 and not tensor_kwargs:
        return {spec.inputs[0]: [first]}
    if tensor_kwargs and not args and len(tensor_kwargs) == 1:
        return {spec.inputs[0]: list(tensor_kwargs.values())}
    problems.append(
        f"{label}: called on {len(_refs_in(args)) + len(tensor_kwargs)} tensors; "
        "NN Studio layers of this type take one"
    )
    return None


def _sequential_input_shape(
    cfg: Mapping[str, Any], items: Sequence[Mapping[str, Any]]
) -> list[Any] | None:
    candidates = [cfg.get("build_input_shape")]
    if items:
        first = items[0]
        fcfg = _dict(first.get("config"))
        candidates += [
            fcfg.get("batch_input_shape"),
            fcfg.get("batch_shape"),
            _dict(first.get("build_config")).get("input_shape"),
        ]
    candidates.append(_dict(cfg.get("build_config")).get("input_shape"))
    for shape in candidates:
        if (
            isinstance(shape, list)
            and len(shape) >= 2
            and all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shape)
        ):
            return shape
    return None
