"""DataConfig: JSON round trip, hostile dicts, kind detection, content hashes."""

from __future__ import annotations

import json
import os

import pytest

from nnstudio.core.data import DataConfig, DataError, config_for_path, content_hash, detect_kind
from nnstudio.core.data.config import guess_targets_file


def test_round_trip_keeps_every_option_and_unknown_keys():
    config = DataConfig(
        kind="csv",
        path="data/train.csv",
        delimiter=";",
        header=False,
        encoding="latin-1",
        feature_columns=["a", "b"],
        target_columns=["y"],
        categorical_encoding="integer",
        missing="fill",
        na_values=["n/a"],
        column_types={"a": "categorical"},
        task="classification",
        val_fraction=0.25,
        test_fraction=0.1,
        seed=7,
        stratify=False,
        content_hash="sha256:abc",
    )
    d = config.to_json()
    d["future_option"] = {"kept": [1, 2]}
    again = DataConfig.from_json(json.loads(json.dumps(d)))
    assert again.to_json() == d
    assert again.extra == {"future_option": {"kept": [1, 2]}}
    assert DataConfig.from_json(config.to_json()) == config


def test_image_size_survives_json_as_a_tuple():
    config = DataConfig(kind="images", path="imgs", image_size=(32, 48), color_mode="rgb")
    again = DataConfig.from_json(json.loads(json.dumps(config.to_json())))
    assert again.image_size == (32, 48)
    assert again == config


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], "must be a JSON object"),
        ({"path": "x.csv"}, "no 'kind'"),
        ({"kind": "csv"}, "no 'path'"),
        ({"kind": "parquet", "path": "x"}, "kind must be one of csv, images, numpy"),
        ({"kind": "csv", "path": ""}, "needs a path"),
        ({"kind": "csv", "path": "x", "val_fraction": 1.5}, "val_fraction must be a number"),
        ({"kind": "csv", "path": "x", "val_fraction": "0.2"}, "val_fraction must be a number"),
        ({"kind": "csv", "path": "x", "val_fraction": 0.6, "test_fraction": 0.5}, "leave some"),
        ({"kind": "csv", "path": "x", "seed": -1}, "seed must be"),
        ({"kind": "csv", "path": "x", "delimiter": ";;"}, "single character"),
        ({"kind": "csv", "path": "x", "encoding": "klingon"}, "unknown text encoding"),
        ({"kind": "csv", "path": "x", "missing": "ignore"}, "missing must be one of"),
        ({"kind": "csv", "path": "x", "target_columns": "y"}, "target_columns must be a list"),
        ({"kind": "csv", "path": "x", "column_types": {"a": "date"}}, "column_types"),
        ({"kind": "images", "path": "x", "image_size": [0, 10]}, "image_size must be"),
        ({"kind": "images", "path": "x", "image_size": 28}, "image_size must be"),
        ({"kind": "images", "path": "x", "color_mode": "cmyk"}, "color_mode must be"),
        ({"kind": "numpy", "path": "x", "features_key": 3}, "features_key must be str"),
    ],
)
def test_bad_dicts_are_refused_with_a_clear_message(data, expected):
    with pytest.raises(DataError) as info:
        DataConfig.from_json(data)
    assert expected in str(info.value)


def test_detect_kind_and_sibling_targets(tmp_path):
    (tmp_path / "imgs").mkdir()
    assert detect_kind(str(tmp_path / "imgs")) == "images"
    assert detect_kind("a.NPZ") == "numpy"
    assert detect_kind("a.tsv") == "csv"
    for name in ("x_train.npy", "y_train.npy", "features.npy", "labels.npy"):
        (tmp_path / name).write_bytes(b"")
    assert guess_targets_file(str(tmp_path / "x_train.npy")) == str(tmp_path / "y_train.npy")
    assert guess_targets_file(str(tmp_path / "features.npy")) == str(tmp_path / "labels.npy")
    config = config_for_path(tmp_path / "x_train.npy")
    assert config.kind == "numpy" and config.targets_path == str(tmp_path / "y_train.npy")


def test_content_hash_of_files_and_folders(tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("a,b\n1,2\n")
    h1 = content_hash(config_for_path(f))
    assert h1.startswith("sha256:")
    f.write_text("a,b\n1,3\n")
    assert content_hash(config_for_path(f)) != h1

    folder = tmp_path / "imgs"
    (folder / "cat").mkdir(parents=True)
    (folder / "cat" / "1.png").write_bytes(b"x")
    h2 = content_hash(config_for_path(folder))
    assert h2.startswith("listing-sha256:")
    assert content_hash(config_for_path(folder)) == h2
    os.utime(folder / "cat" / "1.png", ns=(1, 1))
    assert content_hash(config_for_path(folder)) != h2
