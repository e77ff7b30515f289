"""The shipped sample datasets work out of the box, and the script regenerates them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from data_helpers import inspect

SAMPLES = Path(__file__).resolve().parents[3] / "resources" / "samples"
SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "make_samples.py"


def test_digits():
    report = inspect(SAMPLES / "digits")
    assert report.ok and not report.problems, report.format_text()
    assert report.feature_shape == (28, 28, 1)
    assert [n for n, _ in report.classes] == [str(d) for d in range(10)]
    assert report.samples >= 600


def test_species_csv():
    report = inspect(SAMPLES / "species.csv", target_columns=["species"])
    assert report.ok and report.warnings == []
    assert report.feature_shape == (4,)
    assert [n for n, _ in report.classes] == ["aurelia", "borealis", "cerulea"]


def test_housing_csv():
    report = inspect(SAMPLES / "housing.csv", target_columns=["price_100k"])
    assert report.ok and report.warnings == []
    assert report.task == "regression" and report.feature_shape == (8,)


def test_waveforms_npz():
    report = inspect(SAMPLES / "waveforms.npz")
    assert report.ok and report.warnings == []
    assert report.feature_shape == (64, 1)
    assert [n for n, _ in report.classes] == ["sine", "square", "sawtooth"]


def test_samples_stay_small():
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert total < 3 * 1024 * 1024


def test_script_regenerates_the_same_data(tmp_path):
    spec = importlib.util.spec_from_file_location("make_samples", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path)]) == 0
    for name in ("species.csv", "housing.csv"):
        assert (tmp_path / name).read_text() == (SAMPLES / name).read_text()
    with np.load(tmp_path / "waveforms.npz") as a, np.load(SAMPLES / "waveforms.npz") as b:
        assert sorted(a.files) == sorted(b.files)
        for key in a.files:
            assert np.array_equal(a[key], b[key])
    ours = sorted(p.relative_to(tmp_path) for p in (tmp_path / "digits").rglob("*.png"))
    shipped = sorted(p.relative_to(SAMPLES) for p in (SAMPLES / "digits").rglob("*.png"))
    assert ours == shipped
