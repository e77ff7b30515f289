"""``nnstudio explain``'s core: a model (a ``.keras`` export with its card, or a run folder),
raw inputs read the way ``predict`` reads them (with the training preprocessing), the
explanations, and their files: PNG overlays for images, a CSV of attributions for rows and
sequences, and a JSON summary.  Every failure is an :class:`ExplainError` in one line."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.core.atomic import atomic_write_text
from nnstudio.core.insight.explain import METHOD_TITLES, METHODS, Explanation, explain
from nnstudio.core.insight.explain_maps import ExplainError
from nnstudio.core.insight.explain_render import write_overlay

SUMMARY_FILE = "explain.json"
CSV_FILE = "attributions.csv"
MAX_SAMPLES = 10_000


@dataclass
class LoadedModel:
    """A model to explain, its card (inputs, outputs, preprocessing) and class names."""

    model: Any
    card: dict[str, Any]
    class_names: list[str] | None = None
    name: str = "model"


@dataclass
class ExplainReport:
    """What ``explain_files`` did: one entry per sample and the files it wrote."""

    model: str
    method: str
    kind: str
    class_names: list[str] | None
    samples: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON summary (``explain.json`` and ``--json``)."""
        return {
            "model": self.model,
            "method": self.method,
            "kind": self.kind,
            "class_names": self.class_names,
            "params": self.params,
            "samples": self.samples,
            "files": self.files,
        }


def _card_for(source: Any) -> dict[str, Any]:
    """A model card for a run folder's model (what an export would write)."""
    from nnstudio.core.export.model_card import input_info, output_info
    from nnstudio.core.export.preprocessing import read_preprocessing

    model = source.model
    preps = read_preprocessing(source.preprocessing, [t.name for t in model.inputs])
    inputs = input_info(model, preps)
    outputs = output_info(model, source.losses, source.class_names)
    return {
        "model": source.name,
        "inputs": inputs,
        "outputs": outputs,
        "class_names": next((o["class_names"] for o in outputs if "class_names" in o), None),
        "preprocessing": {"included": False, "inputs": [p.to_json() for p in preps.values()]},
    }


def load_for_explaining(path: str | Path) -> LoadedModel:
    """A ``.keras`` export (its card beside it) or a run folder (or its ``model.keras``)."""
    from nnstudio.core.export import ExportError
    from nnstudio.core.export.model_card import card_path_for
    from nnstudio.core.export.predict import load_model_and_card
    from nnstudio.core.export.source import MODEL_FILE, source_from_path

    p = Path(path)
    try:
        if p.is_file() and p.suffix == ".keras" and card_path_for(p).is_file():
            model, card = load_model_and_card(p)
            name = str(card.get("model") or p.stem)
        elif p.is_dir() or p.name == MODEL_FILE:
            source = source_from_path(p)
            model, card, name = source.model, _card_for(source), source.name
        elif not p.exists():
            raise ExplainError(f"{p}: no such file or folder")
        else:
            raise ExplainError(
                f"{p}: give a .keras export with its card ({card_path_for(p).name}) or a run folder"
            )
    except ExportError as exc:
        raise ExplainError(str(exc).splitlines()[0]) from None
    names = card.get("class_names")
    return LoadedModel(model, card, [str(n) for n in names] if names else None, name)


