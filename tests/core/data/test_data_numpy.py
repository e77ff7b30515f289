"""NumPy sources: headers checked before loading, pickles refused, big arrays mapped."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from data_helpers import find, inspect, sha

from nnstudio.core.data import DataConfig, DataError, inspect_source


def pair(tmp_path, x, y, names=("x.npy", "y.npy")):
    xp, yp = tmp_path / names[0], tmp_path / names[1]
    np.save(xp, x)
    np.save(yp, y)
    return xp, yp


class _Evil:
    """Unpickling this writes a marker file: proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "code ran"))


def test_npy_pair_with_a_guessed_targets_file(tmp_path):
    rng = np.random.default_rng(0)
    xp, _ = pair(tmp_path, rng.normal(size=(40, 3)).astype(np.float32), np.arange(40) % 4)
    report = inspect(xp)
    assert report.ok, report.format_text()
    assert report.kind == "numpy"
    assert report.samples == 40 and report.feature_shape == (3,)
    assert report.task == "classification"
    assert report.classes == [("0", 10), ("1", 10), ("2", 10), ("3", 10)]
    assert report.details["targets"] == "y.npy"
    config = DataConfig(kind="numpy", path=str(xp))  # no targets file given: guessed
    find(inspect_source(config), 'targets read from "y.npy"', "info")


def test_npz_with_names_and_class_names(tmp_path):
    path = tmp_path / "seq.npz"
    x = np.zeros((12, 16, 1), np.float32) + np.arange(12)[:, None, None]
    np.savez(path, inputs=x, labels=np.arange(12) % 3, class_names=np.array(["a", "b", "c"]))
    report = inspect(path)
    assert report.ok and report.feature_shape == (16, 1)
    assert report.classes == [("a", 4), ("b", 4), ("c", 4)]

    np.savez(tmp_path / "two.npz", first=x, second=np.arange(12) % 3)
    report = inspect(tmp_path / "two.npz")
    assert report.ok
    find(report, 'using "first" as the features and "second" as the targets', "info")

    np.savez(tmp_path / "three.npz", a=x, b=x, c=np.arange(12))
    problem = find(inspect(tmp_path / "three.npz"), "choose which array holds", "error")
    assert '"a" (12, 16, 1) float64' in problem.message
    problem = find(inspect(path, targets_key="nope"), 'no array named "nope"', "error")
    assert '"labels" (12,)' in problem.message


def test_regression_one_hot_and_string_targets(tmp_path):
    x = np.random.default_rng(1).normal(size=(30, 4))
    np.savez(tmp_path / "r.npz", x=x, y=np.linspace(0.5, 2.0, 30).reshape(30, 1))
    report = inspect(tmp_path / "r.npz")
    assert report.task == "regression" and report.target_range == (0.5, 2.0)
    np.savez(tmp_path / "r2.npz", x=x, y=np.random.default_rng(2).normal(size=(30, 2)))
    assert inspect(tmp_path / "r2.npz").num_outputs == 2

    onehot = np.eye(3)[np.arange(30) % 3]
    np.savez(tmp_path / "oh.npz", x=x, y=onehot)
    report = inspect(tmp_path / "oh.npz")
    assert report.task == "classification" and len(report.classes) == 3
    find(report, "one-hot", "info")

    names = np.array(["spam", "ham"])[np.arange(30) % 2]
    np.savez(tmp_path / "s.npz", x=x, y=names)
    assert inspect(tmp_path / "s.npz").classes == [("ham", 15), ("spam", 15)]


