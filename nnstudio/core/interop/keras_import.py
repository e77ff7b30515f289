"""Keras model (``.keras``, legacy ``.h5``, or a model object) -> NN Studio project.

The order is what makes it safe: the file is read with size caps (:mod:`.archive`), its
config is checked against the allowlist (:mod:`.safety`), flattened into layer calls
(:mod:`.topology`), and each layer mapped onto a catalog spec whose settings must match
(:mod:`.fidelity`).  Only a model that passed all of that is handed to Keras, to read its
weights, and Keras then sees exactly the configuration that was checked.

The result is an :class:`ImportResult`: the project (graph laid out, outputs declared), the
weights by node name, and the warnings of the import report.  Weights are not stored in the
project file; :func:`save_weights` writes them as a Keras ``.weights.h5`` file of the
compiled graph (the CLI puts it beside the project as ``<stem>.weights.h5``), which
``model.load_weights`` reads back into ``build_model(project.graph)`` or into the code
:func:`~nnstudio.core.interop.codegen.generate_code` writes.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nnstudio.core import catalog
from nnstudio.core.backbones.interop import CLASS, collapse_backbones
from nnstudio.core.catalog.spec import ParamError
from nnstudio.core.graph import FormatError, Graph, graph_from_json
from nnstudio.core.graph.model import NAME_RE
from nnstudio.core.interop.archive import extract_keras_weights, read_keras_archive
from nnstudio.core.interop.errors import (
    ModelImportError,
    UnsafeModelError,
    UnsupportedModelError,
    reading_untrusted,
)
from nnstudio.core.interop.fidelity import check_layer
from nnstudio.core.interop.hdf5 import check_hdf5, read_h5_model, write_clean_h5
from nnstudio.core.interop.limits import DEFAULT_LIMITS, ImportLimits, ModelFile, weights_bound
from nnstudio.core.interop.outputs import output_declarations
from nnstudio.core.interop.safety import check_config, strip_compile_configs
from nnstudio.core.interop.topology import FlatModel, flatten
from nnstudio.core.layout import apply_positions, layered_layout
from nnstudio.core.project import Project

Direction = Literal["LR", "TB"]
Weights = dict[str, list[Any]]


@dataclass
class ImportResult:
    """An imported model: the project, its weights by node name, and the import report.

    ``weights`` maps a node name to the layer's arrays in Keras ``get_weights()`` order
    (layers without weights are absent; empty when the source had none).  ``origin`` maps the
    name of each node that came from a Keras layer (not inputs, not operations such as
    ``x + 3.0``) to the path of that layer (nested model names first).
    """

    project: Project
    weights: Weights = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    origin: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""

    @property
    def graph(self) -> Graph:
        """The imported graph."""
        return self.project.graph


# -- public entry points ------------------------------------------------------------------


def import_model(
    source: Any,
    *,
    weights: bool = True,
    direction: Direction = "LR",
    limits: ImportLimits = DEFAULT_LIMITS,
    group: bool = False,
) -> ImportResult:
    """Import a ``.keras``/``.h5`` file (a path) or a Keras functional/Sequential model.

    With ``group``, nested sub-models and ``keras.applications`` stages and blocks arrive
    as blocks (:mod:`.grouping`)."""
    if isinstance(source, (str, Path)):
        return import_model_file(
            source, weights=weights, direction=direction, limits=limits, group=group
        )
    return import_keras_model(source, weights=weights, direction=direction, group=group)


def import_model_file(
    path: str | Path,
    *,
    weights: bool = True,
    direction: Direction = "LR",
    limits: ImportLimits = DEFAULT_LIMITS,
    group: bool = False,
) -> ImportResult:
    """Import a ``.keras`` archive or a legacy ``.h5`` model file (``group``: see
    :func:`import_model`).

    Raises :class:`UnsafeModelError` (code, non-Keras classes, size bombs),
    :class:`UnsupportedModelError` (layers or settings the catalog lacks) or
    :class:`ModelImportError` (damaged or unreadable files), always before Keras sees it.
    """
    path = Path(path)
    with reading_untrusted(path.name):
        return _grouped(_import_file(path, weights, direction, limits), group)


def _grouped(result: ImportResult, group: bool) -> ImportResult:
    if group:
        from nnstudio.core.interop.grouping import group_result

        group_result(result)
    return result


def _import_file(
    path: Path, weights: bool, direction: Direction, limits: ImportLimits
) -> ImportResult:
    kind = _file_kind(path)
    mfile = read_keras_archive(path, limits) if kind == "keras" else read_h5_model(path, limits)
    top = _top_level(mfile.config)
    result = _plan(top, path.name, mfile.training, direction, limits)
    result.warnings[:0] = mfile.notes
    version = mfile.metadata.get("keras_version")
    result.project.description = f"Imported from {path.name}" + (
        f" (saved by Keras {version})." if isinstance(version, str) and version else "."
    )
    if not weights:
        return result
    with tempfile.TemporaryDirectory(prefix="nnstudio-import-") as tmp:
        workdir = Path(tmp)
        params = declared_params(result.graph)
        bound = why = None
        if params is not None:
            bound = weights_bound(params, len(result.graph.nodes))
            why = f"the most that the {params:,} parameters the config declares need"
        if kind == "keras":
            mfile.weights_path = extract_keras_weights(path, workdir, limits, bound, why)
        elif mfile.weights_path is not None and bound is not None:
            capped = dataclasses.replace(
                limits, max_weights_bytes=min(bound, limits.max_weights_bytes)
            )
            check_hdf5(path, f"{path.name} ({why})", capped)
        if mfile.weights_path is not None:
            original = _load_checked(mfile, top, workdir)
            result.weights = collect_weights(original, result.origin)
    return result


def declared_params(graph: Graph) -> int | None:
    """How many parameters the layers of ``graph`` hold, counted by shape inference (the
    catalog's layers, never the file's); ``None`` when a layer's shape cannot be inferred."""
    from nnstudio.core.graph.shapes import ShapeInference

    shapes = ShapeInference().infer(graph)
    if len(shapes.nodes) != len(graph.nodes) or any(s.error for s in shapes.nodes.values()):
        return None
    return sum(s.params for s in shapes.nodes.values())


