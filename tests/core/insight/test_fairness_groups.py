"""Group labels of a split, lined up with its arrays: CSV columns (used or not as features,
rows dropped by the missing-value policy, a separate validation file) and image sub-folders."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnstudio.core.data import DataConfig, prepare
from nnstudio.core.insight.fairness import FairnessError
from nnstudio.core.insight.fairness_groups import (
    IMAGE_SUBFOLDER,
    NO_SUBFOLDER,
    group_choices,
    split_groups,
)

REGIONS = {"n": "north", "s": "south", "e": "east"}


def write_people(path: Path, n: int = 90, holes: bool = True) -> Path:
    """``x`` (empty every 7th row), ``code`` (n/s/e), ``region`` (its full name), ``label``."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["x", "code", "region", "label"])
        for i in range(n):
            code = "nse"[i % 3]
            x = "" if holes and i % 7 == 3 else f"{i * 0.1:.2f}"
            w.writerow([x, code, REGIONS[code], "yes" if i % 2 else "no"])
    return path


def _codes(prepared, x: np.ndarray) -> list[str]:
    """The one-hot ``code`` feature of each row of ``x``, decoded."""
    names = prepared.preprocessing["input_names"]
    cols = {name.split("=", 1)[1]: i for i, name in enumerate(names) if name.startswith("code=")}
    return [next(c for c, i in cols.items() if row[i] == 1.0) for row in x]


def test_a_column_left_out_of_the_features_lines_up_with_the_validation_rows(tmp_path):
    config = DataConfig(
        kind="csv",
        path=str(write_people(tmp_path / "people.csv")),
        target_columns=["label"],
        feature_columns=["x", "code"],
        missing="drop",
    )
    prepared = prepare(config, batch_size=16)
    x, _ = prepared.val_arrays()
    groups = split_groups(prepared, "region")
    assert len(groups) == len(x) == prepared.val_size
    assert [REGIONS[c] for c in _codes(prepared, x)] == groups.tolist()
    # a feature and the target group the same rows too
    assert split_groups(prepared, "code").tolist() == _codes(prepared, x)
    _, y = prepared.val_arrays()
    names = prepared.class_names
    assert split_groups(prepared, "label").tolist() == [names[int(v)] for v in y]


def test_a_separate_validation_file_is_grouped_by_its_own_rows(tmp_path):
    config = DataConfig(
        kind="csv",
        path=str(write_people(tmp_path / "train.csv", holes=False)),
        validation_path=str(write_people(tmp_path / "val.csv", n=30)),
        target_columns=["label"],
        feature_columns=["x", "code"],
        missing="drop",
    )
    prepared = prepare(config, batch_size=16)
    x, _ = prepared.val_arrays()
    groups = split_groups(prepared, "region")
    assert len(groups) == len(x) < 30  # rows with an empty x were dropped
    assert [REGIONS[c] for c in _codes(prepared, x)] == groups.tolist()


def test_an_unknown_column_lists_the_columns(tmp_path):
    config = DataConfig(
        kind="csv",
        path=str(write_people(tmp_path / "p.csv", n=300, holes=False)),
        target_columns=["label"],
    )
    prepared = prepare(config, batch_size=16)
    with pytest.raises(FairnessError) as err:
        split_groups(prepared, "age")
    assert str(err.value) == (
        'p.csv: there is no column "age"; the columns are "x", "code", "region", "label"'
    )
    with pytest.raises(FairnessError, match="distinct values"):
        split_groups(prepared, "x")  # a number per row: too many groups
    assert group_choices(config) == ["x", "code", "region", "label"]


def test_image_sub_folders_are_groups(tmp_path):
    root = tmp_path / "imgs"
    for cls in ("a", "b"):
        for tag, shade in (("dark", 20), ("light", 230), (None, 128)):
            folder = root / cls / tag if tag else root / cls
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(5):
                Image.new("L", (8, 8), shade + i).save(folder / f"{tag}_{i}.png")
    config = DataConfig(kind="images", path=str(root), val_fraction=0.5)
    prepared = prepare(config, batch_size=8)
    x, _ = prepared.val_arrays()
    groups = split_groups(prepared, IMAGE_SUBFOLDER)
    shade = {"dark": 20, "light": 230, NO_SUBFOLDER: 128}
    expected = [min(shade, key=lambda t: abs(shade[t] - v)) for v in x.mean(axis=(1, 2, 3)) * 255]
    assert groups.tolist() == expected
    assert set(expected) == set(shade)
    assert group_choices(config) == [IMAGE_SUBFOLDER]
    with pytest.raises(FairnessError, match="image sub-folder"):
        split_groups(prepared, "region")


def test_arrays_have_no_groups(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((20, 3), np.float32), y=np.arange(20) % 2)
    config = DataConfig(kind="numpy", path=str(tmp_path / "d.npz"))
    prepared = prepare(config, batch_size=8)
    with pytest.raises(FairnessError, match="CSV column or an image sub-folder"):
        split_groups(prepared, "x")
    assert group_choices(config) == []


def test_the_test_split_is_grouped_too(tmp_path):
    config = DataConfig(
        kind="csv",
        path=str(write_people(tmp_path / "people.csv")),
        target_columns=["label"],
        feature_columns=["x", "code"],
        missing="drop",
        test_fraction=0.25,
    )
    prepared = prepare(config, batch_size=16)
    x, _ = prepared.test_arrays()
    groups = split_groups(prepared, "region", "test")
    assert len(groups) == len(x) > 0
    assert [REGIONS[c] for c in _codes(prepared, x)] == groups.tolist()
    with pytest.raises(FairnessError, match="no split 'holdout'"):
        split_groups(prepared, "region", "holdout")
