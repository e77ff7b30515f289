"""Read a training error: which layer (as the user named it) and why, in plain words.

Keras and TensorFlow say where an error happened in their own terms: eager mode names the
layer's class only ("Exception encountered when calling Dense.call()"), graph mode names an
op node in a scope TensorFlow made unique (``model_1/hidden_1_2/MatMul`` is an op of the
layer ``hidden_1``).  :func:`locate_layer` maps that back to a model layer;
:func:`plain_cause` keeps the line that says what went wrong, reworded where we know the
message.  The whole text and the traceback belong in the log, not in the message.
"""

from __future__ import annotations

import re
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_NODE = re.compile(r"\{\{node ([^}\s]+)\}\}|Detected at node '?([\w./\-]+)'?")
_CALLED = re.compile(r"Exception encountered when calling (\w+)\.call\(\)")
_SUFFIX = re.compile(r"_\d+$")
_NOISE = (
    "exception encountered when calling",
    "graph execution error",
    "arguments received by",
    "detected at node",
    "defined at (most recent call last)",
    "• ",
    "[[",
    "file ",
)
_MATRIX = re.compile(r"Matrix size-incompatible: In\[0\]: \[([\d,\s]+)\], In\[1\]: \[([\d,\s]+)\]")
_DIMS = re.compile(r"Dimensions must be equal, but are (\d+) and (\d+)")
_SHAPES = re.compile(r"with input shapes: (\[[^\]]*\](?:, \[[^\]]*\])*)")
_OP_DETAIL = re.compile(r" for '\{\{node [^}]*\}\}[^']*'")


def clean(text: str) -> str:
    """``text`` without terminal colour codes."""
    return _ANSI.sub("", text)


def locate_layer(text: str, model: Any) -> str | None:
    """The name of the model layer an error message points at, if any.

    The failing op node is read first (its scopes with TensorFlow's ``_N`` suffixes taken
    off one by one, preferring a layer of the class the message names); otherwise the
    longest layer name the message mentions as a whole word.
    """
    text = clean(text)
    layers = {layer.name: layer for layer in getattr(model, "layers", [])}
    called = _CALLED.search(text)
    kind = called.group(1) if called else None
    skip = {getattr(model, "name", None), "nnstudio_probe"}
    for match in _NODE.finditer(text):
        node = match.group(1) or match.group(2)
        for scope in node.split("/")[:-1] or node.split("/"):
            found = _resolve_scope(scope, layers, kind, skip)
            if found:
                return found
    for name in sorted(layers, key=len, reverse=True):
        if re.search(rf"(?<![\w.\-]){re.escape(name)}(?![\w\-])", text):
            return name
    return None


def layer_from_traceback(exc: BaseException, model: Any) -> str | None:
    """The innermost model layer whose ``call`` is on the stack of ``exc`` (eager mode; the
    run turns Keras' traceback filtering off on its thread so those frames stay)."""
    layers = {id(layer): layer.name for layer in getattr(model, "layers", [])}
    found = None
    seen: set[int] = set()
    err: BaseException | None = exc
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        tb = err.__traceback__
        while tb is not None:
            owner = tb.tb_frame.f_locals.get("self")
            if owner is not None and id(owner) in layers:
                found = layers[id(owner)]
            tb = tb.tb_next
        if found:
            return found
        err = err.__cause__ or err.__context__
    return None


def _resolve_scope(scope: str, layers: dict[str, Any], kind: str | None, skip: set) -> str | None:
    chain = [scope]
    while _SUFFIX.search(chain[-1]):
        chain.append(_SUFFIX.sub("", chain[-1]))
    if any(name in skip for name in chain):
        return None
    found = [name for name in chain if name in layers]
    if kind is not None:
        typed = [n for n in found if type(layers[n]).__name__ == kind]
        found = typed or found
    return found[0] if found else None


def plain_cause(exc: BaseException, text: str | None = None) -> str:
    """One line that says what went wrong: reworded where the message is known, else the
    error's type and the line of its message that carries the reason."""
    text = clean(str(exc) if text is None else text)
    known = explain(text)
    if known is not None:
        return known
    line = reason_line(text)
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__


def explain(text: str) -> str | None:
    """Known TensorFlow/Keras messages in plain words (``None`` when not known)."""
    matrix = _MATRIX.search(text)
    if matrix:
        a, b = (re.sub(r"\s", "", s) for s in matrix.groups())
        return (
            f"the matrix sizes do not fit: the layer receives [{a}] but its weights are "
            f"[{b}] (the number of features coming in differs from what the layer was "
            "built for)."
        )
    dims = _DIMS.search(text)
    if dims:
        shapes = _SHAPES.search(text)
        seen = f" (input shapes {shapes.group(1)})" if shapes else ""
        return (
            f"the sizes do not match: {dims.group(1)} against {dims.group(2)}{seen}; the "
            "shape coming in differs from what the layer was built for."
        )
    return None


def reason_line(text: str) -> str:
    """The first line of ``text`` that is not Keras/TensorFlow framing."""
    for line in clean(text).splitlines():
        line = _OP_DETAIL.sub("", line).strip()
        if line and not line.lower().startswith(_NOISE) and not line.endswith(":"):
            return line
    return ""
