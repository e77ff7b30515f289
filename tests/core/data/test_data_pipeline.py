"""Splits, prepare() on tabular data, recorded preprocessing, suggested heads."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.data import DataConfig, DataError, Report, prepare, suggest_head
from nnstudio.core.data.splits import split_indices


def test_split_is_seeded_disjoint_and_stratified():
    labels = np.array([0] * 60 + [1] * 30 + [2] * 10)
    train, val, test = split_indices(100, 0.2, 0.1, seed=3, labels=labels)
    assert len(set(train) | set(val) | set(test)) == 100
    assert not (set(train) & set(val)) and not (set(train) & set(test))
    assert np.bincount(labels[val]).tolist() == [12, 6, 2]
    assert np.bincount(labels[test]).tolist() == [6, 3, 1]
    again = split_indices(100, 0.2, 0.1, seed=3, labels=labels)
    assert all((a == b).all() for a, b in zip((train, val, test), again, strict=True))
    other = split_indices(100, 0.2, 0.1, seed=4, labels=labels)
    assert not (other[1] == val).all()


def test_split_keeps_lonely_classes_in_training():
    labels = np.array([0, 0, 0, 0, 1])
    train, val, _ = split_indices(5, 0.5, 0.0, seed=0, labels=labels)
    assert 4 in train
    plain_train, plain_val, _ = split_indices(10, 0.3, 0.0, seed=0)
    assert len(plain_val) == 3 and len(plain_train) == 7


def _csv(tmp_path, rows=60):
    rng = np.random.default_rng(0)
    lines = ["num,colour,y"]
    for i in range(rows):
        lines.append(f"{rng.normal(10, 2):.4f},{['red', 'green', 'blue'][i % 3]},{'ab'[i % 2]}")
    path = tmp_path / "d.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_prepare_csv_records_its_preprocessing(tmp_path):
    path = _csv(tmp_path)
    config = DataConfig(kind="csv", path=str(path), val_fraction=0.25, test_fraction=0.1)
    prepared = prepare(config, batch_size=8, seed=1)
    assert (prepared.train_size, prepared.val_size, prepared.test_size) == (39, 15, 6)
    assert prepared.feature_shape == (4,)
    assert prepared.task == "classification" and prepared.class_names == ["a", "b"]
    assert prepared.num_outputs == 2
    pre = prepared.preprocessing
    num = pre["features"][0]
    assert num["type"] == "numeric" and num["std"] > 0
    assert pre["features"][1]["vocabulary"] == ["blue", "green", "red"]
    assert pre["input_names"] == ["num", "colour=blue", "colour=green", "colour=red"]
    assert pre["class_names"] == ["a", "b"]
    # normalization statistics come from the training rows only
    x_train = np.concatenate([x.numpy() for x, _ in prepared.train])
    assert abs(float(x_train[:, 0].mean())) < 1e-5
    assert abs(float(x_train[:, 0].std()) - 1.0) < 1e-4
    vx, vy = prepared.val_arrays()
    tx, ty = prepared.test_arrays()
    assert vx.shape == (15, 4) and vy.dtype == np.int32 and tx.shape == (6, 4)
    sx, sy = prepared.sample_batch(5)
    assert (sx == vx[:5]).all() and (sy == vy[:5]).all()
    assert prepared.steps_per_epoch == 5
    assert int(prepared.train.cardinality()) == 5  # known: progress bars know the total
    assert int(prepared.val.cardinality()) == 2
    assert prepared.sizes == {"train": 39, "val": 15, "test": 6}
    assert sum(prepared.class_counts) == 39
    assert prepared.content_hash == prepared.report.content_hash
    import json

    json.dumps(pre)  # JSON-able


def test_prepare_with_a_validation_file(tmp_path):
    train = _csv(tmp_path)
    val = tmp_path / "val.csv"
    val.write_text("num,colour,y\n10.5,red,a\n9.0,purple,b\n")
    config = DataConfig(kind="csv", path=str(train), validation_path=str(val))
    prepared = prepare(config, batch_size=8)
    assert (prepared.train_size, prepared.val_size) == (60, 2)
    # the vocabulary covers both files: "purple" only occurs in the validation file
    assert prepared.preprocessing["features"][1]["vocabulary"] == [
        "blue",
        "green",
        "purple",
        "red",
    ]
    vx, vy = prepared.val_arrays()
    assert vx.shape == (2, 5) and vy.tolist() == [0, 1]
    assert vx[1, 3] == 1.0  # one-hot "purple"


def test_prepare_shuffles_each_epoch_reproducibly(tmp_path):
    config = DataConfig(kind="csv", path=str(_csv(tmp_path)), val_fraction=0.0)

    def epochs(seed):
        prepared = prepare(config, batch_size=64, seed=seed)
        return [next(iter(prepared.train))[1].numpy().tolist() for _ in range(2)]

    first, second = epochs(5)
    assert first != second  # a new order every epoch
    assert epochs(5) == [first, second]


def test_prepare_refuses_bad_data_with_the_report(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,y\n1,x\n2,y\noops,x\n4,y\n")
    with pytest.raises(DataError) as info:
        prepare(DataConfig(kind="csv", path=str(path)), batch_size=2)
    err = info.value
    assert err.location == "line 4"
    assert 'column "a" has "oops" in a numeric column' in err.message
    assert isinstance(err.report, Report) and not err.report.ok
    with pytest.raises(DataError, match="batch size"):
        prepare(DataConfig(kind="csv", path=str(path)), batch_size=0)


def test_a_small_model_trains_on_a_prepared_csv(tmp_path):
    import keras

    prepared = prepare(DataConfig(kind="csv", path=str(_csv(tmp_path))), batch_size=16)
    head = suggest_head(prepared)
    inputs = keras.Input(prepared.feature_shape)
    outputs = keras.layers.Dense(head["units"], activation=head["activation"])(inputs)
    model = keras.Model(inputs, outputs)
    model.compile("adam", head["loss"], metrics=head["metrics"])
    history = model.fit(
        prepared.train, validation_data=prepared.val, epochs=2, verbose=0, shuffle=False
    )
    assert np.isfinite(history.history["loss"]).all()
    assert "val_accuracy" in history.history


def test_suggest_head():
    def report(task, classes=(), outputs=0):
        return Report(
            kind="csv",
            path="x",
            task=task,
            classes=[(c, 1) for c in classes],
            num_outputs=outputs or len(classes),
        )

    assert suggest_head(report("classification", "abc")) == {
        "units": 3,
        "activation": "softmax",
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
    }
    assert suggest_head(report("classification", "ab")) == {
        "units": 1,
        "activation": "sigmoid",
        "loss": "binary_crossentropy",
        "metrics": ["accuracy"],
    }
    assert suggest_head(report("regression", outputs=2)) == {
        "units": 2,
        "activation": "linear",
        "loss": "mse",
        "metrics": ["mae"],
    }
    with pytest.raises(DataError):
        suggest_head(report(None))
    with pytest.raises(DataError):
        suggest_head(report("classification", "a"))