def import_keras_model(
    model: Any, *, weights: bool = True, direction: Direction = "LR", group: bool = False
) -> ImportResult:
    """Import a Keras functional or Sequential model object (weights read from it;
    ``group``: see :func:`import_model`)."""
    import keras

    if not isinstance(model, keras.Model):
        raise ModelImportError(f"not a Keras model: {type(model).__name__}")
    if not isinstance(model, keras.Sequential) and type(model).__name__ != "Functional":
        raise ModelImportError(
            f"{type(model).__name__} is a subclassed model: it has no layer "
            "graph to import (only functional and Sequential models do)"
        )
    try:
        top = json.loads(model.to_json())
    except (TypeError, ValueError, NotImplementedError) as exc:
        raise ModelImportError(
            f"model {model.name!r} cannot be serialized by Keras: {exc}"
        ) from None
    training = None
    get_compile = getattr(model, "get_compile_config", None)
    if callable(get_compile):
        compiled = get_compile()
        training = compiled if isinstance(compiled, dict) else None
    result = _plan(top, f"model {model.name!r}", training, direction, DEFAULT_LIMITS)
    result.project.description = f"Imported from the Keras model {model.name!r}."
    if weights:
        result.weights = collect_weights(model, result.origin)
    return _grouped(result, group)


def import_config(
    config: Mapping[str, Any],
    *,
    direction: Direction = "LR",
    limits: ImportLimits = DEFAULT_LIMITS,
    source: str = "config",
    group: bool = False,
) -> ImportResult:
    """Import a serialized model (``config.json`` content, or ``json.loads(model.to_json())``).

    Architecture only: the result has no weights.
    """
    with reading_untrusted(source):
        if not isinstance(config, Mapping):
            raise ModelImportError(f"{source}: not a Keras model config (not a JSON object)")
        top = _top_level(dict(config))
        compile_config = top.get("compile_config")
        training = compile_config if isinstance(compile_config, dict) else None
        return _grouped(_plan(top, source, training, direction, limits), group)


def apply_weights(model: Any, weights: Mapping[str, Sequence[Any]]) -> int:
    """Set the imported weights on a model built from the graph; returns the layers set.

    Nodes that are not part of ``model`` (layers feeding no output) are skipped.
    """
    names = {layer.name for layer in model.layers}
    count = 0
    for name, arrays in weights.items():
        if name not in names:
            continue
        try:
            model.get_layer(name).set_weights(list(arrays))
        except ValueError as exc:
            raise ModelImportError(
                f"layer {name!r}: the imported weights do not fit: {exc}"
            ) from None
        count += 1
    return count