def read_samples(
    loaded: LoadedModel, input_path: str | Path
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``(labels, raw, ready)``: the samples of ``input_path`` as read and as the model takes
    them (the card's preprocessing applied unless the model includes it)."""
    from nnstudio.core.export import ExportError
    from nnstudio.core.export.predict import card_preprocessing, read_inputs, reading
    from nnstudio.core.export.preprocessing import apply_steps

    card = loaded.card
    if len(card["inputs"]) != 1:
        raise ExplainError(f"the model has {len(card['inputs'])} inputs; explain takes one")
    name = card["inputs"][0]["name"]
    labels: list[str] = []
    raw: list[np.ndarray] = []
    try:
        preps = card_preprocessing(card)
        included = bool(card.get("preprocessing", {}).get("included"))
        batches = read_inputs(card, preps, input_path)
        while len(labels) < MAX_SAMPLES:
            with reading(Path(input_path)):
                item = next(batches, None)
            if item is None:
                break
            labels += item[0]
            raw.append(np.asarray(item[1][name], np.float32))
        if not labels:
            raise ExplainError(f"{input_path}: no samples found")
        x = np.concatenate(raw)[:MAX_SAMPLES]
        ready = x if included or name not in preps else apply_steps(preps[name], x)
    except ExportError as exc:
        raise ExplainError(str(exc).splitlines()[0]) from None
    return labels[:MAX_SAMPLES], x, np.asarray(ready, np.float32)


def class_index(name: str | None, class_names: Sequence[str] | None) -> int | None:
    """The index of the class called ``name`` (a number works too); ``None`` for none."""
    if name is None:
        return None
    if class_names and name in class_names:
        return list(class_names).index(name)
    if re.fullmatch(r"\d+", name):
        return int(name)
    known = ", ".join(class_names or []) or "none recorded; give a class number"
    raise ExplainError(f'no class "{name}" (classes: {known})')


def _stem(label: str, i: int) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(label).with_suffix("").as_posix()).strip("._")
    return base or f"sample_{i}"


def _feature_names(loaded: LoadedModel, n: int) -> list[str]:
    columns = loaded.card["inputs"][0].get("columns") or []
    return [str(c) for c in columns] if len(columns) == n else [f"f{i}" for i in range(n)]


def _write_csv(path: Path, labels: list[str], found: list[Explanation], names: list[str]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["input", "class", "score", *names])
    for label, e in zip(labels, found, strict=True):
        values = e.attributions if e.kind == "tabular" else _per_step(e)
        writer.writerow(
            [
                label,
                e.class_name or e.class_index,
                f"{e.score:.6g}",
                *(f"{v:.6g}" for v in np.ravel(values)),
            ]
        )
    atomic_write_text(path, buffer.getvalue())


def _per_step(e: Explanation) -> np.ndarray:
    from nnstudio.core.insight.explain import step_attributions

    return e.attributions if e.method == "gradcam" else step_attributions(e)


def explain_files(
    model_path: str | Path,
    input_path: str | Path,
    method: str,
    out_dir: str | Path,
    class_name: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> ExplainReport:
    """Explain every sample of ``input_path`` with ``method`` and write the files into
    ``out_dir``: ``<input>.<method>.png`` per image or ``attributions.csv``, and
    ``explain.json``."""
    if method not in METHODS:
        raise ExplainError(f"unknown method {method!r} (one of: {', '.join(METHODS)})")
    loaded = load_for_explaining(model_path)
    labels, raw, ready = read_samples(loaded, input_path)
    wanted = class_index(class_name, loaded.class_names)
    opts = dict(options or {})
    if opts.get("baseline") == "mean" and opts.get("data") is None:
        opts["data"] = ready  # the mean of the inputs given
    try:
        found = explain(loaded.model, ready, method, wanted, **opts)
    except ExplainError:
        raise
    except Exception as exc:  # noqa: BLE001 - a model that cannot run: one line
        text = " ".join(str(exc).split())[:200]
        raise ExplainError(
            f"the model cannot be explained ({type(exc).__name__}: {text})"
        ) from None
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExplainError(f"{out}: cannot create the output folder ({exc.strerror})") from None
    for e in found:
        e.name_classes(loaded.class_names)
    kind = found[0].kind
    report = ExplainReport(
        loaded.name,
        method,
        kind,
        loaded.class_names,
        params={k: v for k, v in opts.items() if k != "data"},
    )
    try:
        if kind == "image":
            _write_images(out, labels, raw, found, report)
        else:
            n = np.ravel(_per_step(found[0]) if kind == "sequence" else found[0].attributions).size
            names = (
                _feature_names(loaded, n) if kind == "tabular" else [f"step_{i}" for i in range(n)]
            )
            _write_csv(out / CSV_FILE, labels, found, names)
            report.files.append(str(out / CSV_FILE))
        report.files.append(str(out / SUMMARY_FILE))
        report.samples = [
            {"input": label, **e.to_json()} for label, e in zip(labels, found, strict=True)
        ]
        atomic_write_text(out / SUMMARY_FILE, json.dumps(report.to_json(), indent=1) + "\n")
    except OSError as exc:
        raise ExplainError(f"{out}: cannot write ({exc.strerror or exc})") from None
    return report


def _write_images(
    out: Path, labels: list[str], raw: np.ndarray, found: list[Explanation], report: ExplainReport
) -> None:
    seen: set[str] = set()
    for i, (label, e) in enumerate(zip(labels, found, strict=True)):
        stem = _stem(label, i)
        while stem in seen:
            stem += f"_{i}"
        seen.add(stem)
        target = out / f"{stem}.{e.method}.png"
        title = (
            f"{METHOD_TITLES[e.method]}: class {e.class_name or e.class_index} "
            f"(score {e.score:.2f})"
        )
        write_overlay(target, raw[i], e.heatmap(), title, "attribution")
        report.files.append(str(target))
