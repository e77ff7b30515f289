"""Every format for four models (MLP on tabular data, CNN on images, LSTM on sequences, two
inputs and two outputs): exported once per module, then reloaded here with each runtime
directly and compared with the in-app model on a fresh batch; the model cards checked."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from export_helpers import (
    ARRAY_RECORD,
    DIGITS,
    IMAGE_RECORD,
    SPECIES,
    TABULAR_RECORD,
    compiled,
    keras_predict,
    max_diff,
    onnx_predict,
    python_predict_many,
    run_record,
    savedmodel_predict,
    template_project,
    tflite_predict,
    two_in_two_out_project,
)

from nnstudio.core.export import (
    FLOAT_TOLERANCE,
    FORMATS,
    card_path_for,
    export_model,
    read_card,
    source_from_model,
)

ALL = list(FORMATS)
FLOAT_FORMATS = ["keras", "savedmodel", "tflite", "onnx", "python"]
RUNTIMES = {
    "keras": keras_predict,
    "savedmodel": savedmodel_predict,
    "tflite": tflite_predict,
    "tflite-int8": tflite_predict,
    "onnx": onnx_predict,
}
MEANS = np.array([5.8, 3.0, 3.8, 1.2], np.float32)
STDS = np.array([0.8, 0.4, 1.7, 0.75], np.float32)


def _raw_batches(rng: np.random.Generator) -> dict[str, tuple[dict, dict]]:
    """Per model: (raw inputs for the export, the same made model-ready by hand)."""
    tab = (MEANS + STDS * rng.standard_normal((6, 4))).astype(np.float32)
    img = rng.integers(0, 256, size=(6, 28, 28, 1)).astype(np.float32)
    seq = rng.standard_normal((5, 64, 1)).astype(np.float32)
    meas = rng.standard_normal((7, 8)).astype(np.float32)
    ctx = rng.standard_normal((7, 4)).astype(np.float32)
    return {
        "mlp": ({"features": tab}, {"features": (tab - MEANS) / STDS}),
        "cnn": ({"image": img}, {"image": img / np.float32(255.0)}),
        "lstm": ({"sequence": seq}, {"sequence": seq}),
        "two": ({"measurements": meas, "context": ctx}, {"measurements": meas, "context": ctx}),
    }


CASES = {  # name: (project factory args, preprocessing, class names, bake)
    "mlp": ("mlp", TABULAR_RECORD, SPECIES, True),
    "cnn": ("small_cnn", IMAGE_RECORD, DIGITS, True),
    "lstm": ("lstm", ARRAY_RECORD, ["sine", "square", "sawtooth"], False),
    "two": (None, None, None, False),
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Each case exported in every format (one export call per case)."""
    out = {}
    for case, (template, record, classes, bake) in CASES.items():
        project = template_project(template) if template else two_in_two_out_project()
        model = compiled(project)
        run = run_record(record, classes)
        source = source_from_model(model, project, run)
        folder = tmp_path_factory.mktemp(case)
        report = export_model(source, ALL, folder, bake=bake)
        out[case] = (model, project, run, report, folder)
    return out


def _expected(model, ready: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    names = [t.name for t in model.inputs]
    out = model.predict([ready[n] for n in names] if len(names) > 1 else ready[names[0]], verbose=0)
    out = out if isinstance(out, list) else [out]
    return dict(zip(model.output_names, out, strict=True))


def test_every_format_is_written_and_verified(exported) -> None:
    for case, (_, _, _, report, folder) in exported.items():
        assert report.ok, (case, [(r.format, r.error) for r in report.results])
        assert [r.format for r in report.results] == ALL
        for r in report.results:
            assert r.path.parent == folder and r.path.exists()
            assert r.card_path == card_path_for(r.path) and r.card_path.is_file()
            v = r.verification
            assert v is not None and v.samples > 0
            if FORMATS[r.format].quantized:
                assert v.tolerance is None and 0 < v.max_abs_diff < 0.05
            else:
                assert v.max_abs_diff <= FLOAT_TOLERANCE, (case, r.format, v.max_abs_diff)
        leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".")]
        assert leftovers == []


@pytest.mark.parametrize("fmt", list(RUNTIMES))
def test_reloaded_with_its_own_runtime_predicts_like_the_model(exported, fmt) -> None:
    batches = _raw_batches(np.random.default_rng(7))
    for case, (model, _, _, report, _) in exported.items():
        raw, ready = batches[case]
        path = next(r.path for r in report.results if r.format == fmt)
        got = RUNTIMES[fmt](path, raw)
        diff = max_diff(_expected(model, ready), got)
        limit = 0.05 if FORMATS[fmt].quantized else FLOAT_TOLERANCE
        assert diff <= limit, (case, fmt, diff)


