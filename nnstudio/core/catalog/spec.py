"""Layer specs: the single description of a layer type that every part of NN Studio reads.

A :class:`LayerSpec` names the layer, groups it in a category, documents it, lists its typed
parameters and input ports, and knows how to build the Keras layer and read one back from a
Keras config.  Nothing here imports Keras at module level: building happens lazily.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from nnstudio.core.catalog.keras_values import normalise_keras_value

ParamKind = Literal["int", "float", "bool", "choice", "ints", "floats", "str"]


class ParamError(ValueError):
    """A parameter value that the spec refuses; the message says why in plain words."""


@dataclass(frozen=True)
class Param:
    """One typed parameter of a layer.

    ``keras`` is the keyword the Keras constructor takes (``None``: not passed to Keras, the
    spec's own ``build`` uses it).  ``nullable`` admits ``None`` (shown as "none/auto").
    For ``ints``/``floats``: ``length`` fixes the tuple length (``None``: any length from
    ``min_length``), ``none_items`` admits ``None`` entries (unknown dimensions), and
    ``min``/``max`` bound every item.
    """

    name: str
    kind: ParamKind
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None
    length: int | None = None
    min_length: int = 0
    nullable: bool = False
    none_items: bool = False
    keras: str | None = "__same__"
    scalar_ok: bool = False

    @property
    def keras_name(self) -> str | None:
        """The Keras constructor keyword, or ``None`` when the parameter is not passed."""
        return self.name if self.keras == "__same__" else self.keras

    def validate(self, value: Any) -> Any:
        """Return ``value`` normalised to this parameter's type, or raise :class:`ParamError`."""
        if value is None:
            if self.nullable:
                return None
            raise ParamError(f"{self.name} needs a value")
        kind = self.kind
        if kind == "bool":
            if isinstance(value, bool):
                return value
            raise ParamError(f"{self.name} must be true or false, not {value!r}")
        if kind == "int":
            return self._check_range(_as_int(self.name, value))
        if kind == "float":
            return self._check_range(_as_float(self.name, value))
        if kind == "str":
            if isinstance(value, str):
                return value
            raise ParamError(f"{self.name} must be text, not {value!r}")
        if kind == "choice":
            assert self.choices is not None
            if value in self.choices and not isinstance(value, bool):
                return value
            options = ", ".join(str(c) for c in self.choices)
            raise ParamError(f"{self.name} must be one of {options}; got {value!r}")
        if kind in ("ints", "floats"):
            return self._validate_tuple(value)
        raise ParamError(f"{self.name}: unknown parameter kind {kind}")  # pragma: no cover

    def _validate_tuple(self, value: Any) -> tuple[Any, ...]:
        conv = _as_int if self.kind == "ints" else _as_float
        if self.scalar_ok and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = (value,) * (self.length or 1)
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise ParamError(f"{self.name} must be a list of numbers, not {value!r}")
        items: list[Any] = []
        for i, item in enumerate(value):
            if item is None and self.none_items:
                items.append(None)
                continue
            try:
                items.append(self._check_range(conv(self.name, item)))
            except ParamError as exc:
                raise ParamError(f"{self.name}[{i}]: {exc}") from None
        if self.length is not None and len(items) != self.length:
            raise ParamError(f"{self.name} needs exactly {self.length} values; got {len(items)}")
        if len(items) < self.min_length:
            raise ParamError(f"{self.name} needs at least {self.min_length} values")
        return tuple(items)

    def _check_range(self, v: float) -> Any:
        if self.min is not None and v < self.min:
            raise ParamError(f"{self.name} must be at least {_fmt(self.min)}; got {_fmt(v)}")
        if self.max is not None and v > self.max:
            raise ParamError(f"{self.name} must be at most {_fmt(self.max)}; got {_fmt(v)}")
        return v

    def to_json(self) -> dict[str, Any]:
        """Describe the parameter for forms and documentation."""
        d: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "default": _jsonable(self.default),
            "help": self.help,
        }
        for attr in ("min", "max", "length", "nullable", "none_items"):
            v = getattr(self, attr)
            if v not in (None, False):
                d[attr] = v
        if self.choices is not None:
            d["choices"] = list(self.choices)
        return d


