"""Contract over every export format record: label, naming, what it needs, and its own
writer and verifier round-tripping a small model by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.export import FORMATS, ExportError, plan_targets
from nnstudio.core.export.formats import ExportJob, Format
from nnstudio.core.export.verify import compare, predict_in_process


@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=list(FORMATS))
def test_every_record_is_complete(fmt: Format, tmp_path: Path) -> None:
    assert fmt.title and fmt.runtime and fmt.suffix and callable(fmt.writer)
    assert callable(fmt.verifier) and fmt.needs
    assert fmt.missing() == []  # the dev environment has every runtime
    assert fmt.default_name("m").endswith(fmt.target_suffix)
    # a path ending like the format is the export itself; a folder gets the default name
    direct = tmp_path / f"x{fmt.target_suffix}"
    assert plan_targets([fmt.key], direct) == {fmt.key: direct}
    assert plan_targets([fmt.key], tmp_path / "out") == {
        fmt.key: tmp_path / "out" / fmt.default_name("model")
    }


def test_suffixes_do_not_collide_in_one_folder(tmp_path: Path) -> None:
    targets = plan_targets(list(FORMATS), tmp_path)
    assert len({p.name for p in targets.values()}) == len(FORMATS)


def test_a_missing_runtime_is_named() -> None:
    fmt = FORMATS["onnx"]
    fake = Format(
        "x", "X", ".x", False, "nothing", fmt.writer, fmt.verifier, ("no_such_module_zz",)
    )
    assert fake.missing() == ["no_such_module_zz"]
    with pytest.raises(ExportError, match="unknown export format"):
        plan_targets(["nope"], "somewhere")


@pytest.fixture(scope="module")
def tiny():
    import keras

    inp = keras.Input((3,), name="features")
    out = keras.layers.Dense(2, activation="softmax", name="scores")(inp)
    model = keras.Model(inp, out, name="tiny")
    sample = {"features": np.random.default_rng(0).normal(size=(4, 3)).astype("float32")}
    return model, sample, predict_in_process(model, sample)


@pytest.mark.parametrize("key", list(FORMATS))
def test_every_records_writer_and_verifier_round_trip(key: str, tiny, tmp_path: Path) -> None:
    model, sample, reference = tiny
    fmt = FORMATS[key]
    job = ExportJob(model, {"scores": ("mse", 1.0, [])}, tmp_path / "scratch", dict(sample))
    job.scratch.mkdir()
    target = tmp_path / fmt.default_name("tiny")
    if fmt.is_dir:
        target.mkdir()
    fmt.writer(job, target)
    diffs = compare(reference, fmt.verifier(target, sample))
    assert set(diffs) == {"scores"}
    assert diffs["scores"] < (5e-2 if fmt.quantized else 1e-4)