def test_generated_python_runs_in_a_fresh_interpreter(exported, tmp_path) -> None:
    batches = _raw_batches(np.random.default_rng(11))
    jobs, expected = [], {}
    for case, (model, _, _, report, _) in exported.items():
        folder = next(r.path for r in report.results if r.format == "python")
        assert sorted(p.name for p in folder.iterdir()) == ["model.py", "model.weights.h5"]
        raw, ready = batches[case]
        jobs.append((folder, raw))
        expected[folder] = _expected(model, ready)
    results = python_predict_many(jobs, tmp_path)
    for folder, got in results.items():
        assert max_diff(expected[folder], got) <= FLOAT_TOLERANCE, folder


def test_savedmodel_tflite_and_onnx_name_inputs_and_outputs_like_the_model(exported) -> None:
    import onnxruntime as ort

    model, *_, report, _ = exported["two"]
    by_format = {r.format: r.path for r in report.results}
    session = ort.InferenceSession(str(by_format["onnx"]), providers=["CPUExecutionProvider"])
    assert sorted(i.name for i in session.get_inputs()) == ["context", "measurements"]
    assert sorted(o.name for o in session.get_outputs()) == ["kind", "price"]
    assert session.get_inputs()[0].shape[0] not in (1, 7)  # the batch axis stays dynamic
    batch = _raw_batches(np.random.default_rng(3))["two"][0]
    assert set(savedmodel_predict(by_format["savedmodel"], batch)) == {"kind", "price"}
    assert set(tflite_predict(by_format["tflite"], batch)) == {"kind", "price"}


def test_model_cards_describe_inputs_outputs_preprocessing_and_training(exported) -> None:
    for model, _, run, report, _ in exported.values():
        for r in report.results:
            card = read_card(r.card_path)
            assert card["format"] == r.format and card["file"] == r.path.name
            assert [i["name"] for i in card["inputs"]] == [t.name for t in model.inputs]
            assert [o["name"] for o in card["outputs"]] == list(model.output_names)
            assert card["training"]["data_hash"] == run["data_hash"]
            assert card["training"]["final_metrics"] == run["final"]
            assert card["training"]["run"] == run["id"]
            assert card["verification"]["passed"] is True
            json.dumps(card, allow_nan=False)
    mlp = read_card(card_path_for(exported["mlp"][4] / "model.keras"))
    assert mlp["class_names"] == SPECIES and mlp["outputs"][0]["kind"] == "classes"
    assert mlp["preprocessing"]["included"] is True
    assert mlp["inputs"][0]["columns"] == [f["name"] for f in TABULAR_RECORD["features"]]
    assert "probability of each class" in mlp["outputs"][0]["meaning"]
    cnn = read_card(card_path_for(exported["cnn"][4] / "model.onnx"))
    assert cnn["inputs"][0]["shape"] == [None, None, None, 1]  # any image size, resized inside
    assert [s["kind"] for s in cnn["preprocessing"]["inputs"][0]["steps"]] == ["resize", "rescale"]
    lstm = read_card(card_path_for(exported["lstm"][4] / "model.tflite"))
    assert lstm["preprocessing"]["included"] is False
    assert lstm["preprocessing"]["inputs"][0]["steps"][0]["kind"] == "normalize"
    assert any("exactly 1 sample" in n for n in lstm["notes"])
    two = read_card(card_path_for(exported["two"][4] / "model_savedmodel"))
    assert [(o["name"], o["kind"]) for o in two["outputs"]] == [
        ("price", "values"),
        ("kind", "classes"),
    ]
    assert two["class_names"] is None and "class_names" not in two["outputs"][1]


def test_quantized_tflite_reports_accuracy_on_the_validation_split(exported, tmp_path) -> None:
    model, project, run, _, _ = exported["lstm"]
    rng = np.random.default_rng(5)
    x = rng.standard_normal((40, 64, 1)).astype(np.float32)
    y = np.argmax(model.predict(x, verbose=0), axis=1)
    y[:10] = (y[:10] + 1) % 3  # a quarter of the labels disagree with the float model
    source = source_from_model(model, project, run)
    report = export_model(source, ["tflite-int8"], tmp_path, validation=(x, y))
    v = report.results[0].verification
    assert report.ok and v.validation_samples == 40
    assert v.reference_accuracy == pytest.approx(0.75)
    quantized = tflite_predict(report.results[0].path, {"sequence": x})["label"]
    assert v.accuracy == pytest.approx(float(np.mean(np.argmax(quantized, axis=1) == y)))
    assert read_card(report.results[0].card_path)["verification"]["accuracy"] == v.accuracy


def test_single_format_to_its_own_path(exported, tmp_path) -> None:
    model, project, run, _, _ = exported["two"]
    target = tmp_path / "nested" / "two.onnx"
    report = export_model(source_from_model(model, project, run), ["onnx"], target)
    assert report.ok and report.results[0].path == target and target.is_file()
    assert Path(str(target) + ".card.json").is_file()
