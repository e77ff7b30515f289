"""``nnstudio predict`` on each shipped sample dataset (CSV classes, CSV regression with a
text column, an image folder, time series in an .npz), with the preprocessing applied by
predict or baked into the export; mismatched inputs give one line and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnstudio.cli import main
from nnstudio.core.export import export_model, source_from_model

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "resources" / "samples"


def _dense_model(
    shape: tuple[int, ...], units: int, activation: str | None, name: str, input_name: str
):
    import keras

    keras.utils.set_random_seed(0)
    x = keras.Input(shape, name=input_name)
    h = keras.layers.Flatten(name="flatten")(x) if len(shape) > 1 else x
    h = keras.layers.Dense(8, activation="tanh", name="hidden")(h)
    out = keras.layers.Dense(units, activation=activation, name=name)(h)
    model = keras.Model(x, out, name="model")
    model.compile(loss="sparse_categorical_crossentropy" if activation == "softmax" else "mse")
    return model


def _prepared(path: Path, **options):
    """The data layer's preparation, validating on the whole file in its own order."""
    from nnstudio.core.data import config_for_path, prepare

    return prepare(config_for_path(str(path), validation_path=str(path), **options), batch_size=64)


CASES = {
    "species": (SAMPLES / "species.csv", {"target_columns": ["species"]}, "features"),
    "housing": (SAMPLES / "housing.csv", {"target_columns": ["price_100k"]}, "features"),
    "digits": (SAMPLES / "digits", {}, "image"),
    "waveforms": (SAMPLES / "waveforms.npz", {"normalization": "standardize"}, "sequence"),
}


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Per sample: the model, the data layer's validation arrays (whole file, in order) and
    two .keras exports: preprocessing applied by predict, and baked into the model."""
    out = {}
    for case, (path, options, input_name) in CASES.items():
        prepared = _prepared(path, **options)
        classes = prepared.class_names
        model = _dense_model(
            prepared.feature_shape,
            len(classes) if classes else 1,
            "softmax" if classes else None,
            "target",
            input_name,
        )
        run = {
            "id": f"run-{case}",
            "preprocessing": prepared.preprocessing,
            "class_names": classes or [],
            "data_hash": prepared.content_hash,
            "final": {"loss": 1.0},
            "epochs_completed": 1,
        }
        source = source_from_model(model, None, run)
        folder = tmp_path_factory.mktemp(case)
        plain = export_model(source, ["keras"], folder / "plain.keras")
        baked = export_model(source, ["keras"], folder / "baked.keras", bake=True)
        assert plain.ok and baked.ok
        out[case] = (model, prepared.val_arrays(), classes, folder)
    return out


def _predict_json(model_path: Path, input_path: Path, capsys) -> list[dict]:
    assert main(["predict", str(model_path), "--input", str(input_path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["predictions"]


@pytest.mark.parametrize("case", ["species", "housing", "waveforms"])
@pytest.mark.parametrize("variant", ["plain", "baked"])
def test_predict_matches_the_model_on_the_data_layers_inputs(
    exports, capsys, case, variant
) -> None:
    model, (x_val, _), classes, folder = exports[case]
    rows = _predict_json(folder / f"{variant}.keras", CASES[case][0], capsys)
    expected = model.predict(x_val, verbose=0)
    assert len(rows) == len(expected)
    if classes:
        got = np.array([[r["target"]["scores"][c] for c in classes] for r in rows])
        assert [r["target"]["class"] for r in rows] == [
            classes[i] for i in np.argmax(expected, axis=1)
        ]
    else:
        got = np.array([r["target"]["values"] for r in rows])
    assert np.allclose(got, expected, atol=1e-4), np.abs(got - expected).max()


@pytest.mark.parametrize("variant", ["plain", "baked"])
def test_predict_an_image_folder_and_one_image(exports, capsys, variant) -> None:
    model, _, classes, folder = exports["digits"]
    digits = CASES["digits"][0]
    rows = _predict_json(folder / f"{variant}.keras", digits, capsys)
    files = sorted(p for p in digits.rglob("*.png"))
    assert [r["input"] for r in rows] == [str(p.relative_to(digits)) for p in files]
    picks = [0, len(files) // 2, len(files) - 1]
    pixels = np.stack(
        [np.asarray(Image.open(files[i]).convert("L"), np.float32)[..., None] for i in picks]
    )
    expected = model.predict(pixels / 255.0, verbose=0)
    for row_index, probs in zip(picks, expected, strict=True):
        row = rows[row_index]
        assert row["target"]["class"] == classes[int(np.argmax(probs))]
        assert row["target"]["scores"]["3"] == pytest.approx(float(probs[3]), abs=1e-5)
    assert main(["predict", str(folder / f"{variant}.keras"), "-i", str(files[5])]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{files[5].name}: ") and line.endswith(")")


def test_text_output_names_classes(exports, capsys) -> None:
    _, _, classes, folder = exports["species"]
    assert main(["predict", str(folder / "plain.keras"), "-i", str(CASES["species"][0])]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 300 and lines[0].startswith("row 2: ")
    assert lines[0].split(": ")[1].split(" (")[0] in classes


def test_npy_single_sample_and_batch(exports, tmp_path, capsys) -> None:
    model, (x_val, _), _, folder = exports["waveforms"]
    raw = np.load(CASES["waveforms"][0])["x"]
    np.save(tmp_path / "one.npy", raw[0])
    rows = _predict_json(folder / "baked.keras", tmp_path / "one.npy", capsys)
    assert len(rows) == 1
    expected = model.predict(x_val[:1], verbose=0)[0]
    assert rows[0]["target"]["index"] == int(np.argmax(expected))


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda d: np.save(d / "bad.npy", np.zeros((3, 10), np.float32)),
            'bad.npy: input "sequence" expects samples of shape [64, 1], got an array of shape '
            "[3, 10]",
        ),
        (
            lambda d: np.save(d / "bad.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True),
            "bad.npy: not a plain NumPy array",
        ),
        (lambda d: (d / "bad.json").write_text("{}"), "bad.json: unsupported input file"),
        (lambda d: (d / "bad.csv").write_text("a,b\n"), "bad.csv: no data rows below the header"),
        (lambda d: (d / "bad.png").write_bytes(b"not an image"), "the model takes inputs of shape"),
    ],
)
def test_wrong_inputs_exit_2_with_one_line(exports, tmp_path, capsys, make, message) -> None:
    folder = exports["waveforms"][3]
    make(tmp_path)
    bad = next(tmp_path.glob("bad.*"))
    assert main(["predict", str(folder / "plain.keras"), "-i", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err


def test_csv_problems_are_located(exports, tmp_path, capsys) -> None:
    folder = exports["housing"][3]
    good = CASES["housing"][0].read_text().splitlines()
    (tmp_path / "nocol.csv").write_text(
        "\n".join(",".join(c for c in line.split(",")[:2]) for line in good[:5])
    )
    (tmp_path / "newcat.csv").write_text(
        "\n".join(good[:3] + [good[3].replace(good[3].split(",")[5], "harbour")])
    )
    (tmp_path / "text.csv").write_text(
        "\n".join(good[:2] + [good[2].replace(good[2].split(",")[0], "big", 1)])
    )
    cases = {
        "nocol.csv": "missing column(s) age_years, distance_km, garden_m2, district",
        "newcat.csv": 'newcat.csv, line 4, column "district": "harbour" was not seen',
        "text.csv": 'text.csv, line 3, column "area_m2": "big" is not a number',
    }
    for name, message in cases.items():
        assert main(["predict", str(folder / "plain.keras"), "-i", str(tmp_path / name)]) == 2
        assert message in capsys.readouterr().err, name


def test_missing_model_card_and_wrong_model_files(exports, tmp_path, capsys) -> None:
    folder = exports["species"][3]
    lonely = tmp_path / "lonely.keras"
    lonely.write_bytes((folder / "plain.keras").read_bytes())
    csv_path = str(CASES["species"][0])
    assert main(["predict", str(lonely), "-i", csv_path]) == 2
    assert "lonely.keras.card.json: no model card" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "none.keras"), "-i", csv_path]) == 2
    assert "none.keras: no such file" in capsys.readouterr().err
    assert main(["predict", str(folder / "plain.keras.card.json"), "-i", csv_path]) == 2
    assert "not a .keras model" in capsys.readouterr().err
    assert main(["predict", str(folder / "plain.keras"), "-i", str(tmp_path / "x.csv")]) == 2
    assert "x.csv: no such file or folder" in capsys.readouterr().err
