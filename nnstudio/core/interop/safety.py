"""The allowlist walk: every serialized object in a model config must be a known Keras class.

This runs on the parsed JSON before any Keras deserialization.  A model is accepted only
when every dict naming a ``class_name`` is one of

* a model container (``Functional``, ``Model``, ``Sequential``),
* a layer class that the catalog reads (plus ``InputLayer`` and ``Bidirectional``),
* a built-in initializer, regularizer, constraint or float dtype policy in the slot that
  takes it (``*_initializer``, ``*_regularizer``, ``*_constraint``, ``dtype``),
* a serialized tensor reference (``__keras_tensor__``) or tuple (``__tuple__``),

each from a Keras module and with no custom registered name.  Everything else is refused by
name: ``Lambda`` and ``__lambda__`` (marshalled Python code), ``TFSMLayer`` (loads and runs
another SavedModel), ``function`` configs (import a function by module path), classes from
modules outside Keras, custom registered classes, and Keras classes the catalog lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nnstudio.core import catalog
from nnstudio.core.interop.topology import is_op_entry

CONTAINERS = frozenset({"Functional", "Model", "Sequential"})
EXTRA_LAYERS = frozenset({"InputLayer", "Bidirectional"})
INITIALIZERS = frozenset(
    {
        "Constant",
        "GlorotNormal",
        "GlorotUniform",
        "HeNormal",
        "HeUniform",
        "Identity",
        "IdentityInitializer",
        "LecunNormal",
        "LecunUniform",
        "Ones",
        "Orthogonal",
        "OrthogonalInitializer",
        "RandomNormal",
        "RandomUniform",
        "TruncatedNormal",
        "VarianceScaling",
        "Zeros",
    }
)
REGULARIZERS = frozenset({"L1", "L2", "L1L2", "OrthogonalRegularizer"})
CONSTRAINTS = frozenset({"MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"})
DTYPE_POLICIES = frozenset({"DTypePolicy", "FloatDTypePolicy", "Policy"})
QUANTIZED_POLICIES = frozenset(
    {
        "QuantizedDTypePolicy",
        "QuantizedFloat8DTypePolicy",
        "Int4DTypePolicy",
        "GPTQDTypePolicy",
        "AWQDTypePolicy",
        "DTypePolicyMap",
    }
)
VALUE_HOLDERS = frozenset({"__keras_tensor__", "__tuple__"})

_CODE_CLASSES = {
    "Lambda": "a Lambda layer runs Python code stored in the file",
    "__lambda__": "a serialized Python lambda runs code stored in the file",
    "function": "a function reference imports and calls Python code by name",
    "TFSMLayer": "a TFSMLayer loads and runs another SavedModel from disk",
}
_CODE_KEYS = {
    "__lambda__": "a serialized Python lambda",
    "__passive_serialization__": "a passively serialized Python object",
}

_SLOT_CLASSES = {
    "_initializer": ("initializer", INITIALIZERS, ("keras.initializers",)),
    "_regularizer": ("regularizer", REGULARIZERS, ("keras.regularizers",)),
    "_constraint": ("constraint", CONSTRAINTS, ("keras.constraints",)),
}
_LAYER_MODULES = ("keras.layers", "keras.src.layers")
_CONTAINER_MODULES = (
    "keras",
    "keras.models",
    "keras.src.models",
    "keras.src.engine",
    "keras.engine",
)
_POLICY_MODULES = (
    "keras",
    "keras.dtype_policies",
    "keras.mixed_precision",
    "keras.src.dtype_policies",
)


@dataclass
class SafetyReport:
    """Findings of the walk: ``unsafe`` (code or non-Keras classes) and ``unsupported``."""

    unsafe: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    unsupported_classes: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.unsafe and not self.unsupported


def layer_class_known(class_name: str, config: Mapping[str, Any] | None = None) -> bool:
    """True if the catalog (or the import itself) reads a layer of ``class_name``."""
    if class_name in EXTRA_LAYERS - {"Bidirectional"}:
        return True
    return catalog.spec_for_keras_class(class_name, config) is not None


def _module_ok(module: Any, allowed: tuple[str, ...]) -> bool:
    if module is None:
        return True
    return isinstance(module, str) and any(
        module == m or module.startswith(m + ".") for m in allowed
    )


def _is_keras_module(module: Any) -> bool:
    return isinstance(module, str) and (module == "keras" or module.startswith("keras."))


def _keras_layer_exists(class_name: str) -> bool:
    """Whether Keras itself has a layer of this name (looked up, never instantiated)."""
    import keras

    return isinstance(getattr(keras.layers, class_name, None), type)


def _label(obj: Mapping[str, Any], context: str) -> str:
    cfg = obj.get("config")
    name = obj.get("name")
    if not isinstance(name, str) and isinstance(cfg, Mapping):
        name = cfg.get("name")
    return f"layer {name!r}" if isinstance(name, str) else context


def check_config(config: Any) -> SafetyReport:
    """Walk ``config`` (a serialized model, parsed JSON) and report everything not allowed.

    The top-level ``compile_config`` is skipped: callers never hand it to Keras (import
    strips every compile config, see :func:`strip_compile_configs`; loading with
    ``compile=False`` drops the top one).  A nested model's ``compile_config`` is walked,
    and may name only built-in Keras optimizers, losses and metrics.  The walk is iterative
    and touches every value once; it never imports a module named in the file and never
    instantiates anything.
    """
    report = SafetyReport()
    if isinstance(config, dict) and "compile_config" in config:
        config = {k: v for k, v in config.items() if k != "compile_config"}
    # (value, context label, slot: the dict key under which it sits, inside a compile config)
    stack: list[tuple[Any, str, str, bool]] = [(config, "the model", "", False)]
    while stack:
        value, context, slot, compiling = stack.pop()
        if isinstance(value, list):
            stack.extend((v, context, slot, compiling) for v in reversed(value))
            continue
        if not isinstance(value, dict):
            continue
        for key, why in _CODE_KEYS.items():
            if key in value:
                report.unsafe.append(f"{context}: {why} ({key})")
        if "class_name" in value:
            if compiling:
                checked = context if _check_compile_object(value, context, report) else None
            else:
                checked = _check_object(value, context, slot, report)
            if checked is None:
                continue  # refused: do not descend into it
            context = checked
        for key, child in value.items():
            if isinstance(child, (dict, list)):
                stack.append((child, context, str(key), compiling or key == "compile_config"))
    return report


def strip_compile_configs(config: Any) -> Any:
    """A copy of a serialized model without any ``compile_config`` (top level or nested)."""
    if isinstance(config, dict):
        return {
            k: strip_compile_configs(v)
            for k, v in config.items()
            if not (k == "compile_config" and "class_name" in config)
        }
    if isinstance(config, list):
        return [strip_compile_configs(v) for v in config]
    return config


_COMPILE_MODULES = (
    "keras.optimizers",
    "keras.losses",
    "keras.metrics",
    "keras.src.optimizers",
    "keras.src.losses",
    "keras.src.metrics",
)


def _check_compile_object(obj: dict[str, Any], context: str, report: SafetyReport) -> bool:
    """A serialized object inside a nested model's compile config: built-in Keras only."""
    import keras

    cls = obj.get("class_name")
    module = obj.get("module")
    registered = obj.get("registered_name")
    known = isinstance(cls, str) and any(
        isinstance(getattr(ns, cls, None), type)
        for ns in (keras.optimizers, keras.optimizers.schedules, keras.losses, keras.metrics)
    )
    if (
        known
        and cls not in _CODE_CLASSES
        and _module_ok(module, _COMPILE_MODULES)
        and registered in (None, cls)
    ):
        return True
    report.unsafe.append(
        f"{context}: its compile settings name {cls!r} (module {module!r}), "
        "not a built-in Keras optimizer, loss or metric"
    )
    return False


