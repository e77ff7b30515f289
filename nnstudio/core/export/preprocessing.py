"""The preprocessing a model expects: read from the data layer's record, baked, or applied.

The data layer records how raw data became model inputs (``PreparedData.preprocessing``,
copied into each run record).  This module reads that record into a small list of
:class:`Step` per model input (resize, rescale, normalize), and then either

* bakes the steps into the model (:func:`bake_model`: Keras preprocessing layers in front of
  the inputs, so the export accepts raw inputs), or
* applies them to NumPy arrays (:func:`apply_steps`; :func:`invert_steps` maps model-ready
  arrays back to raw ones, which the verification uses to feed a baked export).

Recognised record keys (unknown keys are ignored, the record is kept verbatim in the card):
``type`` (``tabular``/``image``/``array``, or ``kind`` ``csv``/``images``/``numpy``);
CSV ``features``: a list of
``{"name", "type": "numeric", "mean", "std"}`` or
``{"name", "type": "categorical", "encoding": "onehot"|"integer", "vocabulary"}``;
images ``image_size`` ``[h, w]``, ``color_mode`` and ``scale``/``rescale`` (+ ``offset``);
NumPy and generic ``mean`` with ``std`` or ``variance`` (also nested under
``normalization``; ``normalization: "none"`` means none); a multi-input model may give ``inputs: {input_name: record}``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnstudio.core.export.report import ExportError

STEP_KINDS = ("resize", "rescale", "normalize")
_LAYER_FOR = {"resize": "Resizing", "rescale": "Rescaling", "normalize": "Normalization"}


@dataclass(frozen=True)
class Step:
    """One preprocessing operation on a model input (float tensors)."""

    kind: str
    params: Mapping[str, Any]

    def describe(self) -> str:
        """One line for people."""
        p = self.params
        if self.kind == "resize":
            return f"resize images to {p['height']}x{p['width']} pixels (height x width)"
        if self.kind == "rescale":
            text = f"multiply by {p['scale']:.6g}"
            return text + (f" and add {p['offset']:.6g}" if p.get("offset") else "")
        mean = np.asarray(p["mean"])
        return (
            f"standardize: subtract the mean and divide by the standard deviation "
            f"({mean.size} value{'s' if mean.size != 1 else ''} recorded)"
        )

    def to_json(self) -> dict[str, Any]:
        """JSON data (``kind`` plus the parameters, arrays as nested lists)."""
        out: dict[str, Any] = {"kind": self.kind, "text": self.describe()}
        for key, value in self.params.items():
            out[key] = np.asarray(value).tolist() if isinstance(value, np.ndarray) else value
        return out


@dataclass(frozen=True)
class InputPreprocessing:
    """What one model input expects: the source kind, CSV columns, image options, steps."""

    input_name: str
    kind: str = "unknown"
    steps: tuple[Step, ...] = ()
    columns: tuple[Mapping[str, Any], ...] = ()
    image_size: tuple[int, int] | None = None
    color_mode: str | None = None
    record: Mapping[str, Any] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        """The CSV columns that feed this input, in order."""
        return [str(c["name"]) for c in self.columns]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InputPreprocessing:
        """Read back :meth:`to_json` (a model card's entry); :class:`ExportError` if broken."""
        try:
            steps = tuple(
                Step(str(s["kind"]), {k: v for k, v in s.items() if k not in ("kind", "text")})
                for s in data.get("steps", ())
            )
            columns = tuple(_column(c, i) for i, c in enumerate(data.get("columns", ())))
            size = _image_size(data.get("image_size"))
            name = str(data["input"])
        except (KeyError, TypeError, AttributeError) as exc:
            raise ExportError(f"the model card's preprocessing is damaged ({exc})") from None
        bad = [s.kind for s in steps if s.kind not in STEP_KINDS]
        if bad:
            raise ExportError(f"the model card names unknown preprocessing steps {bad}")
        color = data.get("color_mode")
        return cls(
            name,
            str(data.get("kind", "unknown")),
            steps,
            columns,
            size,
            color if isinstance(color, str) else None,
        )

    def to_json(self) -> dict[str, Any]:
        """JSON data for the model card."""
        out: dict[str, Any] = {
            "input": self.input_name,
            "kind": self.kind,
            "steps": [s.to_json() for s in self.steps],
        }
        if self.columns:
            out["columns"] = [dict(c) for c in self.columns]
        if self.image_size is not None:
            out["image_size"] = list(self.image_size)
        if self.color_mode is not None:
            out["color_mode"] = self.color_mode
        return out


# -- reading the record ---------------------------------------------------------------


def read_preprocessing(
    record: Mapping[str, Any] | None, input_names: Sequence[str]
) -> dict[str, InputPreprocessing]:
    """Each model input's preprocessing, from the data layer's record (``{}`` for none).

    A record without an ``inputs`` map describes the first input.  Raises
    :class:`ExportError` for a record whose numbers cannot be used (NaN, negative spread).
    """
    if not record or not input_names:
        return {}
    if not isinstance(record, Mapping):
        raise ExportError("the recorded preprocessing is not a JSON object")
    per_input = record.get("inputs")
    if isinstance(per_input, Mapping):
        items = [
            (name, per_input[name])
            for name in input_names
            if isinstance(per_input.get(name), Mapping)
        ]
    else:
        items = [(input_names[0], record)]
    return {name: _read_one(name, rec) for name, rec in items}


_KIND_NAMES = {
    "tabular": "csv",
    "csv": "csv",
    "image": "images",
    "images": "images",
    "array": "numpy",
    "numpy": "numpy",
}


def _read_one(name: str, rec: Mapping[str, Any]) -> InputPreprocessing:
    kind = _KIND_NAMES.get(str(rec.get("kind") or rec.get("type") or ""), "unknown")
    steps: list[Step] = []
    columns: tuple[Mapping[str, Any], ...] = ()
    size = _image_size(rec.get("image_size") or rec.get("size"))
    color = rec.get("color_mode")
    if size is not None:
        steps.append(Step("resize", {"height": size[0], "width": size[1]}))
    scale = rec.get("scale", rec.get("rescale"))
    if isinstance(scale, Mapping):
        offset = scale.get("offset", 0.0)
        scale = scale.get("scale")
    else:
        offset = rec.get("offset", 0.0)
    if scale is not None:
        scale, offset = _finite(scale, f"{name}: scale"), _finite(offset or 0.0, f"{name}: offset")
        if scale != 1.0 or offset != 0.0:
            steps.append(Step("rescale", {"scale": scale, "offset": offset}))
    features = rec.get("features") or rec.get("columns")
    if isinstance(features, list) and features and all(isinstance(f, Mapping) for f in features):
        columns = tuple(_column(f, i) for i, f in enumerate(features))
        step = _csv_normalization(columns)
        if step is not None:
            steps.append(step)
    else:
        step = _generic_normalization(rec, name)
        if step is not None:
            steps.append(step)
    if kind == "unknown":
        kind = "csv" if columns else ("images" if size is not None else "numpy")
    return InputPreprocessing(
        name,
        kind,
        tuple(steps),
        columns,
        size,
        color if isinstance(color, str) else None,
        dict(rec),
    )


def _image_size(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if (
        isinstance(value, Sequence)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        return int(value[0]), int(value[1])
    raise ExportError(f"the recorded image size {value!r} is not [height, width]")


def _finite(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ExportError(
            f"the recorded preprocessing has a non-number {what}: {value!r}"
        ) from None
    if not math.isfinite(number):
        raise ExportError(f"the recorded preprocessing has a non-finite {what}")
    return number


def _column(spec: Mapping[str, Any], index: int) -> Mapping[str, Any]:
    name = spec.get("name")
    if not isinstance(name, str):
        raise ExportError(f"recorded feature {index + 1} has no column name")
    kind = spec.get("type", spec.get("kind", "numeric"))
    if kind == "categorical":
        vocab = spec.get("vocabulary", spec.get("categories"))
        if not isinstance(vocab, list) or not vocab:
            raise ExportError(f'recorded column "{name}" is categorical but has no vocabulary')
        encoding = spec.get("encoding") or "onehot"
        return {
            "name": name,
            "type": "categorical",
            "encoding": encoding,
            "vocabulary": [str(v) for v in vocab],
        }
    mean = _finite(spec.get("mean", 0.0), f'mean of column "{name}"')
    std = _finite(spec.get("std", 1.0), f'standard deviation of column "{name}"')
    if std <= 0:
        raise ExportError(f'the recorded standard deviation of column "{name}" is {std}')
    return {"name": name, "type": "numeric", "mean": mean, "std": std}


def _csv_normalization(columns: Sequence[Mapping[str, Any]]) -> Step | None:
    means: list[float] = []
    stds: list[float] = []
    for col in columns:
        if col["type"] == "numeric":
            means.append(col["mean"])
            stds.append(col["std"])
        else:
            width = len(col["vocabulary"]) if col["encoding"] == "onehot" else 1
            means += [0.0] * width
            stds += [1.0] * width
    if all(m == 0.0 for m in means) and all(s == 1.0 for s in stds):
        return None
    return Step("normalize", {"mean": means, "std": stds})


def _generic_normalization(rec: Mapping[str, Any], name: str) -> Step | None:
    src: Mapping[str, Any] = rec
    nested = rec.get("normalization")
    if isinstance(nested, Mapping):
        src = nested
    elif isinstance(nested, str) and nested != "standardize":
        return None  # the data layer's "none"
    if src.get("mean") is None:
        return None
    mean = np.asarray(src["mean"], dtype=np.float64)
    if "std" in src and src["std"] is not None:
        std = np.asarray(src["std"], dtype=np.float64)
    elif src.get("variance") is not None:
        std = np.sqrt(np.asarray(src["variance"], dtype=np.float64))
    else:
        raise ExportError(f"{name}: the recorded normalization has a mean but no std/variance")
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std))):
        raise ExportError(f"{name}: the recorded normalization has non-finite values")
    if np.any(std <= 0):
        raise ExportError(f"{name}: the recorded standard deviation has a value <= 0")
    if np.all(mean == 0.0) and np.all(std == 1.0):
        return None
    return Step("normalize", {"mean": mean.tolist(), "std": std.tolist()})


# -- NumPy ----------------------------------------------------------------------------


def apply_steps(prep: InputPreprocessing, raw: np.ndarray) -> np.ndarray:
    """Raw values -> model inputs (resizing is the image reader's job and is skipped)."""
    x = np.asarray(raw, dtype=np.float32)
    for step in prep.steps:
        if step.kind == "rescale":
            x = x * np.float32(step.params["scale"]) + np.float32(step.params["offset"])
        elif step.kind == "normalize":
            mean, std = _stats(step, x.shape)
            x = (x - mean) / std
    return x.astype(np.float32)


def invert_steps(prep: InputPreprocessing, ready: np.ndarray) -> np.ndarray:
    """Model inputs -> raw values (the inverse of :func:`apply_steps`)."""
    x = np.asarray(ready, dtype=np.float64)
    for step in reversed(prep.steps):
        if step.kind == "rescale":
            x = (x - step.params["offset"]) / step.params["scale"]
        elif step.kind == "normalize":
            mean, std = _stats(step, x.shape)
            x = x * std + mean
    return x.astype(np.float32)


def _stats(step: Step, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    mean = np.asarray(step.params["mean"], dtype=np.float32)
    std = np.asarray(step.params["std"], dtype=np.float32)
    sample = shape[1:]
    if mean.ndim and mean.shape != sample[len(sample) - mean.ndim :]:
        raise ExportError(
            f"the recorded normalization has {mean.size} values, which do not "
            f"fit inputs of shape {list(sample)}"
        )
    return mean, std


def raw_input_shape(
    prep: InputPreprocessing | None, shape: Sequence[int | None], baked: bool
) -> list[int | None]:
    """The per-sample shape an export takes: the model's, or with baked resizing any size."""
    out = list(shape)
    if baked and prep is not None and len(out) == 3 and any(s.kind == "resize" for s in prep.steps):
        out[0] = out[1] = None
    return out


# -- baking into a Keras model --------------------------------------------------------


def bakeable(preps: Mapping[str, InputPreprocessing]) -> bool:
    """Whether there is anything to bake."""
    return any(p.steps for p in preps.values())


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def _normalization_kwargs(step: Step, sample_shape: Sequence[int | None]) -> dict[str, Any]:
    mean = np.asarray(step.params["mean"], dtype=np.float64)
    std = np.asarray(step.params["std"], dtype=np.float64)
    rank = len(sample_shape)
    if mean.ndim == 0:
        axis: Any = None
    elif mean.ndim == 1:
        axis = -1
    else:
        axis = tuple(range(rank - mean.ndim + 1, rank + 1))
    return {"axis": axis, "mean": mean.tolist(), "variance": (std**2).tolist()}


def bake_model(model: Any, preps: Mapping[str, InputPreprocessing]) -> Any:
    """A flat functional model: raw inputs -> preprocessing layers -> ``model``'s layers.

    The layers of ``model`` are shared (same weights, same names); the inputs keep their
    names and the outputs theirs.
    """
    import keras

    taken = {layer.name for layer in model.layers}
    raw_inputs: list[Any] = []
    prepared: dict[int, Any] = {}  # id(raw input tensor) -> its preprocessed tensor
    for tensor in model.inputs:
        name = tensor.name
        prep = preps.get(name)
        shape = list(tensor.shape[1:])
        raw = keras.Input(
            shape=tuple(raw_input_shape(prep, shape, baked=True)), dtype=tensor.dtype, name=name
        )
        x = raw
        for step in prep.steps if prep else ():
            layer_name = _unique(f"{name}_{_LAYER_FOR[step.kind].lower()}", taken)
            if step.kind == "resize":
                layer = keras.layers.Resizing(
                    step.params["height"], step.params["width"], name=layer_name
                )
            elif step.kind == "rescale":
                layer = keras.layers.Rescaling(
                    step.params["scale"], step.params["offset"], name=layer_name
                )
            else:
                layer = keras.layers.Normalization(
                    **_normalization_kwargs(step, shape), name=layer_name
                )
            x = layer(x)
        raw_inputs.append(raw)
        prepared[id(raw)] = x

    def feed(value: Any) -> Any:
        return prepared.get(id(value), value)

    def call(layer: Any, *args: Any, **kwargs: Any) -> Any:
        # the layers that read a raw input read its preprocessed tensor instead
        return layer(
            *keras.tree.map_structure(feed, args), **keras.tree.map_structure(feed, kwargs)
        )

    clone = keras.models.clone_model(
        model,
        input_tensors=raw_inputs[0] if len(raw_inputs) == 1 else raw_inputs,
        clone_function=lambda layer: layer,
        call_function=call,
    )
    inputs = clone.inputs[0] if len(clone.inputs) == 1 else clone.inputs
    outputs = clone.outputs[0] if len(clone.outputs) == 1 else clone.outputs
    return keras.Model(inputs, outputs, name=model.name)