def weights_path_for(project_path: str | Path) -> Path:
    """Where the CLI keeps the weights of a project: ``<stem>.weights.h5`` beside it."""
    p = Path(project_path)
    return p.with_name(f"{p.stem}.weights.h5")


def save_weights(graph: Graph, weights: Mapping[str, Sequence[Any]], path: str | Path) -> Path:
    """Compile ``graph``, set ``weights`` and save them atomically as a Keras weights file.

    The file is Keras' own ``.weights.h5`` format: ``build_model(graph).load_weights(path)``
    and the generated code's ``build_model()`` both read it.
    """
    from nnstudio.core.atomic import atomic_path
    from nnstudio.core.compiler import build_model

    target = Path(path)
    if not target.name.endswith(".weights.h5"):
        raise ValueError(f"{target.name}: a Keras weights file name must end in .weights.h5")
    model = build_model(graph)
    apply_weights(model, weights)
    with atomic_path(target, suffix=".weights.h5") as tmp:
        model.save_weights(str(tmp))
    return target


def collect_weights(model: Any, origin: Mapping[str, tuple[str, ...]]) -> Weights:
    """The weights of every imported layer, found in ``model`` by its original path."""
    out: Weights = {}
    for node_name, path in origin.items():
        layer = model
        try:
            for part in path:
                layer = layer.get_layer(part)
        except ValueError:
            raise ModelImportError(
                f"layer {'/'.join(path)!r} is missing from the loaded model"
            ) from None
        arrays = layer.get_weights()
        if arrays:
            out[node_name] = arrays
    return out


# -- steps --------------------------------------------------------------------------------


def _file_kind(path: Path) -> Literal["keras", "h5"]:
    suffix = path.suffix.lower()
    if suffix == ".keras":
        return "keras"
    if suffix in (".h5", ".hdf5"):
        return "h5"
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
    except FileNotFoundError:
        raise ModelImportError(f"{path}: no such file") from None
    except OSError as exc:
        raise ModelImportError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if magic.startswith(b"PK"):
        return "keras"
    if magic == b"\x89HDF\r\n\x1a\n":
        return "h5"
    raise ModelImportError(f"{path.name}: not a .keras archive or an .h5 model file")


def _top_level(config: dict[str, Any]) -> dict[str, Any]:
    """The serialized model as ``{"class_name": ..., "config": {...}}``."""
    if "class_name" in config:
        inner = config.get("config")
        if isinstance(inner, list):  # very old Keras: a Sequential config is a plain list
            config = {**config, "config": {"layers": inner}}
        return config
    if "layers" in config:  # the bare get_config() of a functional model
        kind = "Functional" if "input_layers" in config else "Sequential"
        return {"class_name": kind, "config": config}
    raise ModelImportError("not a Keras model config (no class_name and no layers)")


def _plan(
    top: dict[str, Any],
    source: str,
    training: Mapping[str, Any] | None,
    direction: Direction,
    limits: ImportLimits,
) -> ImportResult:
    """Check, flatten and map a serialized model; build the laid-out project."""
    _check_safety(top, source)
    top = collapse_backbones(top)  # a keras.applications model becomes one backbone node
    flat = flatten(top, max_layers=limits.max_layers, max_nested=limits.max_nested_models)
    names = _node_names(flat)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    problems: list[str] = []
    dropped: dict[tuple[str, str, str], list[str]] = {}
    for i, layer in enumerate(flat.layers):
        spec = catalog.spec_for_keras_class(layer.class_name, layer.config)
        label = f"layer {'/'.join(layer.path)!r} ({layer.class_name})"
        if spec is None:  # pragma: no cover - the safety walk refuses these first
            problems.append(f"{label}: not in NN Studio's catalog")
            continue
        try:
            params = spec.read_keras(layer.config)
        except ParamError as exc:
            problems.append(f"{label}: {exc}")
            continue
        # a backbone's settings are its architecture's; its weights check the rest
        drops, issues = check_layer(layer, spec, label) if layer.class_name != CLASS else ([], [])
        problems += issues
        for d in drops:
            dropped.setdefault((d.key, d.value, d.consequence), []).append(names[i])
        nodes.append(
            {
                "id": _node_id(i),
                "type": spec.key,
                "name": names[i],
                "params": _jsonable(params),
                "pos": [0.0, 0.0],
            }
        )
        for port in spec.inputs:
            for src in layer.inputs.get(port, []):
                edges.append({"from": _node_id(src), "to": _node_id(i), "port": port})
    if problems:
        raise UnsupportedModelError(
            f"{source} uses settings NN Studio cannot represent; nothing was imported:", problems
        )
    if len(set(flat.outputs)) != len(flat.outputs):
        raise UnsupportedModelError(f"{source} returns the same tensor twice as outputs")
    warnings = list(flat.notes)
    outputs = output_declarations(flat, names, nodes, training, warnings)
    data = {"nodes": nodes, "edges": edges, "outputs": outputs}
    try:
        graph = graph_from_json(data, "model")
    except FormatError as exc:
        raise UnsupportedModelError(
            f"{source} cannot be represented: {_located(str(exc), names)}"
        ) from None
    apply_positions(graph, layered_layout(graph, direction))
    warnings += [
        _dropped_text(key, value, why, layers) for (key, value, why), layers in dropped.items()
    ]
    origin = {
        names[i]: layer.path
        for i, layer in enumerate(flat.layers)
        if not layer.op and layer.class_name != "InputLayer"
    }
    project = Project(graph=graph, name=flat.name)
    return ImportResult(project, {}, warnings, origin, source)