def _is_slot(slot: str) -> bool:
    """True for a key that takes an initializer, regularizer, constraint or dtype policy."""
    return slot == "dtype" or any(
        slot.endswith(suffix) or slot == suffix[1:] for suffix in _SLOT_CLASSES
    )


def _slot_object_ok(cls: str, module: Any, context: str, slot: str, report: SafetyReport) -> bool:
    """Whether the object in a slot (``*_initializer``, ``dtype``...) is a built-in of its
    kind; a refusal is added to ``report``."""
    for suffix, (kind, allowed, modules) in _SLOT_CLASSES.items():
        if slot.endswith(suffix) or slot == suffix[1:]:
            if cls in allowed and _module_ok(module, modules):
                return True
            report.unsafe.append(f"{context}: {slot} is {cls!r}, not a built-in Keras {kind}")
            return False
    if cls in DTYPE_POLICIES and _module_ok(module, _POLICY_MODULES):
        return True
    if cls in QUANTIZED_POLICIES:
        report.unsupported.append(
            f"{context}: quantized dtype policy {cls} (NN Studio builds float layers)"
        )
        report.unsupported_classes.add(cls)
    else:
        report.unsafe.append(f"{context}: dtype is {cls!r}, not a Keras dtype policy")
    return False


def _check_object(obj: dict[str, Any], context: str, slot: str, report: SafetyReport) -> str | None:
    """Check one serialized object; the context for its children, or None if refused."""
    cls = obj.get("class_name")
    module = obj.get("module")
    registered = obj.get("registered_name")
    label = _label(obj, context)
    if not isinstance(cls, str):
        report.unsafe.append(f"{context}: class_name is not text ({cls!r})")
        return None
    where = f"{label} ({cls})" if label != context else f"{context}: {cls}"
    if cls in _CODE_CLASSES:
        report.unsafe.append(f"{where}: {_CODE_CLASSES[cls]}")
        return None
    if module is not None and not _is_keras_module(module):
        report.unsafe.append(
            f"{where}: class from module {module!r}, which is not part of Keras (custom code)"
        )
        return None
    if (
        registered is not None
        and registered != cls
        and not (cls == "Functional" and registered == "Functional")
    ):
        report.unsafe.append(f"{where}: custom registered class {registered!r}")
        return None
    if cls in VALUE_HOLDERS:
        return context
    if _is_slot(slot):
        return context if _slot_object_ok(cls, module, context, slot, report) else None
    if is_op_entry(obj):
        return label
    if isinstance(module, str) and module.startswith(("keras.src.ops", "keras.ops")):
        report.unsupported.append(
            f"{where}: Keras operation used directly on tensors; NN "
            "Studio represents only + - * this way"
        )
        report.unsupported_classes.add(f"ops.{cls}")
        return None
    if cls in CONTAINERS:
        if _module_ok(module, _CONTAINER_MODULES):
            return label
        report.unsafe.append(f"{where}: model class from unexpected module {module!r}")
        return None
    config = obj.get("config")
    if layer_class_known(cls, config if isinstance(config, Mapping) else None):
        if _module_ok(module, _LAYER_MODULES):
            return label
        report.unsafe.append(f"{where}: layer class from unexpected module {module!r}")
        return None
    if cls == "Bidirectional":
        inner = config.get("layer") if isinstance(config, Mapping) else None
        inner_cls = inner.get("class_name") if isinstance(inner, Mapping) else None
        report.unsupported.append(
            f"{where}: wraps {inner_cls!r}, not a recurrent layer NN Studio supports"
        )
        report.unsupported_classes.add(f"Bidirectional({inner_cls})")
        return label
    if (module is None or _is_keras_module(module)) and _keras_layer_exists(cls):
        report.unsupported.append(f"{where}: Keras layer not in NN Studio's catalog")
        report.unsupported_classes.add(cls)
        return None
    if _is_keras_module(module):
        report.unsupported.append(
            f"{where}: Keras class from {module} that NN Studio does not support"
        )
        report.unsupported_classes.add(cls)
        return None
    report.unsafe.append(f"{where}: unknown class (custom code, not part of Keras)")
    return None
