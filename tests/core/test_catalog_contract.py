"""Contract tests run over every catalog entry (the catalog drives everything else)."""

from __future__ import annotations

import pytest

from nnstudio.core import catalog
from nnstudio.core.compiler import build_model
from nnstudio.core.graph import GraphChecker
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.project import Project
from nnstudio.core.project_paths import NODE_PATH_PARAMS

SPECS = catalog.all_specs()
LAYER_SPECS = [s for s in SPECS if not s.is_input]
REQUIRED = {
    "Input",
    "Dense",
    "Activation",
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "GaussianNoise",
    "BatchNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "SeparableConv2D",
    "DepthwiseConv2D",
    "Conv2DTranspose",
    "MaxPooling1D",
    "MaxPooling2D",
    "AveragePooling1D",
    "AveragePooling2D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "Flatten",
    "Reshape",
    "Permute",
    "RepeatVector",
    "UpSampling2D",
    "ZeroPadding2D",
    "Cropping2D",
    "SimpleRNN",
    "LSTM",
    "GRU",
    "Embedding",
    "MultiHeadAttention",
    "Attention",
    "Add",
    "Subtract",
    "Multiply",
    "Average",
    "Maximum",
    "Concatenate",
    "Rescaling",
    "Normalization",
    "Resizing",
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
    "RandomTranslation",
}


def test_catalog_covers_the_required_types() -> None:
    keys = {s.key for s in SPECS}
    assert keys >= REQUIRED, REQUIRED - keys
    assert len(keys) >= 45


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
def test_spec_is_documented(spec) -> None:
    assert spec.display and spec.category in catalog.CATEGORIES
    assert len(spec.help) > 30
    for p in spec.params:
        assert p.help, f"{spec.key}.{p.name} has no help"
        assert p.validate(p.default) == p.default or p.default is None
    for name in spec.key_params:
        spec.param(name)


def _single_layer_graph(spec, params=None):
    b = GraphBuilder()
    dtype = spec.example_dtype
    sources = [b.add("Input", shape=shape, dtype=dtype) for shape in spec.example_input]
    ports = {}
    if spec.variadic:
        node = b.add(spec.key, sources, **(params or {}))
    else:
        ports = dict(zip(spec.inputs, sources, strict=False))
        node = b.add(spec.key, ports=ports, **(params or {}))
    b.output(node)
    return b.graph, node


@pytest.fixture(scope="module")
def checker() -> GraphChecker:
    return GraphChecker()


@pytest.mark.parametrize("spec", LAYER_SPECS, ids=lambda s: s.key)
def test_defaults_build_and_inferred_shape_matches_keras(spec, checker) -> None:
    import keras

    layer = spec.build(spec.defaults(), "probe_layer")
    assert isinstance(layer, keras.layers.Layer)
    graph, node = _single_layer_graph(spec)
    result = checker.check(graph)
    assert result.ok, [i.message for i in result.errors]
    model = build_model(graph)
    keras_layer = model.get_layer(graph.nodes[node].name)
    assert result.shapes[node].shape == tuple(model.outputs[0].shape)
    assert result.shapes[node].params == keras_layer.count_params()


def _alternate(p):
    """A valid non-default value for a parameter (None when there is no obvious one)."""
    if p.kind == "bool":
        return not p.default
    if p.kind == "choice":
        return next(c for c in p.choices if c != p.default)
    if p.kind == "int" and p.default is not None:
        return p.default + 1 if p.max is None or p.default + 1 <= p.max else p.default - 1
    if p.kind == "float" and p.default is not None:
        v = round(p.default / 2 + 0.05, 3)
        return v if (p.min is None or v >= p.min) and (p.max is None or v <= p.max) else None
    return None


# Alternates that are valid values but not valid layers on their own.
_SKIP_ALT = {
    ("Normalization", "invert"),
    ("Attention", "score_mode"),
    # a backbone's weights source and, with trainable = all, its first stage leave no
    # trace in the Keras config (the project file keeps them)
    ("PretrainedBackbone", "weights"),
    ("PretrainedBackbone", "unfreeze_from"),
}


@pytest.mark.parametrize("spec", LAYER_SPECS, ids=lambda s: s.key)
def test_params_survive_keras_config_round_trip(spec) -> None:
    values = spec.defaults()
    for p in spec.params:
        alt = _alternate(p)
        if alt is not None and (spec.key, p.name) not in _SKIP_ALT and p.name != "axis":
            values[p.name] = alt
    if values.get("bidirectional") is False and any(p.name == "bidirectional" for p in spec.params):
        values["bidirectional"] = True
    values, errors = spec.validate_params(values)
    assert not errors
    layer = spec.build(values, "probe_layer")
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert spec.read_keras(clone.get_config()) == values


