"""Every template learns on its own shipped sample, trained as a user would: a bare
``nnstudio train resources/templates/<key>.nnstudio`` (no ``--data``), for a few epochs.

Asserted: the training loss falls; a classifier's validation accuracy is at least halfway
from chance to 1 (0.55 for ten classes, 0.67 for three, 0.75 for two); the autoencoder's
validation reconstruction error falls and beats the all-black image; the two-input
regression's validation error is well below predicting the mean and below what the best
linear model of either input alone reaches (its target needs both inputs).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from nnstudio.cli import main
from nnstudio.core.data import DataConfig

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "resources" / "templates"
RECONSTRUCTION_READY = "targets" in DataConfig.__dataclass_fields__

# key: (epochs, number of classes or None for a regression/reconstruction)
CASES = {
    "mlp": (8, 3),
    "small_cnn": (4, 10),
    "lstm": (12, 3),  # 8 epochs once ended at 0.575 in CI (threads: not bit-exact)
    "residual_cnn": (8, 10),
    "transformer": (3, 2),
    "two_input": (8, None),
    "autoencoder": (6, None),
    "transfer": (8, 10),  # the head on frozen letter features, then 3 epochs of fine-tuning
}
MARKS = {
    "autoencoder": pytest.mark.xfail(
        not RECONSTRUCTION_READY,
        strict=True,
        reason="needs the data option targets = inputs (branch data)",
    ),
}


def _history(run: Path) -> list[dict[str, float]]:
    with open(run / "history.csv", newline="") as fh:
        return [{k: float(v) for k, v in row.items() if v} for row in csv.DictReader(fh)]


@pytest.mark.parametrize(
    "key", [pytest.param(k, marks=MARKS[k]) if k in MARKS else k for k in CASES]
)
def test_template_learns_on_its_own_sample(key: str, tmp_path: Path, capsys) -> None:
    epochs, classes = CASES[key]
    path = TEMPLATE_DIR / f"{key}.nnstudio"
    before = path.read_bytes()
    run = tmp_path / "run"
    code = main(["train", str(path), "--epochs", str(epochs), "--out", str(run), "--quiet"])
    err = capsys.readouterr().err
    assert code == 0, err[-2000:]
    assert path.read_bytes() == before  # --out leaves the template alone
    rows = _history(run)
    assert len(rows) == epochs
    assert rows[-1]["loss"] < rows[0]["loss"]
    final = json.loads((run / "metrics.json").read_text())["final"]
    if classes is not None:
        chance = 1.0 / classes
        assert final["val_accuracy"] >= chance + (1.0 - chance) / 2, rows
    else:
        assert rows[-1]["val_loss"] < rows[0]["val_loss"], rows
    if key == "two_input":
        chance, alone = _two_input_baselines()
        assert final["val_loss"] < 0.25 * chance, rows
        assert final["val_loss"] < 0.5 * alone, rows
    if key == "autoencoder":
        # better than the trivial reconstruction (an all-black image: error = mean pixel)
        assert final["val_mae"] < 0.9 * _mean_digit_pixel(), rows


def _mean_digit_pixel() -> float:
    import numpy as np
    from PIL import Image

    digits = TEMPLATE_DIR.parent / "samples" / "digits"
    pixels = [np.asarray(Image.open(p), np.float32).mean() for p in digits.rglob("*.png")]
    return float(np.mean(pixels)) / 255.0


def _two_input_baselines() -> tuple[float, float]:
    """(the error of predicting the mean, the smallest error of a least-squares fit on one
    input alone, fitted on all the samples: an optimistic baseline)."""
    import numpy as np

    with np.load(TEMPLATE_DIR.parent / "samples" / "two_inputs.npz") as z:
        y = z["target"].astype(np.float64)
        errors = []
        for name in ("measurements", "context"):
            x = np.c_[z[name], np.ones(len(y))]
            w, *_ = np.linalg.lstsq(x, y, rcond=None)
            errors.append(float(np.mean((x @ w - y) ** 2)))
    return float(np.var(y)), min(errors)
