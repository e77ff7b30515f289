"""The model card: a small JSON file beside every export that says how to use it.

``model.keras`` gets ``model.keras.card.json`` (a folder export ``model_savedmodel`` gets
``model_savedmodel.card.json``).  The card holds the inputs (names, shapes, dtypes, and the
CSV columns or image options that feed them), the outputs (names, shapes and what they
mean, with the class names in order), the preprocessing the export expects or includes,
the training data's hash, the final metrics, and the verification result.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nnstudio import __version__
from nnstudio.core.export.report import ExportError
from nnstudio.core.objectives.losses import loss_kind

CARD_VERSION = 1
CARD_SUFFIX = ".card.json"
MAX_CARD_BYTES = 16 * 1024 * 1024


def card_path_for(export_path: str | Path) -> Path:
    """Where the card of ``export_path`` goes (``NAME`` -> ``NAME.card.json``)."""
    p = Path(export_path)
    return p.with_name(p.name + CARD_SUFFIX)


def loss_name(loss: Any) -> str | None:
    """A loss as a snake_case name (``"SparseCategoricalCrossentropy"`` and its serialized
    form both give ``"sparse_categorical_crossentropy"``)."""
    if isinstance(loss, Mapping):
        loss = loss.get("class_name") or loss.get("config", {}).get("name")
    if not isinstance(loss, str):
        return None
    if loss[:1].isupper():
        loss = re.sub(r"(?<!^)(?=[A-Z])", "_", loss).lower()
    return {"mean_squared_error": "mse", "mean_absolute_error": "mae"}.get(loss, loss)


def output_kind(loss: str | None, activation: str | None, units: int | None) -> str:
    """``"classes"``, ``"binary"``, ``"values"`` or ``"unknown"`` (the loss's kind comes
    from the losses registry, :func:`~nnstudio.core.objectives.losses.loss_kind`)."""
    kind = loss_kind(loss)
    if kind is not None:
        return kind
    if loss is None and activation == "softmax" and (units or 0) > 1:
        return "classes"
    if loss is None and activation == "sigmoid" and units == 1:
        return "binary"
    return "values" if loss is not None else "unknown"


def describe_output(
    kind: str, activation: str | None, class_names: Sequence[str] | None, units: int | None
) -> str:
    """What an output's numbers mean, in one sentence."""
    probs = activation in ("softmax", "sigmoid")
    if kind == "classes":
        n = len(class_names) if class_names else units
        what = (
            "the probability of each class"
            if activation == "softmax"
            else ("a score (logit) per class; apply softmax for probabilities")
        )
        order = " in the order of class_names" if class_names else ""
        return f"{what}{order} ({n} classes); the predicted class is the largest"
    if kind == "binary":
        positive = f' "{class_names[-1]}"' if class_names and len(class_names) == 2 else ""
        if probs:
            return f"the probability of the positive class{positive} (threshold 0.5)"
        return f"a score (logit) for the positive class{positive}; positive when above 0"
    if kind == "values":
        return "predicted value(s) in the units of the training targets"
    return "model output"


