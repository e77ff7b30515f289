"""The TensorFlow worker process that writes SavedModel/TFLite/ONNX for a model trained on
another backend: driven here from this (TensorFlow) process, one worker for the module."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from nnstudio.core.export import verify as vf  # noqa: E402
from nnstudio.core.export.formats import ExportJob  # noqa: E402
from nnstudio.core.export.report import ExportError  # noqa: E402
from nnstudio.core.export.tf_export import write_in_tensorflow  # noqa: E402


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    import keras

    inputs = keras.Input((4,), name="features")
    outputs = keras.layers.Dense(3, activation="softmax", name="species")(inputs)
    model = keras.Model(inputs, outputs, name="tiny")
    sample = {"features": np.random.default_rng(0).normal(size=(5, 4)).astype("float32")}
    job = ExportJob(model, {}, tmp_path_factory.mktemp("scratch"), sample)
    yield job
    job.close()


def test_the_worker_writes_formats_that_reload_with_their_runtime(job, tmp_path) -> None:
    want = np.asarray(job.model.predict(job.sample["features"], verbose=0))
    saved = tmp_path / "m_savedmodel"
    saved.mkdir()
    write_in_tensorflow(job, "savedmodel", saved)
    got = vf.predict_savedmodel(saved, job.sample)
    np.testing.assert_allclose(next(iter(got.values())), want, atol=1e-5)
    first = job.tf_worker
    write_in_tensorflow(job, "tflite", tmp_path / "m.tflite")  # the same process again
    assert job.tf_worker is first
    got = vf.predict_tflite(tmp_path / "m.tflite", job.sample)
    np.testing.assert_allclose(next(iter(got.values())), want, atol=1e-5)


def test_a_failure_in_the_worker_is_one_clear_line(job, tmp_path) -> None:
    with pytest.raises(ExportError, match="the TensorFlow process could not write nope: KeyError"):
        write_in_tensorflow(job, "nope", tmp_path / "x")
    worker = job.tf_worker
    job.close()
    assert job.tf_worker is None and worker.proc.returncode == 0
