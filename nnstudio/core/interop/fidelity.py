"""Does a node built from the catalog compute what the imported Keras layer computed?

Every key of a layer's config is accounted for: a key the spec reads into a parameter is
trusted to the reader; any other key is compared with the config of the same layer built
from the spec's defaults (which carries Keras' own defaults).  A difference that changes
what the layer computes (``data_format``, ``groups``, ``use_gate``, ``return_state``...) is a
problem and the model is refused; a difference that only affects training from scratch
(initializers, regularizers, constraints, seeds, frozen layers) is dropped with a warning.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nnstudio.core import catalog
from nnstudio.core.catalog.common import INITIALIZERS, normalise_keras_value
from nnstudio.core.catalog.spec import LayerSpec, Param
from nnstudio.core.interop.topology import FlatLayer

_TRAINING_SUFFIXES = ("_initializer", "_regularizer", "_constraint")
_TRAINING_KEYS = {"activity_regularizer", "seed", "unit_forget_bias", "synchronized"}
_HARMLESS_KEYS = {
    "name",
    "unroll",
    "implementation",
    "batch_input_shape",
    "build_config",
    "input_dim",
    "input_length",
}
_FLOAT_POLICIES = {"float16", "bfloat16", "float64", "mixed_float16", "mixed_bfloat16"}
_INPUT_KEYS = {"batch_shape", "batch_input_shape", "shape", "dtype", "name", "input_tensor"}


@dataclass(frozen=True)
class Dropped:
    """A training-only setting that the graph does not keep (reported as a warning)."""

    key: str
    value: str
    consequence: str


def check_layer(layer: FlatLayer, spec: LayerSpec, label: str) -> tuple[list[Dropped], list[str]]:
    """``(dropped settings, problems)`` for one imported layer."""
    dropped: list[Dropped] = []
    problems: list[str] = []
    config: Mapping[str, Any] = layer.config
    if spec.is_input:
        for key in ("sparse", "ragged", "optional"):
            if config.get(key):
                problems.append(f"{label}: {key}=true inputs are not supported")
        for key, value in config.items():
            if key not in _INPUT_KEYS | {"sparse", "ragged", "optional"} and not _neutral(value):
                problems.append(f"{label}: unknown setting {key}={_text(value)}")
        return dropped, problems
    if layer.class_name == "Bidirectional":
        _check_wrapper(config, label, dropped, problems)
        inner = config.get("layer")
        inner_cfg = inner.get("config") if isinstance(inner, Mapping) else None
        if not isinstance(inner_cfg, Mapping):
            problems.append(f"{label}: the wrapped layer has no config")
            return dropped, problems
        config = inner_cfg
    _compare(spec, config, layer, label, dropped, problems)
    return dropped, problems


def _check_wrapper(
    config: Mapping[str, Any], label: str, dropped: list[Dropped], problems: list[str]
) -> None:
    forward = config.get("layer")
    backward = config.get("backward_layer")
    for key, value in config.items():
        if key in ("layer", "merge_mode", "backward_layer", "name"):
            continue
        if key == "trainable":
            if value is False:
                dropped.append(Dropped("trainable", "false", "the layer trains normally"))
        elif key == "dtype":
            _check_dtype(value, label, dropped, problems)
        elif not _neutral(value):
            problems.append(f"{label}: unknown Bidirectional setting {key}={_text(value)}")
    if backward is None:
        return
    if not (isinstance(forward, Mapping) and isinstance(backward, Mapping)):
        problems.append(f"{label}: malformed backward layer")
        return
    fwd_cfg, bwd_cfg = forward.get("config") or {}, backward.get("config") or {}
    if not (isinstance(fwd_cfg, Mapping) and isinstance(bwd_cfg, Mapping)):
        problems.append(f"{label}: malformed backward layer")
        return
    fwd, bwd = dict(fwd_cfg), dict(bwd_cfg)
    fwd["go_backwards"] = not fwd.get("go_backwards", False)
    for cfg in (fwd, bwd):
        cfg.pop("name", None)
    if forward.get("class_name") != backward.get("class_name") or not same(fwd, bwd):
        problems.append(
            f"{label}: its backward layer differs from the forward one, which NN "
            "Studio cannot represent"
        )


def _compare(
    spec: LayerSpec,
    config: Mapping[str, Any],
    layer: FlatLayer,
    label: str,
    dropped: list[Dropped],
    problems: list[str],
) -> None:
    defaults = default_config(spec.key)
    by_keras = {p.keras_name: p for p in spec.params if p.keras_name}
    for key, value in config.items():
        if key in _HARMLESS_KEYS:
            continue
        if key == "trainable":
            if value is False:
                dropped.append(Dropped("trainable", "false", "frozen layers become trainable"))
            continue
        if key == "dtype":
            _check_dtype(value, label, dropped, problems)
            continue
        param = by_keras.get(key)
        if param is not None:
            if param.choices == INITIALIZERS:
                _check_initializer(param, key, value, dropped)
            continue
        if key in defaults and (same(value, defaults[key]) or _equivalent(spec, key, value, layer)):
            continue
        if key not in defaults and _neutral(value):
            continue
        if _training_only(key):
            dropped.append(Dropped(key, _text(value), _consequence(key)))
            continue
        if key in defaults:
            problems.append(
                f"{label}: {key}={_text(value)} is not supported (NN Studio builds "
                f"this layer with {key}={_text(defaults[key])})"
            )
        else:
            problems.append(f"{label}: unknown setting {key}={_text(value)}")


def _training_only(key: str) -> bool:
    return key.endswith(_TRAINING_SUFFIXES) or key in _TRAINING_KEYS


def _consequence(key: str) -> str:
    if key.endswith("_initializer") or key == "unit_forget_bias":
        return "only changes how weights start when training from scratch"
    if key == "seed" or key == "synchronized":
        return "only affects training"
    return "not applied while training"


def _check_dtype(value: Any, label: str, dropped: list[Dropped], problems: list[str]) -> None:
    name = value
    if isinstance(value, Mapping):
        inner = value.get("config")
        name = inner.get("name") if isinstance(inner, Mapping) else None
        if not isinstance(inner, Mapping):
            problems.append(f"{label}: malformed dtype policy {_text(value)}")
            return
    if name is None or name == "float32":
        return
    if not isinstance(name, str):
        problems.append(f"{label}: malformed dtype {_text(name)}")
        return
    if name in _FLOAT_POLICIES:
        dropped.append(Dropped("dtype", str(name), "computes in float32 instead"))
        return
    problems.append(f"{label}: dtype policy {_text(name)} is not supported")


def _check_initializer(param: Param, key: str, value: Any, dropped: list[Dropped]) -> None:
    if value is None:
        return
    chosen = normalise_keras_value(param, value)
    original = _canonical_initializer(value) if isinstance(value, str) else value
    if original is None or not same(original, _canonical_initializer(chosen)):
        dropped.append(
            Dropped(
                key,
                _text(value),
                "replaced by the nearest built-in "
                "initializer; only matters when training from scratch",
            )
        )


@functools.lru_cache(maxsize=64)
def _canonical_initializer(name: str) -> dict[str, Any] | None:
    """The serialized, default-configured built-in initializer called ``name``."""
    import keras

    if name not in INITIALIZERS:
        return None
    return keras.initializers.serialize(keras.initializers.get(name))


def _equivalent(spec: LayerSpec, key: str, value: Any, layer: FlatLayer) -> bool:
    """Values that differ in the config but not in what the layer computes."""
    if spec.key == "MultiHeadAttention" and key == "attention_axes":
        shapes = layer.input_shapes.get("query") or [None]
        shape = shapes[0]
        if shape is None:
            return False
        if value is None:
            return True
        return isinstance(value, list) and value == list(range(1, len(shape) - 1))
    return False


@functools.cache
def default_config(spec_key: str) -> dict[str, Any]:
    """The Keras config of a layer built from the spec's defaults (cached per spec)."""
    spec = catalog.get(spec_key)
    values = spec.defaults()
    if "bidirectional" in values:
        values["bidirectional"] = False
    return json.loads(
        json.dumps(spec.build(values, "default_probe").get_config(), default=_jsonable)
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return str(value)


def same(a: Any, b: Any) -> bool:
    """Config equality: tuples equal lists; ``module``, ``registered_name`` and
    ``shared_object_id`` are ignored; a key missing on one side equals ``None``."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        keys = (set(a) | set(b)) - {"module", "registered_name", "shared_object_id"}
        return all(same(a.get(k), b.get(k)) for k in keys)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def _neutral(value: Any) -> bool:
    return value is None or value is False or value == [] or value == {}


def _text(value: Any) -> str:
    """Short readable text of a config value (serialized objects as ``Class(arg=value)``)."""
    if isinstance(value, Mapping) and isinstance(value.get("class_name"), str):
        cfg = value.get("config")
        args = []
        if isinstance(cfg, Mapping):
            args = [f"{k}={_text(v)}" for k, v in sorted(cfg.items()) if v is not None]
        text = f"{value['class_name']}({', '.join(args)})"
    else:
        try:
            text = json.dumps(value, sort_keys=True)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= 90 else text[:87] + "..."
