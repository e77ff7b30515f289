"""Contract tests run over every catalog entry (the catalog drives everything else)."""

from __future__ import annotations

import pytest

from nnstudio.core import catalog
from nnstudio.core.compiler import build_model
from nnstudio.core.graph import GraphChecker
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.project import Project

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
_SKIP_ALT = {("Normalization", "invert"), ("Attention", "score_mode")}


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


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
def test_params_survive_project_save_and_load(spec, tmp_path) -> None:
    graph, node = _single_layer_graph(spec) if not spec.is_input else (GraphBuilder().graph, None)
    if spec.is_input:
        b = GraphBuilder(graph)
        node = b.add("Input", shape=(7, None), dtype="int32")
    before = dict(graph.nodes[node].params)
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
