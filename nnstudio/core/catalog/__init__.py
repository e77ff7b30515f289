"""The layer catalog: one :class:`LayerSpec` per layer type, grouped by category.

Everything else (palette, inspector, validation, shapes, compiler, import, code generation,
the project file) reads the specs from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.core.catalog import (
    backbone,
    convolution,
    core_layers,
    io_layers,
    merge,
    normalization,
    pooling,
    preprocessing,
    recurrent,
    reshaping,
    sequence,
)
from nnstudio.core.catalog.spec import LayerSpec, Param, ParamError

__all__ = [
    "CATEGORIES",
    "LayerSpec",
    "Param",
    "ParamError",
    "all_specs",
    "by_category",
    "get",
    "spec_for_keras_class",
]

_FAMILIES = (
    io_layers,
    core_layers,
    normalization,
    convolution,
    pooling,
    reshaping,
    recurrent,
    sequence,
    merge,
    preprocessing,
    backbone,
)

CATEGORIES: tuple[str, ...] = (
    "Input/Output",
    "Core",
    "Normalization",
    "Convolution",
    "Pooling",
    "Reshaping",
    "Recurrent",
    "Text & sequence",
    "Merge",
    "Preprocessing",
    "Pretrained",
)

_SPECS: dict[str, LayerSpec] = {}
_BY_KERAS: dict[str, LayerSpec] = {}
for _family in _FAMILIES:
    for _spec in _family.SPECS:
        if _spec.key in _SPECS:  # pragma: no cover - a programming error in the catalog
            raise RuntimeError(f"duplicate layer spec {_spec.key}")
        if _spec.category not in CATEGORIES:  # pragma: no cover
            raise RuntimeError(f"{_spec.key}: unknown category {_spec.category}")
        _SPECS[_spec.key] = _spec
        for _cls in _spec.keras_classes or (_spec.key,):
            _BY_KERAS[_cls] = _spec


def get(key: str) -> LayerSpec:
    """The spec with this key; ``KeyError`` with a readable message if there is none."""
    try:
        return _SPECS[key]
    except KeyError:
        raise KeyError(f"unknown layer type {key!r}") from None


def all_specs() -> list[LayerSpec]:
    """Every spec, in catalog order."""
    return list(_SPECS.values())


def by_category() -> dict[str, list[LayerSpec]]:
    """Specs grouped by category, categories in palette order."""
    groups: dict[str, list[LayerSpec]] = {cat: [] for cat in CATEGORIES}
    for spec in _SPECS.values():
        groups[spec.category].append(spec)
    return groups


def spec_for_keras_class(
    class_name: str, config: Mapping[str, Any] | None = None
) -> LayerSpec | None:
    """The spec that reads a Keras layer of ``class_name`` (``None`` if the catalog has none).

    ``Bidirectional`` resolves to the spec of the recurrent layer it wraps.
    """
    if class_name == "Bidirectional" and config is not None:
        inner = config.get("layer")
        if isinstance(inner, Mapping):
            spec = _BY_KERAS.get(str(inner.get("class_name")))
            return spec if spec is not None and spec.category == "Recurrent" else None
        return None
    return _BY_KERAS.get(class_name)
