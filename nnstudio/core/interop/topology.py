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
from nnstudio.core.interop.calls import (
    OP_MODULES,
    OPS,
    Malformed,
    PendingCall,
    Ref,
    Shape,
    as_dict,
    call_order,
    entry_name,
    history_list,
    index_entries,
    is_op_entry,
    map_ports,
    parse_node,
    refs_in,
)
from nnstudio.core.interop.errors import ModelImportError, UnsupportedModelError

__all__ = ["CONTAINERS", "OPS", "OP_MODULES", "FlatLayer", "FlatModel", "flatten", "is_op_entry"]

CONTAINERS = ("Functional", "Model", "Sequential")

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
    raw_name = cfg.get("name")
    name = raw_name if isinstance(raw_name, str) else "model"
    flat = _Flattener(max_layers, max_nested)
    result = FlatModel(name)
    try:
        outs = flat.expand(str(cls), cfg, None, (), 0)
    except Malformed as exc:
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
            raise Malformed(f"models nested more than {self.max_nested} deep")
        if depth:
            self.nested += 1
        layers = cfg.get("layers")
        if not isinstance(layers, list):
            raise Malformed(f"{'/'.join(prefix) or 'the model'}: 'layers' is not a list")
        if cls == "Sequential" or "input_layers" not in cfg:
            return self._sequential(cfg, layers, bound, prefix, depth)
        return self._functional(cfg, layers, bound, prefix, depth)

    def _add(self, layer: FlatLayer) -> int:
        if len(self.layers) >= self.max_layers:
            raise Malformed(f"more than {self.max_layers} layers")
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
        by_name, order = index_entries(entries)
        inputs = history_list(cfg.get("input_layers"), "input_layers")
        outputs = history_list(cfg.get("output_layers"), "output_layers")
        produced = self._bind_inputs(inputs, by_name, bound, prefix, depth)
        calls = self._pending_calls(by_name, order, produced, prefix)
        for name in call_order(calls, order, produced):
            entry, args, kwargs, _ = calls[name]
            produced[name] = self._call(entry, name, args, kwargs, produced, prefix, depth)
        return [self._resolve(ref, produced, prefix) for ref in outputs]

    def _bind_inputs(
        self,
        inputs: list[Ref],
        by_name: Mapping[str, dict[str, Any]],
        bound: list[tuple[int, str]] | None,
        prefix: tuple[str, ...],
        depth: int,
    ) -> dict[str, list[tuple[int, str]]]:
        """The model's inputs: new input layers (top level) or the tensors it is called on."""
        produced: dict[str, list[tuple[int, str]]] = {}
        if bound is None:
            for ref in inputs:
                entry = by_name.get(ref.layer)
                if entry is None or entry["class_name"] != "InputLayer":
                    raise Malformed(f"model input {ref.layer!r} is not an InputLayer")
                config = as_dict(entry.get("config"))
                idx = self._add(FlatLayer((*prefix, ref.layer), "InputLayer", config, depth=depth))
                produced[ref.layer] = [(idx, ref.layer)]
            return produced
        if len(bound) != len(inputs):
            raise Malformed(
                f"{'/'.join(prefix)} takes {len(inputs)} inputs but is called on {len(bound)}"
            )
        for ref, src in zip(inputs, bound, strict=True):
            produced[ref.layer] = [src]
        return produced

    def _pending_calls(
        self,
        by_name: Mapping[str, dict[str, Any]],
        order: list[str],
        produced: dict[str, list[tuple[int, str]]],
        prefix: tuple[str, ...],
    ) -> dict[str, PendingCall]:
        """The one call of each remaining layer; unconnected and shared layers are settled
        here (left out with a note, refused with a problem)."""
        calls: dict[str, PendingCall] = {}
        for name in order:
            if name in produced:
                continue
            entry = by_name[name]
            nodes = entry.get("inbound_nodes") or []
            if not isinstance(nodes, list):
                raise Malformed(f"{name}: inbound_nodes is not a list")
            if entry["class_name"] == "InputLayer" or not nodes:
                if entry["class_name"] != "InputLayer":
                    self.notes.append(
                        f"layer {name!r} is not connected to anything and was left out"
                    )
                produced[name] = []
                continue
            if len(nodes) > 1:
                self.problems.append(
                    f"layer {'/'.join((*prefix, name))!r} ({entry['class_name']}) is called "
                    f"{len(nodes)} times (shared weights); a graph node is one call"
                )
                self.refused.add("/".join((*prefix, name)))
                produced[name] = []
                continue
            args, kwargs = parse_node(nodes[0], name)
            deps = {r.layer for r in refs_in(args) + refs_in(kwargs)}
            missing = sorted(d for d in deps if d not in by_name)
            if missing:
                raise Malformed(f"{name} takes a tensor from unknown layer {missing[0]!r}")
            calls[name] = (entry, args, kwargs, deps)
        return calls

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
            raise Malformed(f"{'/'.join(prefix) or 'the model'}: a layer entry is not an object")
        current: list[tuple[int, str]]
        if items and items[0].get("class_name") == "InputLayer":
            first, items = items[0], items[1:]
            name = entry_name(first) or "input_layer"
            if bound is None:
                idx = self._add(
                    FlatLayer(
                        (*prefix, name), "InputLayer", as_dict(first.get("config")), depth=depth
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
            dtype = as_dict(items[0].get("config")).get("dtype") if items else None
            config = {
                "batch_shape": list(shape),
                "name": "input_layer",
                "dtype": dtype if isinstance(dtype, str) else "float32",
            }
            idx = self._add(FlatLayer((*prefix, "input_layer"), "InputLayer", config, depth=depth))
            current = [(idx, "input_layer")]
        for entry in items:
            found = entry_name(entry)
            if found is None:
                raise Malformed("a Sequential layer has no name")
            name = found
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
                entry, name, [Ref(src[1], 0, 0)], {}, {src[1]: [src]}, prefix, depth
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
            if not refs or not all(isinstance(r, Ref) for r in refs) or len(args) > 1:
                self.problems.append(f"{label}: called on something other than tensors")
                return []
            bound = [self._resolve(r, produced, prefix) for r in refs]
            return self.expand(cls, as_dict(entry.get("config")), bound, path, depth + 1)
        if is_op_entry(entry):
            return self._op(entry, name, args, kwargs, produced, prefix, depth)
        config = as_dict(entry.get("config"))
        spec = catalog.spec_for_keras_class(cls, config)
        if spec is None:
            self.problems.append(f"{label}: not in NN Studio's catalog")
            return []
        ports = map_ports(spec, args, kwargs, label, self.problems)
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
        refs = [x for x in (a, b) if isinstance(x, Ref)]
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
            scale, offset = (1.0, -c) if isinstance(a, Ref) else (-1.0, c)
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
            if isinstance(value, Ref) or (
                isinstance(value, list) and value and all(isinstance(v, Ref) for v in value)
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
        self, ref: Ref, produced: Mapping[str, list[tuple[int, str]]], prefix: tuple[str, ...]
    ) -> tuple[int, str]:
        outs = produced.get(ref.layer)
        if outs is None:
            raise Malformed(f"unknown layer {ref.layer!r}")
        if "/".join((*prefix, ref.layer)) in self.refused:
            return (-1, ref.layer)
        if ref.node_index != 0:
            raise Malformed(f"{ref.layer!r} has no call #{ref.node_index}")
        if ref.tensor_index < 0:
            raise Malformed(f"{ref.layer!r} has no output #{ref.tensor_index}")
        if ref.tensor_index >= len(outs):
            if outs:
                self.problems.append(
                    f"layer {'/'.join((*prefix, ref.layer))!r}: output #{ref.tensor_index} is "
                    "used, but NN Studio layers have one output"
                )
            return (-1, ref.layer)
        return outs[ref.tensor_index]


# -- helpers ----------------------------------------------------------------------------------


def _sequential_input_shape(
    cfg: Mapping[str, Any], items: Sequence[Mapping[str, Any]]
) -> list[Any] | None:
    candidates = [cfg.get("build_input_shape")]
    if items:
        first = items[0]
        fcfg = as_dict(first.get("config"))
        candidates += [
            fcfg.get("batch_input_shape"),
            fcfg.get("batch_shape"),
            as_dict(first.get("build_config")).get("input_shape"),
        ]
    candidates.append(as_dict(cfg.get("build_config")).get("input_shape"))
    for shape in candidates:
        if (
            isinstance(shape, list)
            and len(shape) >= 2
            and all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shape)
        ):
            return shape
    return None
