"""Reading the data layer's preprocessing records, applying them to arrays, baking them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from export_helpers import ARRAY_RECORD, IMAGE_RECORD, TABULAR_RECORD

from nnstudio.core.export import ExportError
from nnstudio.core.export.preprocessing import (
    apply_steps,
    bake_model,
    invert_steps,
    read_preprocessing,
)

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "resources" / "samples"


def _steps(record, names=("x",)):
    return {
        k: [(s.kind, dict(s.params)) for s in v.steps]
        for k, v in read_preprocessing(record, list(names)).items()
    }


def test_the_data_layers_three_record_types() -> None:
    tab = read_preprocessing(TABULAR_RECORD, ["features"])["features"]
    assert tab.kind == "csv" and tab.column_names[0] == "sepal_length"
    assert [s.kind for s in tab.steps] == ["normalize"]
    assert tab.steps[0].params["std"] == [0.8, 0.4, 1.7, 0.75]
    img = read_preprocessing(IMAGE_RECORD, ["image"])["image"]
    assert (img.kind, img.image_size, img.color_mode) == ("images", (28, 28), "grayscale")
    assert [(s.kind, s.params.get("scale")) for s in img.steps] == [
        ("resize", None),
        ("rescale", pytest.approx(1 / 255)),
    ]
    arr = _steps(ARRAY_RECORD)["x"]
    assert arr == [("normalize", {"mean": 0.25, "std": 2.0})]
    assert _steps({**ARRAY_RECORD, "normalization": "none"}) == {"x": []}
    assert read_preprocessing(None, ["x"]) == {} and read_preprocessing({}, ["x"]) == {}


def test_categorical_columns_pass_through_normalization_unchanged() -> None:
    record = {
        "type": "tabular",
        "features": [
            {"name": "area", "type": "numeric", "mean": 100.0, "std": 20.0},
            {
                "name": "district",
                "type": "categorical",
                "encoding": "onehot",
                "vocabulary": ["centre", "north", "south"],
            },
            {
                "name": "floor",
                "type": "categorical",
                "encoding": "integer",
                "vocabulary": ["a", "b"],
            },
        ],
    }
    prep = read_preprocessing(record, ["features"])["features"]
    assert prep.steps[0].params == {"mean": [100.0, 0, 0, 0, 0], "std": [20.0, 1, 1, 1, 1]}
    raw = np.array([[140.0, 0, 1, 0, 1]], np.float32)
    assert apply_steps(prep, raw).tolist() == [[2.0, 0, 1, 0, 1]]


@pytest.mark.parametrize(
    "record, message",
    [
        (
            {"type": "array", "normalization": "standardize", "mean": float("nan"), "std": 1.0},
            "non-finite",
        ),
        ({"type": "array", "normalization": "standardize", "mean": 1.0, "std": 0.0}, "<= 0"),
        ({"type": "image", "image_size": [28]}, "not \\[height, width\\]"),
        ({"type": "tabular", "features": [{"type": "numeric"}]}, "no column name"),
        ({"type": "tabular", "features": [{"name": "c", "type": "categorical"}]}, "no vocabulary"),
    ],
)
def test_unusable_records_are_refused_clearly(record, message) -> None:
    with pytest.raises(ExportError, match=message):
        read_preprocessing(record, ["x"])


def test_apply_and_invert_are_inverse() -> None:
    rng = np.random.default_rng(0)
    for record, shape in (
        (TABULAR_RECORD, (5, 4)),
        (IMAGE_RECORD, (3, 28, 28, 1)),
        (ARRAY_RECORD, (4, 64, 1)),
    ):
        prep = read_preprocessing(record, ["x"])["x"]
        ready = rng.standard_normal(shape).astype(np.float32)
        assert np.allclose(apply_steps(prep, invert_steps(prep, ready)), ready, atol=1e-5)
    img = read_preprocessing(IMAGE_RECORD, ["x"])["x"]
    assert apply_steps(img, np.full((1, 2, 2, 1), 255.0)).max() == pytest.approx(1.0)


def test_per_input_records_for_a_multi_input_model() -> None:
    record = {
        "inputs": {"b": {"type": "array", "normalization": "standardize", "mean": 1.0, "std": 2.0}}
    }
    preps = read_preprocessing(record, ["a", "b"])
    assert list(preps) == ["b"] and preps["b"].steps[0].kind == "normalize"


def test_baked_model_takes_raw_inputs_and_keeps_names() -> None:
    import keras

    img = keras.Input((28, 28, 1), name="image")
    flat = keras.layers.Flatten(name="flatten")(img)
    out = keras.layers.Dense(3, activation="softmax", name="digit")(flat)
    model = keras.Model(img, out, name="cnn")
    preps = read_preprocessing(IMAGE_RECORD, ["image"])
    baked = bake_model(model, preps)
    assert baked.name == "cnn" and [t.name for t in baked.inputs] == ["image"]
    assert baked.output_names == ["digit"]
    assert [layer.name for layer in baked.layers][:3] == [
        "image",
        "image_resizing",
        "image_rescaling",
    ]
    assert tuple(baked.inputs[0].shape) == (None, None, None, 1)
    assert baked.get_layer("digit") is model.get_layer("digit")  # weights shared
    raw = np.random.default_rng(1).integers(0, 256, (4, 28, 28, 1)).astype(np.float32)
    expected = model.predict(raw / 255.0, verbose=0)
    assert np.allclose(baked.predict(raw, verbose=0), expected, atol=1e-6)
    bigger = np.repeat(np.repeat(raw, 2, axis=1), 2, axis=2)  # any size is resized inside
    assert baked.predict(bigger, verbose=0).shape == (4, 3)


def test_bake_two_inputs_only_where_recorded() -> None:
    import keras

    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    out = keras.layers.Dense(1, name="y")(keras.layers.Concatenate(name="c")([a, b]))
    model = keras.Model([a, b], out)
    record = {
        "inputs": {
            "a": {
                "type": "array",
                "normalization": "standardize",
                "mean": [1.0, 2.0, 3.0],
                "std": [2.0, 2.0, 2.0],
            }
        }
    }
    baked = bake_model(model, read_preprocessing(record, ["a", "b"]))
    assert [t.name for t in baked.inputs] == ["a", "b"]
    xa = np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32)
    xb = np.ones((5, 2), np.float32)
    expected = model.predict([(xa - [1, 2, 3]) / 2.0, xb], verbose=0)
    assert np.allclose(baked.predict([xa, xb], verbose=0), expected, atol=1e-5)


def test_recorded_csv_preprocessing_reproduces_the_data_layer() -> None:
    """Applying the record to the raw CSV gives the data layer's own model inputs."""
    from nnstudio.core.data import config_for_path, prepare

    path = str(SAMPLES / "housing.csv")
    prepared = prepare(
        config_for_path(path, target_columns=["price_100k"], validation_path=path), batch_size=32
    )
    x_val, _ = prepared.val_arrays()
    prep = read_preprocessing(prepared.preprocessing, ["features"])["features"]
    import csv

    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    raw = []
    for row in rows:
        values = []
        for col in prep.columns:
            if col["type"] == "numeric":
                values.append(float(row[col["name"]]))
            else:
                values += [float(row[col["name"]] == v) for v in col["vocabulary"]]
        raw.append(values)
    assert np.allclose(apply_steps(prep, np.array(raw, np.float32)), x_val, atol=1e-5)
