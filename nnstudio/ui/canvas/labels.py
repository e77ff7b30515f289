"""The short texts a node shows: key parameters, output shape and parameter count."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from nnstudio.core.catalog.spec import LayerSpec

_SHORT_NAMES = {
    "kernel_size": "kernel",
    "pool_size": "pool",
    "strides": "stride",
    "return_sequences": "sequences",
    "depth_multiplier": "×depth",
    "target_shape": "to",
    "negative_slope": "slope",
    "height_factor": "h",
    "width_factor": "w",
    "input_dim": "vocab",
    "output_dim": "dim",
    "num_heads": "heads",
    "key_dim": "key dim",
    "max_value": "max",
}
_BARE_CHOICES = {"activation", "mode"}  # shown as the value alone ("relu")
_BARE_TUPLES = {"kernel_size", "shape"}  # "3×3", "28×28×1"
_COUNT_NOUNS = {"filters": "filters", "units": "units", "num_heads": "heads"}


def format_value(value: Any) -> str:
    """A parameter value in a compact form: tuples as ``3×3``, floats without noise."""
    if isinstance(value, (tuple, list)):
        items = ["?" if v is None else format_value(v) for v in value]
        return "×".join(items) if items else "()"
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "none"
    return str(value)


def key_params_text(spec: LayerSpec, params: Mapping[str, Any]) -> str:
    """The node's one-line summary of its key parameters (``"16 filters · 3×3 · relu"``)."""
    parts: list[str] = []
    for name in spec.key_params:
        try:
            param = spec.param(name)
        except KeyError:
            continue
        value = params.get(name, param.default)
        label = _SHORT_NAMES.get(name, name.replace("_", " "))
        if param.kind == "bool":
            if value is True:
                parts.append(label)
            continue
        if value is None:
            continue
        if name == "strides" and isinstance(value, tuple) and set(value) == {1}:
            continue
        if name in _COUNT_NOUNS:
            parts.append(f"{format_value(value)} {_COUNT_NOUNS[name]}")
        elif name in _BARE_TUPLES:
            parts.append(format_value(value))
        elif name in _BARE_CHOICES or param.kind in ("choice", "str"):
            if name == "activation" and value == "linear":
                continue
            parts.append(str(value))
        else:
            parts.append(f"{label} {format_value(value)}")
    return " · ".join(parts)


def hover_html(
    name: str, spec: LayerSpec, issues: Sequence[Any], color_of: Callable[[str], str]
) -> str:
    """A node's hover text: name and type, then each issue (in ``color_of(severity)``)
    with its hint, or the first sentence of the layer's help when there is none."""
    lines = [f"<b>{html.escape(name)}</b> — {html.escape(spec.display)}"]
    for issue in issues:
        color = color_of(issue.severity)
        lines.append(f"<p style='color:{color}'>{html.escape(issue.message)}</p>")
        if issue.hint:
            lines.append(f"<p><i>{html.escape(issue.hint)}</i></p>")
    if not issues:
        lines.append(f"<p>{html.escape(spec.help.split('. ')[0].rstrip('.'))}.</p>")
    return "".join(lines)


def params_count_text(count: int) -> str:
    """``1234`` as ``1.2k params`` (``M`` above a million); zero as ``no params``."""
    if count == 0:
        return "no params"
    if count < 1000:
        return f"{count} params"
    if count < 1_000_000:
        return f"{count / 1000:.3g}k params"
    return f"{count / 1_000_000:.3g}M params"


def shape_text(shape: tuple[int | None, ...] | None) -> str:
    """An output shape without the batch axis, ``28×28×16`` (``?`` for unknown sizes)."""
    if shape is None:
        return "?"
    dims = shape[1:] if shape and shape[0] is None else shape
    if not dims:
        return "scalar"
    return "×".join("?" if d is None else str(d) for d in dims)