def _non_default(p):
    """A valid value of ``p`` other than its default, for every kind of parameter."""
    default = p.default
    if p.kind == "bool":
        candidates = [not default]
    elif p.kind == "choice":
        candidates = [c for c in p.choices if c != default]
    elif p.kind == "str":
        candidates = [f"{default or ''}x"]
    elif p.kind in ("int", "float"):
        base = default if default is not None else (p.min if p.min is not None else 0)
        step = 1 if p.kind == "int" else 0.25
        candidates = [base + step, base - step, base + 2 * step, base]
    else:  # ints, floats
        length = p.length or max(len(default or ()), p.min_length, 1)
        first = p.min if p.min is not None and p.min > 0 else 1
        item = int(first) + 2 if p.kind == "ints" else float(first) + 0.5
        candidates = [(item,) * length, (item + 1,) * length]
    for value in candidates:
        try:
            if p.validate(value) != default:
                return p.validate(value)
        except catalog.ParamError:
            continue
    raise AssertionError(f"no non-default value found for {p.name}")


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
def test_params_survive_project_save_and_load(spec, tmp_path) -> None:
    """Every parameter set to a value other than its default survives the project file (a
    serializer that dropped or defaulted any parameter fails here)."""
    values = {p.name: _non_default(p) for p in spec.params}
    for name in NODE_PATH_PARAMS:  # a file parameter is stored relative, read back absolute
        if isinstance(values.get(name), str):
            values[name] = str(tmp_path / values[name])
    b = GraphBuilder()
    if spec.is_input:
        node = b.add("Input", **values)
    else:
        sources = [
            b.add("Input", shape=shape, dtype=spec.example_dtype) for shape in spec.example_input
        ]
        if spec.variadic:
            node = b.add(spec.key, sources, **values)
        else:
            node = b.add(spec.key, ports=dict(zip(spec.inputs, sources, strict=False)), **values)
    graph = b.graph
    before = dict(graph.nodes[node].params)
    assert before == values
    assert all(before[p.name] != p.default for p in spec.params)
    path = tmp_path / "p.nnstudio"
    Project(graph=graph).save(path)
    after = Project.load(path).graph.nodes[node].params
    assert after == before


def test_bad_values_are_refused_with_reasons() -> None:
    dense = catalog.get("Dense")
    values, errors = dense.validate_params({"units": 0, "activation": "nope", "bogus": 1})
    assert "at least 1" in errors["units"]
    assert "one of" in errors["activation"]
    assert "no parameter" in errors["bogus"]
    assert values["units"] == 64
    conv = catalog.get("Conv2D")
    assert conv.param("kernel_size").validate(5) == (5, 5)
    with pytest.raises(catalog.ParamError, match="exactly 2"):
        conv.param("kernel_size").validate([3, 3, 3])
    with pytest.raises(catalog.ParamError, match="whole number"):
        conv.param("filters").validate(2.5)
    with pytest.raises(catalog.ParamError, match="finite"):
        catalog.get("Dropout").param("rate").validate(float("nan"))


def test_bidirectional_reads_back_from_keras_class() -> None:
    import keras

    layer = keras.layers.Bidirectional(keras.layers.GRU(5, return_sequences=True), merge_mode="sum")
    cfg = {"class_name": "Bidirectional", "config": layer.get_config()}
    spec = catalog.spec_for_keras_class(cfg["class_name"], cfg["config"])
    assert spec is not None and spec.key == "GRU"
    params = spec.read_keras(cfg["config"])
    assert params["bidirectional"] is True and params["merge_mode"] == "sum"
    assert params["units"] == 5 and params["return_sequences"] is True


def _shape_of(build):
    """The inferred result of the last node ``build(builder)`` adds."""
    from nnstudio.core.graph.shapes import ShapeInference

    b = GraphBuilder()
    node = build(b)
    return ShapeInference().infer(b.graph).nodes[node]


@pytest.mark.parametrize(
    "build, kind, hint",
    [
        (
            lambda b: b.add("Dense", b.add("Input", shape=(4, 4, 3)), units=2),
            "warning",
            "Insert Flatten or a global pooling layer if you meant one vector per sample.",
        ),
        (
            lambda b: b.add("Reshape", b.add("Input", shape=(6,)), target_shape=(4,)),
            "error",
            "The target shape must hold the same number of values as the input.",
        ),
        (
            lambda b: b.add("GroupNormalization", b.add("Input", shape=(5,)), groups=2),
            "error",
            "The number of channels must be divisible by groups.",
        ),
        (
            lambda b: b.add("LSTM", b.add("Input", shape=(4, 4, 3)), units=2),
            "error",
            "Insert a Reshape to (timesteps, features) before it.",
        ),
        (
            lambda b: b.add(
                "Concatenate", [b.add("Input", shape=(4, 2)), b.add("Input", shape=(3, 2))]
            ),
            "error",
            "All axes except the concatenation axis must match; check the branches' shapes.",
        ),
        (
            lambda b: b.add("Add", [b.add("Input", shape=(4,)), b.add("Input", shape=(3,))]),
            "error",
            "Make the branches agree",
        ),
    ],
)
def test_shape_hints_come_from_the_layer_specs(build, kind, hint) -> None:
    result = _shape_of(build)
    message = result.warning if kind == "warning" else result.error
    assert message and result.hint.startswith(hint), (message, result.hint)


def test_shape_inference_names_no_layer_type() -> None:
    """Layer-specific knowledge lives in the specs: shapes.py is generic."""
    import ast
    import inspect

    from nnstudio.core.graph import shapes

    tree = ast.parse(inspect.getsource(shapes))
    literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    keys = {s.key for s in SPECS} | set(catalog.CATEGORIES)
    assert not literals & keys


def test_a_spec_hook_changes_what_shape_inference_reports(monkeypatch) -> None:
    import dataclasses

    dense = catalog.get("Dense")
    custom = dataclasses.replace(dense, input_warning=lambda shape: ("custom.", "Custom hint."))
    monkeypatch.setitem(catalog._SPECS, "Dense", custom)
    result = _shape_of(lambda b: b.add("Dense", b.add("Input", shape=(3,)), units=2))
    assert result.warning == 'Dense "dense" receives (batch, 3): custom.'
    assert result.hint == "Custom hint."
