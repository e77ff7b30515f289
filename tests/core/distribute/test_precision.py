"""Mixed precision: the policy per device, float32 outputs, loss scaling for float16."""

from __future__ import annotations

import numpy as np
import pytest
from training_helpers import blobs, mlp_graph

from nnstudio.core.training.config import TrainingConfig
from nnstudio.core.training.data import TrainingData
from nnstudio.core.training.devices import Device
from nnstudio.core.training.precision import choose_policy
from nnstudio.core.training.run import prepare_model, run_training


def _gpu(cc: tuple[int, int]) -> Device:
    return Device("gpu:0", "GPU", cc >= (7, 0), 16 << 30, "gpu", cc)


@pytest.mark.parametrize(
    ("device", "policy", "noted"),
    [
        (_gpu((9, 0)), "mixed_bfloat16", False),
        (_gpu((8, 6)), "mixed_bfloat16", False),
        (_gpu((7, 5)), "mixed_float16", False),
        (_gpu((6, 1)), "float32", True),
        (Device("tpu:0", "TPU v4", True, platform="tpu"), "mixed_bfloat16", False),
        (Device("cpu", "CPU", True), "mixed_bfloat16", False),
        (Device("cpu", "CPU", False), "mixed_bfloat16", True),
    ],
)
def test_mixed_follows_the_device(device, policy, noted) -> None:
    chosen, note = choose_policy("mixed", device)
    assert chosen == policy and (note is not None) == noted
    assert choose_policy("float32", device) == ("float32", None)
    assert choose_policy("mixed_float16", device) == ("mixed_float16", None)


def test_an_unknown_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="precision: one of float32, mixed"):
        choose_policy("int4", Device("cpu", "CPU"))


@pytest.fixture(scope="module")
def data():
    x, y = blobs(192)
    return TrainingData.from_arrays(x[:128], y[:128], val=(x[128:], y[128:]))


def _train(data, precision):
    config = TrainingConfig(
        epochs=1, mixed_precision=True, probe_budget=0.0, tensorboard=False, device="cpu"
    )
    model = prepare_model(mlp_graph(), config, data, precision=precision)
    return model, run_training(model, data, config)


def test_mixed_bfloat16_trains_on_the_cpu_with_float32_outputs(data) -> None:
    model, result = _train(data, "mixed")
    assert result.ok and np.isfinite(result.final()["loss"])
    assert model.get_layer("hidden").dtype_policy.name == "mixed_bfloat16"
    assert model.get_layer("hidden").compute_dtype == "bfloat16"
    assert model.get_layer("out").compute_dtype == "float32"  # the output layer
    assert all(w.dtype == "float32" for w in model.weights)  # weights stay float32
    assert model.predict(data.train[0][:4], verbose=0).dtype == np.float32
    assert any("bfloat16" in note for note in result.notes)


def test_mixed_float16_scales_the_loss(data) -> None:
    import keras

    model, result = _train(data, "mixed_float16")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert result.ok and np.isfinite(result.final()["loss"])
    assert model.predict(data.train[0][:4], verbose=0).dtype == np.float32
