"""Multi-input NumPy sources: an .npz with one array per model Input plus the targets
(nnstudio/core/data/multi_input*.py), read, checked and fed as ``({name: x}, y)`` batches."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.data import DataConfig, inspect_source, prepare
from nnstudio.core.data.multi_input import input_keys
from nnstudio.core.preflight import preflight
from nnstudio.core.templates import build_template

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "resources" / "samples" / "two_inputs.npz"
N = 40


def _arrays(n: int = N, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "measurements": rng.normal(size=(n, 8)).astype(np.float32),
        "context": np.eye(4, dtype=np.float32)[rng.integers(0, 4, n)],
        "target": rng.normal(size=n).astype(np.float32),
    }


def _write(path: Path, **arrays: np.ndarray) -> Path:
    np.savez(path, **arrays)
    return path


def _config(path: Path, **options) -> DataConfig:
    options.setdefault("targets_key", "target")
    return DataConfig(kind="numpy", path=str(path), **options)


def _errors(report) -> list[str]:
    return [f"{p.location}: {p.message}" for p in report.errors]


def test_the_shipped_sample_is_read_as_two_named_inputs() -> None:
    config = _config(SAMPLE)
    assert input_keys(config) == ["measurements", "context"]
    report = inspect_source(config)
    assert report.ok, _errors(report)
    assert report.samples == 600 and report.task == "regression" and report.num_outputs == 1
    assert report.details["inputs"] == {
        "measurements": {"shape": [8], "dtype": "float32"},
        "context": {"shape": [4], "dtype": "float32"},
    }
    assert len(report.details["preview_rows"][0]) == 12
    assert report.details["preview_columns"][8] == "context[0]"
    info = [p.message for p in report.problems if p.severity == "info"]
    assert any('"measurements" (8,) float32' in m and 'targets "target"' in m for m in info)
    assert report.content_hash and report.content_hash.startswith("sha256:")


def test_pipelines_yield_a_dict_keyed_by_input_name(tmp_path: Path) -> None:
    arrays = _arrays()
    prepared = prepare(_config(_write(tmp_path / "d.npz", **arrays)), batch_size=8, seed=1)
    assert prepared.sizes == {"train": 32, "val": 8, "test": 0}
    x, y = next(iter(prepared.train))
    assert sorted(x) == ["context", "measurements"]
    assert tuple(x["measurements"].shape) == (8, 8) and tuple(x["context"].shape) == (8, 4)
    assert tuple(y.shape) == (8, 1)
    vx, vy = prepared.val_arrays()
    assert vx["context"].shape == (8, 4) and vy.shape == (8, 1)
    # the validation arrays are the rows the targets came from, in every input
    rows = [int(np.flatnonzero((arrays["target"] == v).ravel())[0]) for v in vy.ravel()]
    np.testing.assert_array_equal(vx["measurements"], arrays["measurements"][rows])
    np.testing.assert_array_equal(vx["context"], arrays["context"][rows])
    bx, _ = prepared.sample_batch(4)
    assert {k: v.shape for k, v in bx.items()} == {"measurements": (4, 8), "context": (4, 4)}
    assert set(prepared.preprocessing["inputs"]) == {"measurements", "context"}


def test_standardize_uses_each_inputs_own_moments(tmp_path: Path) -> None:
    arrays = _arrays(200)
    arrays["measurements"] = arrays["measurements"] * 10 + 50
    path = _write(tmp_path / "d.npz", **arrays)
    prepared = prepare(_config(path, normalization="standardize"), batch_size=64)
    x, _ = prepared.val_arrays()
    assert abs(float(x["measurements"].mean())) < 0.5 and float(x["measurements"].std()) > 0.5
    rec = prepared.preprocessing["inputs"]
    assert rec["measurements"]["mean"] == pytest.approx(50, abs=2)
    assert rec["context"]["mean"] == pytest.approx(0.25, abs=0.1)


def test_dropped_samples_leave_every_input(tmp_path: Path) -> None:
    arrays = _arrays()
    arrays["context"][3, 1] = np.nan
    arrays["measurements"][5, 0] = np.inf
    path = _write(tmp_path / "d.npz", **arrays)
    stop = inspect_source(_config(path))
    assert not stop.ok
    where = " | ".join(_errors(stop))
    assert 'd.npz["context"], sample 3, feature 1: holds NaN' in where
    assert 'd.npz["measurements"], sample 5, feature 0: holds an infinite value' in where
    prepared = prepare(_config(path, missing="drop", val_fraction=0.25), batch_size=64)
    assert prepared.train_size + prepared.val_size == N - 2
    x, y = prepared.val_arrays()
    assert all(np.isfinite(v).all() for v in x.values())


def test_a_separate_validation_npz(tmp_path: Path) -> None:
    train = _write(tmp_path / "train.npz", **_arrays(30))
    val = _write(tmp_path / "val.npz", **_arrays(10, seed=2))
    prepared = prepare(_config(train, validation_path=str(val)), batch_size=8)
    assert prepared.sizes == {"train": 30, "val": 10, "test": 0}
    bad = _arrays(10)
    bad["context"] = bad["context"][:, :3]
    _write(tmp_path / "bad.npz", **bad)
    report = inspect_source(_config(train, validation_path=str(tmp_path / "bad.npz")))
    assert any('bad.npz["context"]' in e and "(3,)" in e for e in _errors(report))


# -- damaged and hostile files: one clean located error, never a traceback -----------------


def _one_error(path: Path, **options) -> str:
    report = inspect_source(_config(path, **options))
    assert not report.ok
    assert len(report.errors) == 1, _errors(report)
    with pytest.raises(Exception) as caught:
        prepare(_config(path, **options), batch_size=8)
    assert type(caught.value).__name__ == "DataError"
    return _errors(report)[0]


def test_arrays_of_different_lengths(tmp_path: Path) -> None:
    arrays = _arrays()
    arrays["context"] = arrays["context"][:-3]
    error = _one_error(_write(tmp_path / "d.npz", **arrays))
    assert error.startswith('d.npz["context"]: "context" has 37 samples but the targets')


def test_text_and_complex_inputs_are_refused(tmp_path: Path) -> None:
    arrays = _arrays()
    arrays["context"] = np.array(["a"] * N)
    error = _one_error(_write(tmp_path / "text.npz", **arrays))
    assert error.startswith('text.npz["context"]: inputs must be numbers; dtype <U1')
    arrays["context"] = np.ones((N, 2), np.complex64)
    assert "complex64 cannot be trained on" in _one_error(_write(tmp_path / "c.npz", **arrays))


def test_object_arrays_are_refused_without_unpickling(tmp_path: Path) -> None:
    arrays = _arrays()
    arrays["context"] = np.array([{"a": 1}] * N, dtype=object)
    error = _one_error(_write(tmp_path / "obj.npz", **arrays))
    assert error.startswith('obj.npz["context"]: the array holds Python objects')


def test_a_pickle_named_npz_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(_arrays()))
    assert "Python pickle" in _one_error(path)


def test_a_scalar_input_and_a_3d_target(tmp_path: Path) -> None:
    arrays = _arrays()
    arrays["context"] = np.float32(1.0)
    assert "one number cannot hold samples" in _one_error(_write(tmp_path / "s.npz", **arrays))
    arrays = _arrays()
    arrays["target"] = np.zeros((N, 2, 2), np.float32)
    assert "targets of shape (40, 2, 2)" in _one_error(_write(tmp_path / "t.npz", **arrays))


def test_truncated_and_bit_flipped_archives(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.npz", **_arrays()).read_bytes()
    rng = np.random.default_rng(7)
    for i, cut in enumerate((len(good) // 3, len(good) // 2, len(good) - 40)):
        path = tmp_path / f"cut{i}.npz"
        path.write_bytes(good[:cut])
        assert not inspect_source(_config(path)).ok
    for i in range(12):
        data = bytearray(good)
        for pos in rng.integers(0, len(data), 4):
            data[int(pos)] ^= 0xFF
        path = tmp_path / f"flip{i}.npz"
        path.write_bytes(bytes(data))
        report = inspect_source(_config(path))  # never raises; errors are located
        assert all(p.location for p in report.errors)


def test_single_input_archives_keep_their_meaning(tmp_path: Path) -> None:
    arrays = _arrays()
    # a features array of a usual name: one input, the others unused
    path = _write(
        tmp_path / "x.npz",
        x=arrays["measurements"],
        y=arrays["target"],
        **{"context": arrays["context"]},
    )
    assert input_keys(_config(path, targets_key=None)) is None
    assert inspect_source(_config(path, targets_key=None)).feature_shape == (8,)
    # an explicit features_key, or one other array: one input
    path = _write(tmp_path / "d.npz", **arrays)
    assert input_keys(_config(path, features_key="context")) is None
    two = _write(tmp_path / "two.npz", m=arrays["measurements"], target=arrays["target"])
    assert input_keys(_config(two)) is None
    # targets = inputs (reconstruction) never reads several inputs
    assert input_keys(_config(path, targets="inputs")) is None


# -- the pre-flight check against the model's Inputs -------------------------------------


def test_preflight_matches_inputs_by_name(tmp_path: Path) -> None:
    graph = build_template("two_input").graph
    report = inspect_source(_config(SAMPLE))
    assert preflight(graph, report) == []
    prepared = prepare(_config(SAMPLE), batch_size=32)
    assert preflight(graph, prepared) == []

    arrays = _arrays()
    arrays["measurements"] = arrays["measurements"][:, :6]
    report = inspect_source(_config(_write(tmp_path / "six.npz", **arrays)))
    issues = preflight(graph, report)
    assert [i.code for i in issues] == ["data-shape"]
    assert issues[0].node == graph.node_by_name("measurements").id
    assert (
        issues[0].message
        == "The data's 'measurements' has 6 features, Input 'measurements' takes 8."
    )


def test_preflight_names_an_input_with_no_array(tmp_path: Path) -> None:
    graph = build_template("two_input").graph
    arrays = _arrays()
    arrays["extra"] = arrays.pop("context")
    report = inspect_source(_config(_write(tmp_path / "renamed.npz", **arrays)))
    assert report.ok  # the data alone is fine; it does not fit this model
    issues = preflight(graph, report)
    assert [i.code for i in issues] == ["data-inputs"]
    assert issues[0].node == graph.node_by_name("context").id
    assert "none named 'context'" in issues[0].message and "'extra'" in issues[0].message
    # a one-Input model on two-input data: its Input matches no array
    mlp = build_template("mlp").graph
    assert "data-inputs" in [i.code for i in preflight(mlp, report)]


# -- fit the model to the data: each Input by name, the head as for one input -------------


def test_fit_sets_each_input_by_name_and_the_head(tmp_path: Path) -> None:
    from nnstudio.core.data import fit_commands
    from nnstudio.core.data.errors import DataError
    from nnstudio.core.graph.commands import Rename

    graph = build_template("two_input").graph
    arrays = _arrays()
    arrays["measurements"] = arrays["measurements"][:, :5]
    arrays["target"] = np.arange(N) % 3  # three classes
    report = inspect_source(_config(_write(tmp_path / "d.npz", **arrays)))
    assert {i.code for i in preflight(graph, report)} == {"data-shape", "data-classes", "data-loss"}
    command = fit_commands(graph, report)
    command.redo()
    assert graph.node_by_name("measurements").params["shape"] == (5,)
    assert graph.node_by_name("target").params["units"] == 3
    assert graph.outputs[0].loss == "sparse_categorical_crossentropy"
    assert preflight(graph, report) == []
    command.undo()
    assert graph.node_by_name("measurements").params["shape"] == (8,)
    assert graph.outputs[0].loss == "mse"
    Rename(graph, graph.node_by_name("context").id, "ctx").redo()
    with pytest.raises(DataError, match="Input 'ctx' has no array of its name"):
        fit_commands(graph, report)
    assert graph.node_by_name("measurements").params["shape"] == (8,)  # nothing changed
