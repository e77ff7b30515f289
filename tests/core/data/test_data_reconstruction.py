"""targets = inputs: every source yields (x, x); fit never adds a classification head."""

from __future__ import annotations

import numpy as np
import pytest
from data_helpers import image_folder, inspect

from nnstudio.core.data import DataConfig, DataError, prepare, suggest_head
from nnstudio.core.data.fit import fit_commands
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import History


def _first_batch(ds):
    x, y = next(iter(ds))
    return np.asarray(x), np.asarray(y)


def test_config_targets_round_trips_and_old_files_read_as_labels():
    cfg = DataConfig(kind="images", path="digits", targets="inputs")
    d = cfg.to_json()
    assert d["targets"] == "inputs"
    assert DataConfig.from_json(d).targets == "inputs"
    old = {k: v for k, v in d.items() if k != "targets"}
    assert DataConfig.from_json(old).targets == "labels"
    assert DataConfig.from_json({**old, "targets": None}).targets == "labels"
    with pytest.raises(DataError) as info:
        DataConfig(kind="csv", path="a.csv", targets="outputs")
    assert info.value.location == "data.targets"


def test_image_folder_reconstruction_yields_x_as_y_in_every_split(tmp_path):
    root = image_folder(tmp_path / "imgs", per_class=10)
    cfg = DataConfig(kind="images", path=str(root), targets="inputs", val_fraction=0.3)
    report = inspect(root, targets="inputs")
    assert report.ok and report.task == "reconstruction"
    assert report.target_range == (0.0, 1.0)
    prepared = prepare(cfg, batch_size=4)
    assert prepared.task == "reconstruction" and prepared.class_names is None
    assert prepared.num_outputs == int(np.prod(prepared.feature_shape))
    assert prepared.class_counts is None
    for ds in (prepared.train, prepared.val):
        x, y = _first_batch(ds)
        assert x.shape == y.shape and x.shape[1:] == prepared.feature_shape
        np.testing.assert_array_equal(x, y)
    vx, vy = prepared.val_arrays()
    np.testing.assert_array_equal(vx, vy)
    assert prepared.preprocessing["targets"] == "inputs"


def test_single_npy_needs_no_targets_file_for_reconstruction(tmp_path):
    x = np.random.default_rng(0).random((40, 6)).astype(np.float32)
    path = tmp_path / "signals.npy"
    np.save(path, x)
    labels = inspect(path)
    assert not labels.ok  # a lone .npy of features has no targets ...
    report = inspect(path, targets="inputs")
    assert report.ok, report.format_text()  # ... unless they are the inputs
    assert report.task == "reconstruction" and report.feature_shape == (6,)
    lo, hi = report.target_range
    assert 0.0 <= lo < hi <= 1.0
    prepared = prepare(DataConfig(kind="numpy", path=str(path), targets="inputs"), batch_size=8)
    xb, yb = _first_batch(prepared.train)
    np.testing.assert_array_equal(xb, yb)
    assert yb.dtype == np.float32


def test_npz_reconstruction_with_a_validation_archive(tmp_path):
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "train.npz", x=rng.normal(size=(30, 4)), y=np.arange(30) % 3)
    np.savez(tmp_path / "val.npz", x=rng.normal(size=(10, 4)))
    cfg = DataConfig(
        kind="numpy",
        path=str(tmp_path / "train.npz"),
        validation_path=str(tmp_path / "val.npz"),
        targets="inputs",
        normalization="standardize",
    )
    prepared = prepare(cfg, batch_size=5)
    assert prepared.task == "reconstruction" and prepared.val_size == 10
    for ds in (prepared.train, prepared.val):
        xb, yb = _first_batch(ds)
        np.testing.assert_array_equal(xb, yb)
    assert prepared.report.target_range is None  # standardized: unbounded


def test_csv_reconstruction_uses_every_column_as_input_and_target(tmp_path):
    path = tmp_path / "t.csv"
    rows = ["a,b,label"] + [f"{i},{i * 2 % 7},{i % 2}" for i in range(30)]
    path.write_text("\n".join(rows) + "\n")
    report = inspect(path, targets="inputs")
    assert report.ok, report.format_text()
    assert report.task == "reconstruction" and report.feature_shape == (3,)
    prepared = prepare(DataConfig(kind="csv", path=str(path), targets="inputs"), batch_size=6)
    xb, yb = _first_batch(prepared.train)
    assert xb.shape == (6, 3)
    np.testing.assert_array_equal(xb, yb)
    assert prepared.num_outputs == 3


def _autoencoder():
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(8, 8, 3))
    h = b.add("Conv2D", x, name="enc", filters=4, kernel_size=(3, 3), padding="same")
    y = b.add(
        "Conv2D", h, name="dec", filters=3, kernel_size=(3, 3), padding="same", activation="relu"
    )
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    return b.graph, x, y


def test_fit_to_reconstruction_sets_the_output_shape_and_never_adds_a_head(tmp_path):
    root = image_folder(tmp_path / "imgs", per_class=4, mode="L")
    report = inspect(root, targets="inputs")
    graph, x, y = _autoencoder()
    n_nodes = len(graph.nodes)
    history = History()
    history.push(fit_commands(graph, report))
    assert len(graph.nodes) == n_nodes  # no Dense head bolted on
    assert graph.nodes[x].params["shape"] == report.feature_shape
    assert graph.nodes[y].params["filters"] == 1  # greyscale: one channel
    assert graph.nodes[y].params["activation"] == "sigmoid"
    decl = graph.output_decl(y)
    assert decl.loss == "binary_crossentropy" and "accuracy" not in decl.metrics
    assert history.undo()
    assert graph.nodes[y].params["filters"] == 3


def test_flat_reconstruction_of_unbounded_inputs_is_linear_mse():
    from nnstudio.core.data import Report

    report = Report(
        kind="numpy", path="a.npy", samples=5, feature_shape=(6,), task="reconstruction"
    )
    report.target_range = (-3.0, 4.0)
    head = suggest_head(report)
    assert head["loss"] == "mse" and head["activation"] == "linear" and head["units"] == 6
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(4,))
    h = b.add("Dense", x, name="code", units=2)
    y = b.add("Dense", h, name="out", units=10, activation="softmax")
    graph = b.graph
    History().push(fit_commands(graph, report))
    assert graph.nodes[y].params["units"] == 6
    assert graph.nodes[y].params["activation"] == "linear"
    assert graph.output_decl(y).loss == "mse"


def test_inspect_cli_reconstruct_flag(tmp_path, capsys):
    from nnstudio.cli import main

    path = tmp_path / "signals.npy"
    np.save(path, np.random.default_rng(0).random((20, 3)).astype(np.float32))
    assert main(["inspect", str(path)]) == 1
    capsys.readouterr()
    assert main(["inspect", str(path), "--reconstruct"]) == 0
    assert "task: reconstruction" in capsys.readouterr().out