def _check_safety(top: dict[str, Any], source: str) -> None:
    """The allowlist walk of :mod:`.safety`: refuse code, foreign and unknown classes."""
    report = check_config(strip_compile_configs(top))
    if report.unsafe:
        raise UnsafeModelError(
            f"{source} was refused before anything in it was loaded: it holds code or classes "
            "that are not part of Keras:",
            report.unsafe + report.unsupported,
        )
    if report.unsupported:
        classes = ", ".join(sorted(report.unsupported_classes))
        raise UnsupportedModelError(
            f"{source} uses Keras classes NN Studio does not support ({classes}); nothing was "
            "imported:",
            report.unsupported,
        )


def _load_checked(mfile: ModelFile, top: dict[str, Any], workdir: Path) -> Any:
    """Let Keras rebuild the (checked) model and load its weights, to copy them across."""
    import keras

    try:
        checked = strip_compile_configs(top)  # a fresh copy; Keras compiles nothing
        if mfile.kind == "keras":
            model = keras.saving.deserialize_keras_object(checked, safe_mode=True)
            model.load_weights(str(mfile.weights_path))
        else:
            clean = workdir / "checked_model.h5"
            write_clean_h5(mfile.path, clean, checked, mfile.metadata)
            model = keras.models.load_model(str(clean), compile=False, safe_mode=True)
    except ModelImportError:
        raise
    except Exception as exc:  # Keras raises many types for a file that does not fit
        text = " ".join(str(exc).split())[:400]
        raise ModelImportError(
            f"{mfile.path.name}: Keras could not read the weights: {text}"
        ) from None
    return model


def _node_id(index: int) -> str:
    return f"n{index + 1}"


def _node_names(flat: FlatModel) -> list[str]:
    """Unique node names: top-level layers keep theirs; nested ones gain their model's prefix
    only when needed."""
    scratch = Graph()
    taken: set[str] = set()
    names: list[str] = [""] * len(flat.layers)
    order = sorted(range(len(flat.layers)), key=lambda i: (flat.layers[i].depth, i))
    for i in order:
        path = flat.layers[i].path
        candidates = ["_".join(path[-k:]) for k in range(1, len(path) + 1)]
        name = next((c for c in candidates if NAME_RE.match(c) and c not in taken), None)
        if name is None:
            name = scratch.unique_name(candidates[-1], taken)
        taken.add(name)
        names[i] = name
    return names


def _jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    def conv(v: Any) -> Any:
        return [conv(x) for x in v] if isinstance(v, (tuple, list)) else v

    return {k: conv(v) for k, v in params.items()}


def _located(message: str, names: Sequence[str]) -> str:
    m = re.match(r"model\.nodes\[(\d+)\]\.(.*)", message)
    if m and int(m.group(1)) < len(names):
        return f"layer {names[int(m.group(1))]!r}: {m.group(2)}"
    return message


def _dropped_text(key: str, value: str, why: str, layers: list[str]) -> str:
    shown = ", ".join(layers[:3]) + (f" and {len(layers) - 3} more" if len(layers) > 3 else "")
    return f"{key}={value} on {len(layers)} layer(s) ({shown}) is not kept: {why}"