def input_info(model: Any, preps: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Name, dtype and shape of every input of ``model``, with the columns or the image size
    and colour mode its recorded preprocessing (``preps``, by input name) expects."""
    inputs = []
    for t in model.inputs:
        entry: dict[str, Any] = {
            "name": t.name,
            "dtype": str(t.dtype),
            "shape": [None if d is None else int(d) for d in t.shape],
        }
        prep = preps.get(t.name)
        if prep is not None and prep.columns:
            entry["columns"] = prep.column_names
        if prep is not None and prep.image_size is not None:
            entry["image_size"] = list(prep.image_size)
            entry["color_mode"] = prep.color_mode
        inputs.append(entry)
    return inputs


def output_info(
    model: Any,
    losses: Mapping[str, Any],
    class_names: Sequence[str] | Mapping[str, Sequence[str]] | None,
) -> list[dict[str, Any]]:
    """Name, shape, dtype, kind, meaning and class names of every output of ``model``."""
    outs = []
    names = list(model.output_names)
    classifiers = []
    for name, tensor in zip(names, model.outputs, strict=True):
        activation = _activation(model, name)
        shape = [None if d is None else int(d) for d in tensor.shape]
        units = shape[-1] if shape and shape[-1] is not None else None
        kind = output_kind(loss_name(losses.get(name)), activation, units)
        if kind in ("classes", "binary"):
            classifiers.append(name)
        outs.append(
            {
                "name": name,
                "shape": shape,
                "dtype": str(tensor.dtype),
                "kind": kind,
                "activation": activation,
                "loss": loss_name(losses.get(name)),
            }
        )
    for out in outs:
        names_here = _class_names_for(out["name"], class_names, classifiers)
        units = out["shape"][-1] if out["shape"] else None
        if (
            names_here is not None
            and out["kind"] == "classes"
            and units not in (None, len(names_here))
        ):
            names_here = None  # the record does not fit this output
        if names_here is not None:
            out["class_names"] = list(names_here)
        out["meaning"] = describe_output(out["kind"], out["activation"], names_here, units)
    return outs


def _class_names_for(name: str, class_names: Any, classifiers: list[str]) -> list[str] | None:
    if isinstance(class_names, Mapping):
        value = class_names.get(name)
        return [str(v) for v in value] if isinstance(value, list) else None
    if isinstance(class_names, list) and class_names and classifiers == [name]:
        return [str(v) for v in class_names]
    return None


def _activation(model: Any, name: str) -> str | None:
    try:
        layer = model.get_layer(name)
    except ValueError:
        return None
    if type(layer).__name__ == "Softmax":
        return "softmax"
    act = layer.get_config().get("activation")
    if isinstance(act, Mapping):
        act = act.get("config", {}).get("name") or act.get("class_name")
    return act if isinstance(act, str) else None


def build_card(
    *,
    fmt: str,
    title: str,
    export_path: Path,
    model: Any,
    model_name: str,
    inputs: Sequence[Mapping[str, Any]],
    outputs: Sequence[Mapping[str, Any]],
    preprocessing: Sequence[Mapping[str, Any]],
    baked: bool,
    recorded_preprocessing: Mapping[str, Any] | None,
    trained: bool,
    run_id: str | None,
    data_hash: str | None,
    metrics: Mapping[str, Any],
    verification: Mapping[str, Any] | None,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The card's JSON data."""
    class_names = next((o["class_names"] for o in outputs if "class_names" in o), None)
    return {
        "card_version": CARD_VERSION,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "nnstudio_version": __version__,
        "format": fmt,
        "format_title": title,
        "file": export_path.name,
        "model": model_name,
        "inputs": [dict(i) for i in inputs],
        "outputs": [dict(o) for o in outputs],
        "class_names": class_names,
        "preprocessing": {
            "included": bool(baked and any(p.get("steps") for p in preprocessing)),
            "inputs": [dict(p) for p in preprocessing],
            "recorded": dict(recorded_preprocessing or {}),
            "note": _preprocessing_note(preprocessing, baked),
        },
        "training": {
            "trained": trained,
            "run": run_id,
            "data_hash": data_hash,
            "final_metrics": dict(metrics),
        },
        "verification": dict(verification) if verification else None,
        "notes": list(notes),
    }


def _preprocessing_note(preprocessing: Sequence[Mapping[str, Any]], baked: bool) -> str:
    if not any(p.get("steps") for p in preprocessing):
        has_columns = any(p.get("columns") for p in preprocessing)
        return (
            "inputs are the encoded feature columns, in order"
            if has_columns
            else "inputs are used as they are: no preprocessing was recorded"
        )
    if baked:
        text = "the model includes the preprocessing steps listed: give it raw inputs"
        if any(c.get("type") == "categorical" for p in preprocessing for c in p.get("columns", ())):
            text += " (categorical columns still need their encoding, listed per column)"
        return text
    return "apply the preprocessing steps listed, in order, before calling the model"


def card_json(card: Mapping[str, Any]) -> str:
    """The card's file text (strict JSON: no NaN)."""
    return json.dumps(card, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def read_card(path: str | Path) -> dict[str, Any]:
    """Read and check a model card; :class:`ExportError` naming the file on any problem."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise ExportError(f"{p}: no model card (expected beside the model)") from None
    except OSError as exc:
        raise ExportError(f"{p}: cannot read the model card ({exc.strerror or exc})") from None
    if size > MAX_CARD_BYTES:
        raise ExportError(f"{p}: {size} bytes is too large for a model card")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ExportError(f"{p}: not a readable model card ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("card_version"), int):
        raise ExportError(f"{p}: not an NN Studio model card (no card_version)")
    if data["card_version"] > CARD_VERSION:
        raise ExportError(
            f"{p}: written by a newer NN Studio (card version "
            f"{data['card_version']}); update NN Studio"
        )
    inputs = data.get("inputs")
    if (
        not isinstance(inputs, list)
        or not inputs
        or not all(
            isinstance(i, dict)
            and isinstance(i.get("name"), str)
            and isinstance(i.get("shape"), list)
            for i in inputs
        )
    ):
        raise ExportError(f"{p}: the model card lists no usable inputs")
    if not isinstance(data.get("outputs"), list):
        raise ExportError(f"{p}: the model card lists no outputs")
    return data
