"""Data parallel on two logical CPU devices, TensorFlow (MirroredStrategy) and JAX
(keras.distribution.DataParallel), each in a child process: the loss after a fixed number
of steps matches a one-device run, and every global batch is split over the devices."""

from __future__ import annotations

import pytest
from distribute_helpers import run_child

# One child trains the same seeded MLP on one device and on two, with plain SGD and no
# shuffling, so both runs take the same steps on the same batches.
TRAIN = """
import json
from training_helpers import blobs, mlp_graph
from nnstudio.core.training.config import TrainingConfig
from nnstudio.core.training.data import TrainingData
from nnstudio.core.training.distribute import placement
from nnstudio.core.training.run import prepare_model, run_training

x, y = blobs(256)
data = TrainingData.from_arrays(x[:192], y[:192], val=(x[192:], y[192:]))
out = {}
for n, precision in ((1, None), (2, None), (2, "mixed")):
    config = TrainingConfig(
        epochs=2, batch_size=32, devices=n, device="cpu", probe_budget=0.0,
        tensorboard=False, shuffle=False, optimizer="sgd", learning_rate=0.05,
    )
    device = placement(config)
    model = prepare_model(mlp_graph(), config, data, device, precision)
    result = run_training(model, data, config, device=device)
    out[f"{n}{precision or ''}"] = {
        "status": str(result.status),
        "message": result.message,
        "loss": result.final().get("loss"),
        "device": result.device,
        "split": device.batch_split((32, 4)) if n > 1 else None,
        "out_dtype": str(model.predict(x[:4], verbose=0).dtype),
    }
print(json.dumps(out))
"""

TF_TWO_CPUS = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
"""


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_two_devices_match_one_and_split_each_batch(backend) -> None:
    if backend == "jax":
        pytest.importorskip("jax")
        out = run_child(TRAIN, "jax", XLA_FLAGS="--xla_force_host_platform_device_count=2")
    else:
        out = run_child(TF_TWO_CPUS + TRAIN, "tensorflow")
    one, two, mixed = out["1"], out["2"], out["2mixed"]
    assert one["status"] == two["status"] == mixed["status"] == "completed", out
    assert two["device"] == "cpu:0+cpu:1"
    assert two["split"] == [[16, 4], [16, 4]]  # 32 samples a step, 16 on each device
    assert two["loss"] == pytest.approx(one["loss"], rel=1e-4, abs=1e-5)
    assert mixed["out_dtype"] == "float32"  # bfloat16 compute, float32 outputs
    assert mixed["loss"] == pytest.approx(one["loss"], rel=0.1)