def _fmt(v: float) -> str:
    if isinstance(v, int):
        text = str(v)
        return text if len(text) <= 20 else f"{text[:8]}... ({len(text)} digits)"
    return str(int(v)) if v.is_integer() else f"{v:g}"


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ParamError(f"{name} must be a whole number, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ParamError(f"{name} must be a whole number, not {value!r}")


def _as_float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamError(f"{name} must be a number, not {value!r}")
    try:
        value = float(value)
    except OverflowError:
        raise ParamError(f"{name} is too large a number ({_fmt(value)})") from None
    if not math.isfinite(value):
        raise ParamError(f"{name} must be a finite number, not {value!r}")
    return value


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    return v


Builder = Callable[["LayerSpec", Mapping[str, Any], str], Any]
Caller = Callable[["LayerSpec", Any, Mapping[str, Any]], Any]
Reader = Callable[["LayerSpec", Mapping[str, Any]], dict[str, Any]]
# ``(message, hint)`` about an input shape the layer takes but probably should not.
InputWarning = Callable[[tuple[int | None, ...]], tuple[str, str] | None]
# ``[(severity, message, hint)]`` about (valid) parameter values, e.g. a missing weights file.
ParamIssues = Callable[[Mapping[str, Any]], list[tuple[str, str, str]]]


@dataclass(frozen=True)
class LayerSpec:
    """Everything NN Studio knows about one layer type.

    ``inputs`` names the input ports.  ``variadic`` marks a merge: its single port ``in``
    takes two or more edges, in order.  ``optional_inputs`` may stay unconnected.
    ``input_rank`` is the tensor rank (batch included) the layer expects, with ``axes``
    naming those axes for messages.  ``keras_classes`` are the Keras class names this spec
    reads back on import (the first is the one it builds).

    Shape checks read these too: ``shape_hint`` is the hint shown when Keras refuses the
    inputs, ``rank_hint`` the one for an input of too many axes, ``same_shape_inputs`` marks
    an element-wise merge (its inputs must agree, up to broadcasting), and
    ``input_warning`` warns about an input shape the layer takes but rarely should, and
    ``param_issues`` reports errors or warnings about parameter values (files they name).
    """

    key: str
    display: str
    category: str
    help: str
    params: tuple[Param, ...] = ()
    inputs: tuple[str, ...] = ("in",)
    optional_inputs: frozenset[str] = frozenset()
    variadic: bool = False
    keras_classes: tuple[str, ...] = ()
    key_params: tuple[str, ...] = ()
    input_rank: int | None = None
    min_input_rank: int | None = None
    axes: tuple[str, ...] = ()
    max_inputs: int | None = None
    example_input: tuple[tuple[int | None, ...], ...] = ((16,),)
    example_dtype: str = "float32"
    shape_hint: str = ""
    rank_hint: str = ""
    same_shape_inputs: bool = False
    input_warning: InputWarning | None = field(default=None, compare=False)
    param_issues: ParamIssues | None = field(default=None, compare=False)
    build_fn: Builder | None = field(default=None, compare=False)
    call_fn: Caller | None = field(default=None, compare=False)
    read_fn: Reader | None = field(default=None, compare=False)

    # -- parameters -------------------------------------------------------------------
    @property
    def keras_class(self) -> str:
        """The Keras class this spec builds."""
        return self.keras_classes[0] if self.keras_classes else self.key

    def param(self, name: str) -> Param:
        """The parameter called ``name`` (``KeyError`` if the spec has none)."""
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        """A fresh dict of every parameter's default value."""
        return {p.name: p.default for p in self.params}

    def validate_params(self, params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Normalise ``params`` (missing ones take defaults).

        Returns ``(values, errors)``: values for every parameter (the default where the given
        value is refused) and a message per refused or unknown parameter.
        """
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for p in self.params:
            if p.name not in params:
                values[p.name] = p.default
                continue
            try:
                values[p.name] = p.validate(params[p.name])
            except ParamError as exc:
                values[p.name] = p.default
                errors[p.name] = str(exc)
        for name in params:
            if name not in values:
                errors[name] = f"{self.display} has no parameter {name!r}"
        return values, errors

    @property
    def is_input(self) -> bool:
        """True for the model-input spec (no input ports)."""
        return not self.inputs

    @property
    def required_inputs(self) -> tuple[str, ...]:
        """Ports that must be connected."""
        return tuple(p for p in self.inputs if p not in self.optional_inputs)

    # -- Keras ------------------------------------------------------------------------
    def keras_kwargs(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Constructor keywords for the Keras layer from (validated) ``params``."""
        kwargs: dict[str, Any] = {}
        for p in self.params:
            kname = p.keras_name
            if kname is None:
                continue
            value = params.get(p.name, p.default)
            kwargs[kname] = (
                list(value) if isinstance(value, tuple) and p.kind == "floats" else value
            )
        return kwargs

    def build(self, params: Mapping[str, Any], name: str) -> Any:
        """Create the Keras layer (``keras`` is imported here, lazily)."""
        if self.build_fn is not None:
            return self.build_fn(self, params, name)
        from keras import layers

        cls = getattr(layers, self.keras_class)
        return cls(name=name, **self.keras_kwargs(params))

    def call(self, layer: Any, inputs: Mapping[str, Any]) -> Any:
        """Apply ``layer`` to the tensors on its ports (``in`` is a list for merges)."""
        if self.call_fn is not None:
            return self.call_fn(self, layer, inputs)
        return layer(inputs["in"])

    def read_keras(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Parameters from a Keras layer ``config`` (the ``config`` dict of a layer entry)."""
        if self.read_fn is not None:
            return self.read_fn(self, config)
        return read_normalised(self, config)

    def to_json(self) -> dict[str, Any]:
        """Describe the spec (for documentation, the palette and tests)."""
        return {
            "key": self.key,
            "display": self.display,
            "category": self.category,
            "help": self.help,
            "inputs": list(self.inputs),
            "optional_inputs": sorted(self.optional_inputs),
            "variadic": self.variadic,
            "params": [p.to_json() for p in self.params],
        }


def read_params(spec: LayerSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    """Default reader: take each parameter's Keras keyword from ``config``.

    Values are normalised through the parameter's own validation so lists become tuples.
    A value the spec refuses raises :class:`ParamError` naming the parameter.
    """
    out: dict[str, Any] = {}
    for p in spec.params:
        kname = p.keras_name
        if kname is None or kname not in config:
            out[p.name] = p.default
            continue
        value = config[kname]
        if isinstance(value, list) and p.kind not in ("ints", "floats"):
            value = tuple(value)
        try:
            out[p.name] = p.validate(value)
        except ParamError as exc:
            raise ParamError(f"{spec.display}: {exc}") from None
    return out


def read_normalised(spec: LayerSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    """Reader that maps activation/initializer values before the default reader."""
    fixed = dict(config)
    for p in spec.params:
        kname = p.keras_name
        if kname and kname in fixed:
            fixed[kname] = normalise_keras_value(p, fixed[kname])
    return read_params(spec, fixed)
