"""``nnstudio export``: a project's latest run, a run folder, several formats at once, and
one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from export_helpers import SPECIES, TABULAR_RECORD, compiled, run_record, template_project

from nnstudio.cli import main
from nnstudio.core.export import read_card
from nnstudio.core.project import Project

RUN_ID = "run-20240101-000000"


def _project_with_run(folder: Path, *, weights_nan: bool = False, model=None) -> Path:
    """``proj.nnstudio`` with one run whose ``model.keras`` lies in ``proj.runs/<id>/``."""
    project = template_project("mlp")
    model = model if model is not None else compiled(project, seed=2)
    if weights_nan:
        kernel = model.get_layer("species").kernel
        kernel.assign(np.full(kernel.shape, np.nan, np.float32))
    run_dir = folder / "proj.runs" / RUN_ID
    run_dir.mkdir(parents=True)
    model.save(run_dir / "model.keras")
    (run_dir / "metrics.json").write_text(json.dumps({"final": {"loss": 0.5}}))
    project.add_run(run_record(TABULAR_RECORD, SPECIES, RUN_ID))
    return project.save(folder / "proj.nnstudio")


def test_export_latest_run_in_several_formats(tmp_path, capsys) -> None:
    path = _project_with_run(tmp_path)
    out = tmp_path / "out"
    assert (
        main(
            [
                "export",
                str(path),
                "--format",
                "keras,tflite",
                "-f",
                "onnx",
                "-o",
                str(out),
                "--bake-preprocessing",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert f"(run {RUN_ID})" in text
    for name in ("model.keras", "model.tflite", "model.onnx"):
        assert (out / name).is_file() and (out / f"{name}.card.json").is_file()
        assert f"{out / name}  verified with" in text
    card = read_card(out / "model.keras.card.json")
    assert card["training"]["run"] == RUN_ID and card["class_names"] == SPECIES
    assert card["preprocessing"]["included"] is True


def test_export_a_run_folder_finds_its_project_and_json_report(tmp_path, capsys) -> None:
    _project_with_run(tmp_path)
    run_dir = tmp_path / "proj.runs" / RUN_ID
    assert (
        main(["export", str(run_dir), "-f", "keras", "-o", str(tmp_path / "m.keras"), "--json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["run"] == RUN_ID and data["trained"] is True
    assert data["results"][0]["path"] == str(tmp_path / "m.keras")
    assert data["results"][0]["verification"]["passed"] is True


def test_export_a_standalone_run_folder(tmp_path, capsys) -> None:
    model = compiled(template_project("mlp"), seed=2)
    run_dir = tmp_path / "somewhere"
    run_dir.mkdir()
    model.save(run_dir / "model.keras")
    (run_dir / "metrics.json").write_text(json.dumps({"final": {"accuracy": 0.9}}))
    assert main(["export", str(run_dir), "-f", "keras", "-o", str(tmp_path / "out")]) == 0
    card = read_card(tmp_path / "out" / "model.keras.card.json")
    assert card["training"]["final_metrics"] == {"accuracy": 0.9}
    assert card["outputs"][0]["loss"] == "sparse_categorical_crossentropy"
    assert card["outputs"][0]["kind"] == "classes"


def test_export_project_without_runs_warns_untrained(tmp_path, capsys) -> None:
    path = template_project("mlp").save(tmp_path / "fresh.nnstudio")
    assert main(["export", str(path), "-f", "keras", "-o", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "warning: the project has no trained run" in captured.err
    assert "(untrained model)" in captured.out


def test_a_failed_format_exits_1_and_says_why(tmp_path, capsys, monkeypatch) -> None:
    from nnstudio.core.export import formats

    def broken(saved_model, quantize):
        raise RuntimeError("converter exploded")

    monkeypatch.setattr(formats, "_convert_tflite", broken)
    path = _project_with_run(tmp_path)
    assert main(["export", str(path), "-f", "tflite,keras", "-o", str(tmp_path / "o")]) == 1
    out = capsys.readouterr().out
    assert "tflite  FAILED: TensorFlow Lite (float) failed: RuntimeError: converter exploded" in out
    assert (tmp_path / "o" / "model.keras").is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["export", "{tmp}/missing.nnstudio", "-f", "keras", "-o", "{tmp}/o"],
            "missing.nnstudio: no such file or folder",
        ),
        (["export", "{proj}", "-f", "pdf", "-o", "{tmp}/o"], 'unknown export format "pdf"'),
        (["export", "{proj}", "-f", "keras,onnx", "-o", "{proj}"], "is a file; give a folder"),
        (
            ["export", "{proj}", "-f", "keras", "-o", "{tmp}/o", "--run", "run-x"],
            'the project has no run "run-x"',
        ),
        (["export", "{proj}", "-o", "{tmp}/o"], "the following arguments are required: --format"),
    ],
)
def test_user_errors_exit_2_with_one_line(tmp_path, capsys, args, message) -> None:
    proj = _project_with_run(tmp_path)
    argv = [a.format(tmp=tmp_path, proj=proj) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err


def test_non_finite_weights_exit_2(tmp_path, capsys) -> None:
    path = _project_with_run(tmp_path, weights_nan=True)
    assert main(["export", str(path), "-f", "keras", "-o", str(tmp_path / "o")]) == 2
    assert 'layer "species" has non-finite weights' in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_run_model_with_code_in_it_is_refused(tmp_path, capsys) -> None:
    import keras

    x = keras.Input((4,), name="features")
    y = keras.layers.Lambda(lambda t: t * 2, name="doubler")(x)
    model = keras.Model(x, keras.layers.Dense(3, name="species")(y))
    path = _project_with_run(tmp_path, model=model)
    assert main(["export", str(path), "-f", "keras", "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "model.keras: refused" in err and "Lambda" in err


def test_project_file_on_disk_is_not_modified(tmp_path) -> None:
    path = _project_with_run(tmp_path)
    before = path.read_bytes()
    assert main(["export", str(path), "-f", "keras", "-o", str(tmp_path / "o")]) == 0
    assert path.read_bytes() == before
    assert Project.load(path).runs[0]["id"] == RUN_ID


def test_export_a_bare_keras_file_and_format_keys_match_the_core(tmp_path, capsys) -> None:
    from nnstudio.cli_commands.export import FORMAT_KEYS
    from nnstudio.core.export import FORMATS

    assert tuple(FORMATS) == FORMAT_KEYS
    model = compiled(template_project("two_input"), seed=2)
    model.save(tmp_path / "mine.keras")
    assert (
        main(["export", str(tmp_path / "mine.keras"), "-f", "onnx", "-o", str(tmp_path / "out")])
        == 0
    )
    card = read_card(tmp_path / "out" / "model.onnx.card.json")
    assert card["model"] == "mine" and card["outputs"][0]["loss"] == "mse"


def test_a_preprocessing_record_that_does_not_fit_cannot_be_baked(tmp_path, capsys) -> None:
    path = _project_with_run(tmp_path)
    project = Project.load(path)
    run = project.runs[0]
    extra = {"name": "extra", "type": "numeric", "mean": 1.0, "std": 2.0}
    preprocessing = {**run.preprocessing, "features": [*run.preprocessing["features"], extra]}
    project.replace_run(run.replace(preprocessing=preprocessing))
    project.save()
    assert (
        main(
            ["export", str(path), "-f", "keras", "-o", str(tmp_path / "o"), "--bake-preprocessing"]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "the recorded preprocessing does not fit the model's inputs" in err
    assert main(["export", str(path), "-f", "keras", "-o", str(tmp_path / "o")]) == 0
    assert "the preprocessing is left out of the model card" in capsys.readouterr().err
    assert read_card(tmp_path / "o" / "model.keras.card.json")["preprocessing"]["inputs"] == []