def _never_load(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("np.load was called on a file that should have been refused")

    monkeypatch.setattr(np, "load", boom)


def test_pickled_npy_is_refused_and_never_unpickled(tmp_path, monkeypatch):
    marker = tmp_path / "marker.txt"
    evil = np.array([_Evil(marker), _Evil(marker)], dtype=object)
    np.save(tmp_path / "x.npy", evil, allow_pickle=True)
    np.save(tmp_path / "y.npy", np.array([0, 1]))
    np.savez(tmp_path / "evil.npz", x=np.zeros((2, 2)), y=evil)
    _never_load(monkeypatch)
    report = inspect(tmp_path / "x.npy")
    problem = find(report, "Python objects (dtype object)", "error")
    assert problem.location == "x.npy" and "pickle" in problem.message
    assert not marker.exists()
    from nnstudio.core.data import prepare

    with pytest.raises(DataError, match="Python objects"):
        prepare(DataConfig(kind="numpy", path=str(tmp_path / "x.npy")), batch_size=2)
    assert not marker.exists()

    find(inspect(tmp_path / "evil.npz"), "Python objects", "error")
    assert not marker.exists()


def test_raw_pickle_named_npy_is_refused(tmp_path, monkeypatch):
    marker = tmp_path / "marker.txt"
    path = tmp_path / "x.npy"
    path.write_bytes(pickle.dumps(_Evil(marker)))
    np.save(tmp_path / "y.npy", np.array([0, 1]))
    _never_load(monkeypatch)
    problem = find(inspect(path), "this is a Python pickle", "error")
    assert "never loads pickles" in problem.message
    assert not marker.exists()


def test_header_declaring_a_huge_shape(tmp_path, monkeypatch):
    path = tmp_path / "x.npy"
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(
            fh, {"descr": "<f8", "fortran_order": False, "shape": (1_000_000, 100_000)}
        )
        fh.write(b"\x00" * 16)
    np.save(tmp_path / "y.npy", np.zeros(1_000_000, np.int8))
    _never_load(monkeypatch)
    before = sha(path)
    report = inspect_source(DataConfig(kind="numpy", path=str(path)))
    assert sha(path) == before
    problem = find(report, "the header declares shape (1000000, 100000) float64", "error")
    assert "745.1 GiB" in problem.message and "holds only 16 bytes" in problem.message
    assert "truncated" in problem.message


def test_truncated_and_corrupt_files(tmp_path):
    xp, _ = pair(tmp_path, np.zeros((100, 10)), np.zeros(100))
    data = xp.read_bytes()
    xp.write_bytes(data[: len(data) - 80])
    find(inspect(xp), "the file is truncated", "error")
    xp.write_bytes(b"\x93NUMPY\x01\x00\xff\xffgarbage")
    find(inspect(xp), "header is corrupt", "error")
    xp.write_bytes(b"hello world")
    find(inspect(xp), "not a NumPy .npy or .npz file", "error")
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04garbage")
    find(inspect(tmp_path / "bad.npz"), "archive is damaged", "error")


def test_shapes_and_dtypes_that_cannot_train(tmp_path):
    xp, _ = pair(tmp_path, np.zeros((10, 3)), np.zeros(9))
    find(inspect(xp), "the features have 10 samples but the targets (y.npy) have 9", "error")
    xp, _ = pair(tmp_path, np.array([["a", "b"]] * 4), np.zeros(4))
    find(inspect(xp), "features must be numbers", "error")
    xp, _ = pair(tmp_path, np.zeros((4, 2)), np.zeros((4, 2, 2)))
    find(inspect(xp), "one value or one row per sample", "error")
    alone = tmp_path / "alone.npy"
    np.save(alone, np.zeros((4, 2)))
    find(inspect(alone), "choose the .npy file that holds the targets", "error")


def test_nan_and_inf_by_sample(tmp_path):
    x = np.ones((20, 3), np.float32)
    x[4, 2] = np.nan
    x[7, 0] = np.inf
    xp, _ = pair(tmp_path, x, np.arange(20) % 2)
    report = inspect(xp)
    assert report.nan_count == 1 and report.inf_count == 1
    assert find(report, "holds NaN", "error").location == "x.npy, sample 4, feature 2"
    assert find(report, "infinite", "error").location == "x.npy, sample 7, feature 0"
    dropped = inspect(xp, missing="drop")
    assert dropped.ok and dropped.samples == 18
    filled = inspect(xp, missing="fill")
    assert filled.ok and filled.samples == 20
    find(filled, "filled 2 NaN or infinite value(s)", "warning")


def test_npz_too_big_for_memory_is_refused(tmp_path, monkeypatch):
    x = np.random.default_rng(0).normal(size=(1000, 100))
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(1000) % 2)
    monkeypatch.setattr("nnstudio.core.data.numpy_source.available_memory", lambda: 100_000)
    report = inspect_source(
        DataConfig(kind="numpy", path=str(tmp_path / "d.npz")),
    )
    assert report.ok  # the default budget still fits

    from nnstudio.core.data.inspection import load_source
    from nnstudio.core.data.progress import TaskState

    loaded = load_source(DataConfig(kind="numpy", path=str(tmp_path / "d.npz")), TaskState(), 1000)
    find(loaded.report, "cannot be memory-mapped: save the features as an .npy", "error")


def test_large_npy_is_memory_mapped_and_streamed(tmp_path):
    from nnstudio.core.data import prepare

    x = np.arange(200 * 5, dtype=np.float32).reshape(200, 5)
    x[13, 1] = np.nan
    xp, _ = pair(tmp_path, x, np.arange(200) % 2)
    config = DataConfig(kind="numpy", path=str(xp), missing="drop", val_fraction=0.25)
    prepared = prepare(config, batch_size=16, cache_budget_bytes=1000)
    assert prepared.streamed and prepared.report.details["memory_mapped"] is True
    rows = []
    for xb, yb in prepared.train:
        assert xb.shape[1:] == (5,)
        for row, label in zip(xb.numpy(), yb.numpy(), strict=True):
            sample = int(row[0]) // 5
            assert label == sample % 2
            rows.append(sample)
    assert 13 not in rows
    assert len(rows) == prepared.train_size
    vx, vy = prepared.val_arrays()
    assert len(vx) == prepared.val_size and np.isfinite(vx).all()
    assert prepared.train_size + prepared.val_size == 199

    in_memory = prepare(config, batch_size=16)
    assert not in_memory.streamed
    assert sorted(int(r[0]) // 5 for xb, _ in in_memory.train for r in xb.numpy()) == sorted(rows)


def test_validation_arrays(tmp_path):
    rng = np.random.default_rng(3)
    np.savez(tmp_path / "train.npz", x=rng.normal(size=(30, 4)), y=np.arange(30) % 3)
    np.savez(tmp_path / "val.npz", x=rng.normal(size=(9, 4)), y=np.arange(9) % 3)
    config = DataConfig(kind="numpy", path=str(tmp_path / "train.npz"))
    report = inspect_source(config.replace(validation_path=str(tmp_path / "val.npz")))
    assert report.ok and report.details["validation_samples"] == 9
    np.savez(tmp_path / "bad.npz", x=rng.normal(size=(3, 4)), y=np.array([0, 1, 7]))
    report = inspect_source(config.replace(validation_path=str(tmp_path / "bad.npz")))
    assert find(report, "class 7 does not occur", "error").location.endswith("sample 2")

    from nnstudio.core.data import prepare

    prepared = prepare(
        config.replace(validation_path=str(tmp_path / "val.npz"), test_fraction=0.2), batch_size=4
    )
    assert (prepared.train_size, prepared.val_size, prepared.test_size) == (24, 9, 6)
    vx, vy = prepared.val_arrays()
    assert vx.shape == (9, 4) and vy.tolist() == [0, 1, 2] * 3
