"""The check before training: data against model (core/preflight.py) and `nnstudio train`."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnstudio.cli import main
from nnstudio.core.data import DataConfig, inspect_source
from nnstudio.core.data.report import Report
from nnstudio.core.graph import check_graph
from nnstudio.core.graph.commands import SetOutput, SetParams
from nnstudio.core.preflight import cli_message, preflight
from nnstudio.core.project import Project
from nnstudio.core.templates import build_template

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = ROOT / "resources" / "samples"
HOUSING = SAMPLE_DIR / "housing.csv"


def _classes(k: int, shape: tuple[int, ...] = (4,), **kw) -> Report:
    return Report(
        "csv",
        "x.csv",
        samples=100,
        feature_shape=shape,
        task="classification",
        classes=[(f"c{i}", 10) for i in range(k)],
        num_outputs=k,
        **kw,
    )


def _regression(n: int = 1, shape: tuple[int, ...] = (8,)) -> Report:
    return Report(
        "csv", "x.csv", samples=100, feature_shape=shape, task="regression", num_outputs=n
    )


def _codes(issues) -> list[str]:
    return [i.code for i in issues]


def test_a_fitting_template_and_sample_have_no_issues() -> None:
    graph = build_template("mlp").graph
    assert preflight(graph, _classes(3)) == []


def test_housing_on_the_four_input_classifier_names_input_and_output() -> None:
    graph = build_template("mlp").graph
    issues = preflight(graph, _regression(1, (8,)))
    by_code = {i.code: i for i in issues}
    inp = graph.node_by_name("features")
    out = graph.node_by_name("species")
    shape = by_code["data-shape"]
    assert shape.node == inp.id and shape.severity == "error"
    assert shape.message == "The data has 8 features, Input 'features' takes 4."
    assert shape.hint == "Fit model to data"
    assert by_code["data-targets"].node == out.id
    assert "1 regression target" in by_code["data-targets"].message
    assert by_code["data-loss"].node == out.id and "mse" in by_code["data-loss"].hint
    assert by_code["data-activation"].node == out.id  # softmax cannot regress


def test_class_count_loss_and_activation_against_the_targets() -> None:
    graph = build_template("mlp").graph
    out = graph.node_by_name("species")
    issues = preflight(graph, _classes(5))
    assert _codes(issues) == ["data-classes"]
    assert issues[0].message == "The data has 5 classes, output 'species' gives 3 values."
    SetParams(graph, out.id, {"activation": "relu"}).redo()
    assert _codes(preflight(graph, _classes(3))) == ["data-activation"]
    SetParams(graph, out.id, {"activation": "softmax"}).redo()
    SetOutput(graph, out.id, loss="mse", metrics=["mae"]).redo()
    assert _codes(preflight(graph, _classes(3))) == ["data-loss"]
    SetOutput(graph, out.id, loss="binary_crossentropy", metrics=["accuracy"]).redo()
    assert _codes(preflight(graph, _classes(3))) == ["data-loss"]


def test_two_classes_fit_one_sigmoid_unit_or_two_softmax_units() -> None:
    graph = build_template("transformer").graph  # Dense(2) softmax, sparse CE
    tokens = _classes(2, (32,), details={"features_dtype": "int32"})
    assert preflight(graph, tokens) == []
    out = graph.node_by_name("label")
    SetParams(graph, out.id, {"units": 1, "activation": "sigmoid"}).redo()
    SetOutput(graph, out.id, loss="binary_crossentropy", metrics=["accuracy"]).redo()
    assert preflight(graph, tokens) == []


def test_embedding_needs_integer_tokens() -> None:
    graph = build_template("transformer").graph
    issues = preflight(graph, _classes(2, (32,), details={"features_dtype": "float32"}))
    assert _codes(issues) == ["data-dtype"]
    assert issues[0].node == graph.node_by_name("tokens").id
    assert "whole-number token ids" in issues[0].message and "float32" in issues[0].message


def test_image_shape_mismatch_is_shown_with_all_dimensions() -> None:
    graph = build_template("small_cnn").graph
    issues = preflight(graph, _classes(10, (32, 32, 3)))
    assert [i.message for i in issues] == [
        "The data has samples of shape 32×32×3, Input 'image' takes 28×28×1."
    ]


def test_reconstruction_targets_need_an_output_shaped_like_the_input() -> None:
    graph = build_template("autoencoder").graph
    shapes = check_graph(graph).shapes
    digits = _classes(10, (28, 28, 1))
    assert preflight(graph, digits, shapes, targets="inputs") == []
    # without reconstruction targets the digits' labels do not fit a reconstruction
    assert set(_codes(preflight(graph, digits, shapes))) == {"data-classes", "data-loss"}
    issues = preflight(graph, _classes(10, (28, 28, 3)), shapes, targets="inputs")
    assert "data-targets" in _codes(issues)
    out = graph.node_by_name("reconstruction")
    SetOutput(graph, out.id, loss="sparse_categorical_crossentropy").redo()
    assert _codes(preflight(graph, digits, shapes, targets="inputs")) == ["data-loss"]


def test_several_inputs_against_one_array() -> None:
    graph = build_template("two_input").graph
    issues = preflight(graph, _regression(1, (12,)))
    assert _codes(issues) == ["data-inputs"]
    assert "2 Inputs ('measurements', 'context')" in issues[0].message


def test_preflight_on_a_real_inspection_report() -> None:
    project = Project.load(ROOT / "resources" / "templates" / "lstm.nnstudio")
    report = inspect_source(project.data)
    assert preflight(project.graph, report) == []
    housing = inspect_source(DataConfig(kind="csv", path=str(HOUSING)))
    assert "data-shape" in _codes(preflight(project.graph, housing))


def test_cli_message_is_one_line_with_the_fix() -> None:
    graph = build_template("mlp").graph
    text = cli_message(graph, preflight(graph, _regression(1, (8,))))
    assert "\n" not in text
    assert text.startswith(
        "the data does not fit the model: The data has 8 features, Input 'features' takes 4: "
        "Fit model to data"
    )
    assert "--data PATH" in text


@pytest.fixture()
def misfit_project(tmp_path: Path) -> Path:
    """The MLP template whose data source is the housing table (8 features, regression)."""
    project = build_template("mlp", str(SAMPLE_DIR))
    project.data = {"kind": "csv", "path": str(HOUSING)}
    project.training = {"epochs": 1}
    return project.save(tmp_path / "misfit.nnstudio")


def test_train_refuses_a_misfit_with_exit_2(misfit_project: Path, capsys, tmp_path) -> None:
    before = misfit_project.read_bytes()
    code = main(["train", str(misfit_project), "--out", str(tmp_path / "run"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "The data has 8 features, Input 'features' takes 4: Fit model to data" in err
    assert not (tmp_path / "run").exists()
    assert misfit_project.read_bytes() == before


def test_train_with_data_that_fits_the_model_runs(misfit_project: Path, capsys, tmp_path) -> None:
    code = main(
        ["train", str(misfit_project), "--data", str(HOUSING), "--out", str(tmp_path / "run")]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert (tmp_path / "run" / "metrics.json").is_file()


def test_with_preflight_adds_the_issues_to_a_graph_check() -> None:
    from nnstudio.core.preflight import with_preflight

    graph = build_template("mlp").graph
    checked = check_graph(graph)
    assert checked.ok
    combined = with_preflight(checked, graph, _regression(1, (8,)))
    assert not combined.ok and combined.shapes is checked.shapes
    assert [i.code for i in combined.for_node(graph.node_by_name("features").id)] == ["data-shape"]
    assert with_preflight(checked, graph, _classes(3)).ok


def test_autoencoder_fits_its_reconstruction_sample() -> None:
    project = Project.load(ROOT / "resources" / "templates" / "autoencoder.nnstudio")
    config = project.data
    assert config.targets == "inputs"
    report = inspect_source(config)
    assert report.task == "reconstruction"
    shapes = check_graph(project.graph).shapes
    assert preflight(project.graph, report, shapes, config.targets) == []
    labels = inspect_source(config.replace(targets="labels"))  # the digits' classes instead
    assert "data-classes" in _codes(preflight(project.graph, labels, shapes))


def _two_inputs(**shapes: tuple[tuple[int, ...], str]) -> Report:
    inputs = {name: {"shape": list(s), "dtype": d} for name, (s, d) in shapes.items()}
    return Report(
        "numpy",
        "x.npz",
        samples=100,
        task="regression",
        num_outputs=1,
        details={"inputs": inputs},
    )


def test_several_inputs_each_against_its_named_array() -> None:
    graph = build_template("two_input").graph
    fits = _two_inputs(measurements=((8,), "float32"), context=((4,), "float32"))
    assert preflight(graph, fits) == []
    # an array the model does not use is no problem (Keras ignores it)
    more = _two_inputs(
        measurements=((8,), "float32"), context=((4,), "float32"), extra=((3,), "float32")
    )
    assert preflight(graph, more) == []
    wrong = _two_inputs(measurements=((8,), "float32"), context=((5, 2), "float32"))
    (issue,) = preflight(graph, wrong)
    assert issue.code == "data-shape" and issue.node == graph.node_by_name("context").id
    assert (
        issue.message == "The data's 'context' has samples of shape 5×2, Input 'context' takes 4."
    )
    assert issue.hint == "Fit model to data"


def test_token_input_among_several_needs_integer_ids() -> None:
    from nnstudio.core.graph.builder import GraphBuilder

    b = GraphBuilder()
    t = b.add("Input", name="tokens", shape=(16,), dtype="int32")
    n = b.add("Input", name="numbers", shape=(3,))
    e = b.add("Embedding", t, name="embedding", input_dim=50, output_dim=8)
    p = b.add("GlobalAveragePooling1D", e, name="pool")
    h = b.add("Concatenate", [p, n], name="concat")
    y = b.add("Dense", h, name="out", units=1)
    b.output(y, "mse", ["mae"])
    ints = _two_inputs(tokens=((16,), "int32"), numbers=((3,), "float32"))
    assert preflight(b.graph, ints) == []
    floats = _two_inputs(tokens=((16,), "float64"), numbers=((3,), "float32"))
    (issue,) = preflight(b.graph, floats)
    assert issue.code == "data-dtype" and issue.node == b.graph.node_by_name("tokens").id
    assert "the data's 'tokens' holds float64 values" in issue.message


def test_train_refuses_two_input_data_that_does_not_fit(tmp_path: Path, capsys) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    npz = tmp_path / "six.npz"
    np.savez(
        npz,
        measurements=rng.normal(size=(50, 6)).astype(np.float32),
        context=np.eye(4, dtype=np.float32)[rng.integers(0, 4, 50)],
        target=rng.normal(size=50).astype(np.float32),
    )
    project = build_template("two_input", str(SAMPLE_DIR))
    project.data = {"kind": "numpy", "path": str(npz), "targets_key": "target"}
    path = project.save(tmp_path / "p.nnstudio")
    code = main(["train", str(path), "--out", str(tmp_path / "run"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "The data's 'measurements' has 6 features, Input 'measurements' takes 8" in err
    assert not (tmp_path / "run").exists()


def test_train_with_two_input_data_fits_each_input_by_name(tmp_path: Path, capsys) -> None:
    project = build_template("two_input")  # no data; Input 'measurements' takes 8
    project.graph.node_by_name("measurements").params["shape"] = (3,)
    path = project.save(tmp_path / "p.nnstudio")
    sample = SAMPLE_DIR / "two_inputs.npz"
    args = ["train", str(path), "--out", str(tmp_path / "run"), "--epochs", "1", "--quiet"]
    code = main(args + ["--data", str(sample)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert (tmp_path / "run" / "metrics.json").is_file()
