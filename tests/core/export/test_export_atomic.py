"""Atomicity: a failed export (full disk mid-write, read-only folder, converter error, failed
verification) leaves the earlier export byte-identical, no temporary files, and says why.
Refusals (non-finite weights) write nothing; an untrained model exports with a warning."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
from export_helpers import SPECIES, TABULAR_RECORD, compiled, run_record, template_project

import nnstudio.core.atomic as atomic
from nnstudio.core.export import ExportError, export_model, read_card, source_from_model
from nnstudio.core.export import formats as fmt_mod
from nnstudio.core.export import pipeline as pipeline_mod
from nnstudio.core.export.source import source_from_project


def _digest(path: Path) -> dict[str, str]:
    """sha256 of a file, or of every file in a folder (relative names)."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {
        str(p.relative_to(path.parent)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }


def _hidden(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.fixture(scope="module")
def mlp():
    project = template_project("mlp")
    return project, compiled(project, seed=3)


@pytest.fixture
def first_export(mlp, tmp_path):
    """A good export of keras, savedmodel, tflite and onnx already in ``tmp_path``; then the
    model changes (so a second export would write different bytes)."""
    project, model = mlp
    source = source_from_model(model, project, run_record(TABULAR_RECORD, SPECIES))
    report = export_model(source, ["keras", "savedmodel", "tflite", "onnx"], tmp_path)
    assert report.ok
    before = {r.format: (_digest(r.path), _digest(r.card_path)) for r in report.results}
    changed = compiled(project, seed=4)
    return source_from_model(changed, project, run_record(TABULAR_RECORD, SPECIES)), before


def _real_then_fail(real, keep_fraction: float = 0.5):
    """A writer that writes the real artefact, truncates it, then fails as a full disk."""

    def writer(job, target: Path) -> None:
        real(job, target)
        files = (
            [target] if target.is_file() else sorted(p for p in target.rglob("*") if p.is_file())
        )
        for f in files[: max(1, len(files) // 2)]:
            data = f.read_bytes()
            f.write_bytes(data[: int(len(data) * keep_fraction)])
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    return writer


@pytest.mark.parametrize("fmt", ["keras", "savedmodel"])
def test_full_disk_mid_write_keeps_the_earlier_export(
    first_export, tmp_path, monkeypatch, fmt
) -> None:
    source, before = first_export
    record = fmt_mod.FORMATS[fmt]
    failing = dataclasses.replace(record, writer=_real_then_fail(record.writer))
    monkeypatch.setitem(fmt_mod.FORMATS, fmt, failing)
    report = export_model(source, [fmt], tmp_path)
    result = report.results[0]
    assert not report.ok and not result.ok
    assert "No space left on device" in result.error and str(result.path) in result.error
    assert (_digest(result.path), _digest(Path(str(result.path) + ".card.json"))) == before[fmt]
    assert _hidden(tmp_path) == []


def test_failing_to_write_the_card_keeps_the_earlier_model_and_card(
    first_export, tmp_path, monkeypatch
) -> None:
    source, before = first_export

    def full_disk(card):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pipeline_mod, "card_json", full_disk)
    report = export_model(source, ["keras", "savedmodel"], tmp_path)
    for r in report.results:
        assert not r.ok and "No space left on device" in r.error and r.card_path is None
        assert (_digest(r.path), _digest(Path(str(r.path) + ".card.json"))) == before[r.format]
    assert _hidden(tmp_path) == []


def test_read_only_folder_is_reported_and_nothing_changes(
    first_export, tmp_path, monkeypatch
) -> None:
    source, before = first_export

    def refusing(real):
        def make(suffix=None, prefix=None, dir=None, *args):  # noqa: A002 - tempfile's name
            if dir is not None and Path(dir) == tmp_path:  # the export folder is read-only
                raise PermissionError(errno.EACCES, "Permission denied", str(dir))
            return real(suffix, prefix, dir, *args)

        return make

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refusing(atomic.tempfile.mkstemp))
    monkeypatch.setattr(atomic.tempfile, "mkdtemp", refusing(atomic.tempfile.mkdtemp))
    report = export_model(source, ["keras", "savedmodel"], tmp_path)
    assert [r.ok for r in report.results] == [False, False]
    assert all("Permission denied" in r.error for r in report.results)
    for r in report.results:
        assert (_digest(r.path), _digest(Path(str(r.path) + ".card.json"))) == before[r.format]


def test_converter_error_keeps_the_earlier_file_and_other_formats_still_export(
    first_export, tmp_path, monkeypatch
) -> None:
    source, before = first_export

    def broken(saved_model, quantize):
        raise RuntimeError(
            "ConverterError: failed to legalize operation 'tf.Frobnicate'\nmany more lines"
        )

    monkeypatch.setattr(fmt_mod, "_convert_tflite", broken)
    report = export_model(source, ["tflite", "keras"], tmp_path)
    tflite, keras_result = report.results
    assert not tflite.ok and keras_result.ok
    assert tflite.error == (
        "TensorFlow Lite (float) failed: RuntimeError: ConverterError: "
        "failed to legalize operation 'tf.Frobnicate'"
    )
    assert _digest(tflite.path) == before["tflite"][0]
    assert _digest(keras_result.path) != before["keras"][0]  # the new model replaced it
    assert _hidden(tmp_path) == []


def test_failed_verification_keeps_the_earlier_file(first_export, tmp_path, monkeypatch) -> None:
    source, before = first_export
    record = fmt_mod.FORMATS["onnx"]
    real = record.verifier

    def off_by_a_bit(path, sample):
        return {k: v + 1e-3 for k, v in real(path, sample).items()}

    monkeypatch.setitem(fmt_mod.FORMATS, "onnx", dataclasses.replace(record, verifier=off_by_a_bit))
    report = export_model(source, ["onnx"], tmp_path)
    result = report.results[0]
    assert not result.ok and result.error.startswith("verification failed: onnxruntime")
    assert result.verification.max_abs_diff == pytest.approx(1e-3, rel=1e-3)
    assert _digest(result.path) == before["onnx"][0]
    assert _hidden(tmp_path) == []


def test_non_finite_weights_are_refused_before_writing(mlp, tmp_path) -> None:
    project, model = mlp
    broken = compiled(project, seed=5)
    kernel = broken.get_layer("hidden_2").kernel
    value = np.array(kernel.numpy())
    value[0, 0] = np.nan
    kernel.assign(value)
    with pytest.raises(ExportError, match='layer "hidden_2" has non-finite weights'):
        export_model(source_from_model(broken, project, None), ["keras"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_untrained_model_exports_with_a_warning(tmp_path) -> None:
    source = source_from_project(template_project("two_input"))
    report = export_model(source, ["keras"], tmp_path)
    assert report.ok
    assert any("untrained" in w for w in report.warnings)
    card = read_card(report.results[0].card_path)
    assert card["training"]["trained"] is False and card["training"]["run"] is None
    assert any("untrained" in n for n in card["notes"])


def test_cancel_stops_between_formats(mlp, tmp_path) -> None:
    project, model = mlp
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 1

    report = export_model(
        source_from_model(model, project, None), ["keras", "onnx"], tmp_path, cancelled=cancelled
    )
    assert report.cancelled and not report.ok
    assert [r.format for r in report.results] == ["keras"]
    assert not (tmp_path / "model.onnx").exists()


def test_bad_destinations_and_formats_are_refused(mlp, tmp_path) -> None:
    project, model = mlp
    source = source_from_model(model, project, None)
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="is a file; give a folder"):
        export_model(source, ["keras", "onnx"], blocker)
    with pytest.raises(ExportError, match='unknown export format "pdf"'):
        export_model(source, ["pdf"], tmp_path)
    shutil.rmtree(tmp_path / "x.keras", ignore_errors=True)
    (tmp_path / "x.keras").mkdir()
    with pytest.raises(ExportError, match="a folder is already there"):
        export_model(source, ["keras"], tmp_path / "x.keras")
