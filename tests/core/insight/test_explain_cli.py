"""``nnstudio explain`` on a run folder: PNG overlays for images, a CSV of attributions for
rows, the JSON summary; damaged inputs give one located line and exit code 2."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnstudio.cli import main

SIDE = 12


def _run_folder(root: Path, model, info: dict) -> Path:
    folder = root / "run"
    folder.mkdir()
    model.save(folder / "model.keras")
    (folder / "data.json").write_text(json.dumps(info))
    return folder


@pytest.fixture(scope="module")
def image_run(tmp_path_factory) -> tuple[Path, Path]:
    import keras

    root = tmp_path_factory.mktemp("explain_cli")
    keras.utils.set_random_seed(0)
    inp = keras.Input((SIDE, SIDE, 1), name="image")
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inp)
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = keras.Model(inp, keras.layers.Dense(3, activation="softmax", name="digit")(h))
    model.compile(loss="sparse_categorical_crossentropy")
    prep = {
        "type": "image",
        "image_size": [SIDE, SIDE],
        "color_mode": "grayscale",
        "channels": 1,
        "rescale": 1 / 255,
    }
    names = ["cat", "dog", "owl"]
    folder = _run_folder(root, model, {"class_names": names, "preprocessing": prep})
    images = root / "images" / "sub"
    images.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(3):
        pixels = rng.integers(0, 255, (20, 20), dtype=np.uint8)  # resized to 12x12
        Image.fromarray(pixels, "L").save(images / f"img{i}.png")
    return folder, images.parent


def test_gradcam_overlays_and_summary(image_run, tmp_path, capsys) -> None:
    run, images = image_run
    out = tmp_path / "out"
    assert main(["explain", str(run), "--input", str(images), "-o", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["method"] == "gradcam" and summary["kind"] == "image"
    assert summary["class_names"] == ["cat", "dog", "owl"]
    assert [s["input"] for s in summary["samples"]] == [f"sub/img{i}.png" for i in range(3)]
    assert all(s["layer"] == "conv" and s["class"] == s["predicted"] for s in summary["samples"])
    pngs = sorted(out.glob("*.png"))
    assert [p.name for p in pngs] == [f"sub_img{i}.gradcam.png" for i in range(3)]
    with Image.open(pngs[0]) as img:
        assert img.mode == "RGB" and img.width > 2 * img.height  # input, overlay, colour bar
    assert json.loads((out / "explain.json").read_text()) == summary
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporaries left


def test_a_named_class_and_integrated_gradients(image_run, tmp_path, capsys) -> None:
    run, images = image_run
    out = tmp_path / "ig"
    args = [
        "explain",
        str(run / "model.keras"),
        "-i",
        str(images / "sub" / "img0.png"),
        "--method",
        "ig",
        "--class",
        "owl",
        "--steps",
        "64",
        "-o",
        str(out),
    ]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "img0.png: class owl" in text
    (sample,) = json.loads((out / "explain.json").read_text())["samples"]
    assert sample["class_index"] == 2 and sample["params"]["steps"] == 64
    check = sample["completeness"]
    assert check["sum"] == pytest.approx(check["difference"], rel=0.02, abs=1e-4)
    assert (out / "img0.ig.png").is_file()


def test_rows_get_a_csv_of_attributions(tmp_path, capsys) -> None:
    import keras

    keras.utils.set_random_seed(1)
    inp = keras.Input((4,), name="row")
    model = keras.Model(inp, keras.layers.Dense(2, activation="softmax", name="out")(inp))
    model.compile(loss="sparse_categorical_crossentropy")
    run = _run_folder(tmp_path, model, {"class_names": ["no", "yes"], "preprocessing": {}})
    rows = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)
    np.save(tmp_path / "rows.npy", rows)
    out = tmp_path / "out"
    args = [
        "explain",
        str(run),
        "-i",
        str(tmp_path / "rows.npy"),
        "-m",
        "ig",
        "--baseline",
        "mean",
        "-o",
        str(out),
    ]
    assert main(args) == 0
    with open(out / "attributions.csv", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["input", "class", "score", "f0", "f1", "f2", "f3"]
    assert [r[0] for r in table[1:]] == [f"#{i}" for i in range(5)]
    summary = json.loads((out / "explain.json").read_text())
    assert summary["kind"] == "tabular" and summary["params"]["baseline"] == "mean"
    first = summary["samples"][0]["completeness"]
    assert sum(float(v) for v in table[1][3:]) == pytest.approx(first["sum"], rel=1e-4)
    assert main(["explain", str(run), "-i", str(tmp_path / "rows.npy"), "-o", str(out)]) == 2
    assert "Grad-CAM needs a convolution" in capsys.readouterr().err


def test_damaged_inputs_give_one_located_line(image_run, tmp_path, capsys) -> None:
    run, images = image_run
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.png").write_text("not an image")
    cases = [
        (["explain", str(run), "-i", str(bad), "-o", str(tmp_path / "o")], "broken.png"),
        (["explain", str(tmp_path / "nope"), "-i", str(images), "-o", str(tmp_path)], "nope"),
        (
            ["explain", str(run), "-i", str(images), "--class", "yak", "-o", str(tmp_path)],
            'no class "yak"',
        ),
        (
            ["explain", str(run), "-i", str(images), "--layer", "digit", "-o", str(tmp_path)],
            "no spatial output",
        ),
    ]
    damaged = tmp_path / "damaged" / "model.keras"
    damaged.parent.mkdir()
    damaged.write_bytes(b"PK\x03\x04 truncated")
    cases.append((["explain", str(damaged), "-i", str(images), "-o", str(tmp_path)], "model"))
    for args, where in cases:
        assert main(args) == 2, args
        err = capsys.readouterr().err.strip()
        assert err.startswith("nnstudio: error:") and where in err, err
        assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").glob("*.png"))
