"""The user's path end to end on the shipped samples, through the command line:
validate the example, train it on the sample digits it carries (no --data: the project
file names its sample), export it, reload the export outside NN Studio (plain Keras and
onnxruntime in a fresh interpreter) and compare predictions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "digits_cnn.nnstudio"
DIGITS = ROOT / "resources" / "samples" / "digits"
EPOCHS = 6  # measured: validation accuracy 0.85 after 6 epochs (0.81 after 4)

RELOAD = """
import json, sys
import numpy as np
import keras, onnxruntime as ort
x = np.load(sys.argv[3])
k = keras.saving.load_model(sys.argv[1], compile=False).predict(x, verbose=0)
sess = ort.InferenceSession(sys.argv[2])
o = sess.run(None, {sess.get_inputs()[0].name: x})[0]
print(json.dumps({"keras": k.tolist(), "onnx": o.tolist()}))
"""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nnstudio", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("e2e") / "run"
    before = EXAMPLE.read_bytes()
    proc = _cli("train", str(EXAMPLE), "--epochs", str(EPOCHS), "--out", str(run_dir), "--quiet")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "fitted to the data" not in proc.stderr  # the example fits its sample as shipped
    assert EXAMPLE.read_bytes() == before
    return run_dir


def test_template_is_valid() -> None:
    proc = _cli("validate", str(EXAMPLE))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_train_learns_the_sample_digits(trained_run: Path) -> None:
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert metrics["epochs_completed"] == EPOCHS
    # Ten classes: chance is 0.1; the example reaches about 0.85 in 6 epochs.
    assert metrics["final"]["val_accuracy"] >= 0.7
    rows = (trained_run / "history.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + EPOCHS
    data_info = json.loads((trained_run / "data.json").read_text())
    assert Path(data_info["data"]["path"]) == DIGITS.resolve()


def test_export_reloads_outside_the_app_with_the_same_predictions(
    trained_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export"
    proc = _cli("export", str(trained_run), "--format", "keras,onnx", "-o", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "keras" in proc.stdout and "onnx" in proc.stdout and "(ok)" in proc.stdout
    model_path, onnx_path = out / "model.keras", out / "model.onnx"
    card = json.loads((out / "model.keras.card.json").read_text())
    assert card["class_names"] == [str(i) for i in range(10)]
    assert card["preprocessing"]["recorded"]["rescale"] == pytest.approx(1 / 255)

    # The exported model, reloaded in a fresh interpreter by Keras and by onnxruntime, on
    # the sample images preprocessed as the model card says (grey 28x28, times 1/255).
    folder = DIGITS / "3"
    images = sorted(folder.glob("*.png"))
    from PIL import Image

    x = np.stack(
        [np.asarray(Image.open(p).convert("L"), dtype="float32")[..., None] / 255.0 for p in images]
    ).astype("float32")
    np.save(tmp_path / "x.npy", x)
    proc = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            RELOAD,
            str(model_path),
            str(onnx_path),
            str(tmp_path / "x.npy"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    outside = json.loads(proc.stdout.strip().splitlines()[-1])
    keras_pred, onnx_pred = np.array(outside["keras"]), np.array(outside["onnx"])
    assert keras_pred.shape == (len(images), 10)
    assert np.max(np.abs(keras_pred - onnx_pred)) < 1e-4

    # `nnstudio predict` on the raw image files gives the same scores and class names.
    proc = _cli("predict", str(model_path), "--input", str(folder), "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    predicted = json.loads(proc.stdout)["predictions"]
    assert [p["input"] for p in predicted] == [p.name for p in images]
    scores = np.array([[p["digit"]["scores"][str(c)] for c in range(10)] for p in predicted])
    assert np.max(np.abs(scores - keras_pred)) < 1e-4
    assert [p["digit"]["class"] for p in predicted] == [str(i) for i in keras_pred.argmax(1)]
