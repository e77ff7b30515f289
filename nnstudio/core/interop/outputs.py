"""The outputs of an imported model: their losses, loss weights and metrics.

Read from the compile config by name only: nothing here deserializes a Keras object; a
name is kept when Keras knows it as a built-in loss or metric.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from nnstudio.core.interop.topology import FlatModel

_COMPILE_METRIC_NAMES = {"accuracy", "acc", "crossentropy", "ce"}  # resolved by compile()


def output_declarations(
    flat: FlatModel,
    names: Sequence[str],
    nodes: Sequence[Mapping[str, Any]],
    training: Mapping[str, Any] | None,
    warnings: list[str],
) -> list[dict[str, Any]]:
    count = len(flat.outputs)
    out_names = [names[i] for i in flat.outputs]
    keys = list(flat.output_names)
    losses = _per_output((training or {}).get("loss"), count, keys)
    weights = _per_output((training or {}).get("loss_weights"), count, keys)
    metrics = _per_output((training or {}).get("metrics"), count, keys, nested=True)
    decls = []
    for k, idx in enumerate(flat.outputs):
        loss = _loss_name(losses[k], warnings, out_names[k])
        if loss is None:
            loss = _guess_loss(nodes[idx])
            warnings.append(
                f"output {out_names[k]!r}: no usable loss is configured; {loss} "
                "was chosen from its activation (change it in the output settings)"
            )
        weight = weights[k]
        decls.append(
            {
                "node": nodes[idx]["id"],
                "loss": loss,
                "loss_weight": _loss_weight(weight),
                "metrics": _metric_names(metrics[k], warnings, out_names[k]),
            }
        )
    return decls


def _loss_weight(value: Any) -> float:
    """A finite number from the compile config; 1.0 for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 1.0
    try:
        weight = float(value)
    except OverflowError:
        return 1.0
    return weight if math.isfinite(weight) else 1.0


def _per_output(value: Any, count: int, keys: Sequence[str], nested: bool = False) -> list[Any]:
    """Spread a compile argument (one value, a list, or a dict by output name) per output."""
    if isinstance(value, Mapping) and "class_name" not in value:
        return [value.get(k) for k in keys]
    if isinstance(value, list) and (
        not nested or count > 1 or (value and isinstance(value[0], list))
    ):
        if len(value) == count:
            return list(value)
        if nested and count == 1:
            return [value]
        return [None] * count
    return [value] * count


def _loss_name(value: Any, warnings: list[str], output: str) -> str | None:
    name = _object_name(value)
    if name is None:
        return None
    import keras

    try:
        keras.losses.get(name)
    except (ValueError, TypeError):
        warnings.append(f"output {output!r}: loss {name!r} is not a built-in Keras loss")
        return None
    if isinstance(value, Mapping) and (value.get("config") or {}).get("from_logits"):
        warnings.append(
            f"output {output!r}: loss {name} had from_logits=True, which is not "
            "kept; add a softmax/sigmoid to the output or change the loss"
        )
    return name


def _metric_names(value: Any, warnings: list[str], output: str) -> list[str]:
    items = value if isinstance(value, list) else ([] if value is None else [value])
    out: list[str] = []
    import keras

    for item in items:
        name = _object_name(item)
        if name is not None and name not in _COMPILE_METRIC_NAMES:
            try:
                keras.metrics.get(name)
            except (ValueError, TypeError):
                name = None
        if name is None:
            warnings.append(f"output {output!r}: a metric ({str(item)[:60]}) was not kept")
        elif name not in out:
            out.append(name)
    return out


def _object_name(value: Any) -> str | None:
    """A plain name from a string or a serialized built-in object (never deserialized)."""
    if isinstance(value, str):
        return value if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", value) else None
    if isinstance(value, Mapping):
        module = value.get("module")
        cls = value.get("class_name")
        if isinstance(cls, str) and (
            module is None or (isinstance(module, str) and module.startswith("keras"))
        ):
            snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls).lower()
            return snake if re.fullmatch(r"[a-z_][a-z0-9_]{0,63}", snake) else None
    return None


def _guess_loss(node: Mapping[str, Any]) -> str:
    activation = node.get("params", {}).get("activation")
    if activation == "softmax":
        return "categorical_crossentropy"
    if activation == "sigmoid":
        return "binary_crossentropy"
    return "mse"
