"""Predictions from an exported ``.keras`` model and its card, on files of raw inputs.

Inputs: a CSV (the card's columns; categorical columns encoded with the recorded
vocabularies), an image file or a folder of images (searched recursively; resized to the
card's image size and colour mode), an ``.npy`` array, or an ``.npz`` with one array per
input name.  The recorded preprocessing is applied unless the export includes it.  Any
mismatch with the card is a :class:`PredictError` with one line naming expected and got.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.core.export.model_card import card_path_for, read_card
from nnstudio.core.export.predict_inputs import IMAGE_SUFFIXES, PredictError, read_inputs
from nnstudio.core.export.preprocessing import InputPreprocessing, apply_steps
from nnstudio.core.export.report import ExportError

__all__ = [
    "IMAGE_SUFFIXES",
    "PredictError",
    "Predictions",
    "card_preprocessing",
    "interpret",
    "load_model_and_card",
    "predict_file",
    "predict_with",
    "read_inputs",
    "reading",
]


@dataclass
class Predictions:
    """Rows of predictions: ``labels`` name each sample (row number, file name)."""

    labels: list[str] = field(default_factory=list)
    outputs: dict[str, list[np.ndarray]] = field(default_factory=dict)
    card: dict[str, Any] = field(default_factory=dict)

    def arrays(self) -> dict[str, np.ndarray]:
        """Each output as one array (samples first)."""
        return {k: np.concatenate(v) if v else np.empty((0,)) for k, v in self.outputs.items()}

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-able dict per sample: its label and each output interpreted."""
        arrays = self.arrays()
        infos = {o["name"]: o for o in self.card.get("outputs", [])}
        out = []
        for i, label in enumerate(self.labels):
            row: dict[str, Any] = {"input": label}
            for name, values in arrays.items():
                row[name] = interpret(values[i], infos.get(name, {}))
            out.append(row)
        return out

    def to_json(self) -> dict[str, Any]:
        """The model, its class names and every row."""
        return {
            "model": self.card.get("model"),
            "class_names": self.card.get("class_names"),
            "predictions": self.rows(),
        }


def interpret(value: np.ndarray, info: Mapping[str, Any]) -> dict[str, Any]:
    """One sample's output: the class and its probability for classifiers, else values."""
    v = np.asarray(value, dtype=np.float64)
    names = info.get("class_names")
    kind = info.get("kind")
    if kind == "classes" and v.ndim == 1 and v.size > 1:
        k = int(np.argmax(v))
        out: dict[str, Any] = {"class": names[k] if names else k, "index": k, "score": float(v[k])}
        if names:
            out["scores"] = {n: float(s) for n, s in zip(names, v, strict=True)}
        return out
    if kind == "binary" and v.size == 1:
        cut = 0.5 if info.get("activation") == "sigmoid" else 0.0
        k = int(v.reshape(-1)[0] > cut)
        return {
            "class": names[k] if names and len(names) == 2 else k,
            "index": k,
            "score": float(v.reshape(-1)[0]),
        }
    return {"values": v.tolist()}


def load_model_and_card(model_path: str | Path) -> tuple[Any, dict[str, Any]]:
    """The ``.keras`` export (checked, safe mode) and the card beside it."""
    path = Path(model_path)
    if not path.exists():
        raise PredictError(f"{path}: no such file")
    if path.is_dir() or path.suffix != ".keras":
        raise PredictError(
            f"{path}: not a .keras model (export one with `nnstudio export ... --format keras`)"
        )
    card = read_card(card_path_for(path))
    from nnstudio.core.export.source import load_model_file
    from nnstudio.core.interop.archive import check_keras_archive
    from nnstudio.core.interop.errors import ModelImportError

    with reading(path):
        try:
            check_keras_archive(path)  # caps, ratios, a damaged zip: before Keras opens it
        except ModelImportError as exc:
            raise PredictError(str(exc).splitlines()[0].rstrip(":")) from None
        model = load_model_file(path)
    names = [t.name for t in model.inputs]
    if names != [i["name"] for i in card["inputs"]]:
        raise PredictError(
            f"{card_path_for(path).name}: the card's inputs "
            f"{[i['name'] for i in card['inputs']]} are not the model's {names}"
        )
    return model, card


def predict_file(model_path: str | Path, input_path: str | Path) -> Predictions:
    """Load the model and card, read ``input_path`` and predict in chunks."""
    model, card = load_model_and_card(model_path)
    return predict_with(model, card, input_path)


def predict_with(model: Any, card: Mapping[str, Any], input_path: str | Path) -> Predictions:
    """Predictions of a loaded model for the raw inputs in ``input_path``."""
    from nnstudio.core.export.verify import predict_in_process

    result = Predictions(card=dict(card))
    preps = card_preprocessing(card)
    included = bool(card.get("preprocessing", {}).get("included"))
    batches = read_inputs(card, preps, input_path)
    while True:
        with reading(Path(input_path)):
            item = next(batches, None)
        if item is None:
            break
        labels, batch = item
        if not included:
            batch = {k: apply_steps(preps[k], v) if k in preps else v for k, v in batch.items()}
        for name, value in predict_in_process(model, batch).items():
            result.outputs.setdefault(name, []).append(value)
        result.labels += labels
    if not result.labels:
        raise PredictError(f"{input_path}: no samples found")
    return result


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Any failure to read the untrusted ``path`` becomes a :class:`PredictError` naming it:
    the last line of defence behind the readers' own checks."""
    try:
        yield
    except ExportError:
        raise
    except RecursionError:
        raise PredictError(f"{path}: cannot read it (nested too deeply)") from None
    except Exception as exc:  # noqa: BLE001 - a damaged file must never be a traceback
        text = " ".join(str(exc).split())[:200]
        raise PredictError(f"{path}: cannot read it ({type(exc).__name__}: {text})") from None


def card_preprocessing(card: Mapping[str, Any]) -> dict[str, InputPreprocessing]:
    """The per-input preprocessing the card lists (what predict applies or the model has)."""
    entries = card.get("preprocessing", {}).get("inputs") or []
    if not isinstance(entries, list):
        raise PredictError("the model card's preprocessing is damaged (inputs is not a list)")
    names = {i["name"] for i in card["inputs"]}
    preps = [InputPreprocessing.from_json(e) for e in entries if isinstance(e, Mapping)]
    return {p.input_name: p for p in preps if p.input_name in names}
