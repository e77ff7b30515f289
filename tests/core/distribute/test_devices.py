"""Device lists, the devices setting, clear messages for devices that are not there."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.cli import main
from nnstudio.core.training.config import ConfigError, TrainingConfig
from nnstudio.core.training.devices import Device, format_bytes, list_devices, resolve_device
from nnstudio.core.training.distribute import DistributeError, placement, shard_rows


def test_devices_have_names_and_memory() -> None:
    devices = list_devices()
    assert devices[0].id == "cpu" and devices[0].platform == "cpu"
    assert devices[0].memory is None or devices[0].memory > 1 << 20
    gpu = Device("gpu:1", "NVIDIA H100", True, 80 << 30, "gpu", (9, 0))
    assert gpu.label == "GPU:1: NVIDIA H100 (80 GiB)"
    assert format_bytes(1536) == "1.5 KiB"


def test_a_missing_gpu_is_named_with_what_there_is() -> None:
    with pytest.raises(ValueError, match=r"'gpu:3' is not available here \(available: cpu\)"):
        resolve_device("gpu:3", [Device("cpu", "CPU")])


@pytest.mark.parametrize("value", [0, -1, "two", True, 1.5])
def test_the_devices_setting_is_checked(value) -> None:
    with pytest.raises(ConfigError, match="training.devices: all or a whole number"):
        TrainingConfig(devices=value)
    assert TrainingConfig.from_json({"devices": "all"}).devices == "all"


def test_more_devices_than_there_are_is_refused_clearly() -> None:
    with pytest.raises(DistributeError, match=r"4 devices asked for, 1 here \(cpu:0\)"):
        placement(TrainingConfig(devices=4, device="cpu"))
    assert placement(TrainingConfig(devices=1, device="cpu")).id == "cpu"


def test_each_process_takes_its_slice_of_every_global_batch() -> None:
    rows = [shard_rows(20, 8, pid, 2) for pid in (0, 1)]
    assert rows[0].tolist() == [0, 1, 2, 3, 8, 9, 10, 11]  # the partial batch is dropped
    assert rows[1].tolist() == [4, 5, 6, 7, 12, 13, 14, 15]
    assert not np.intersect1d(*rows).size


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--devices", "lots"], "--devices: all or a number"),
        (["--coordinator", "127.0.0.1:1234"], "--coordinator needs --distribute multihost"),
        (["--distribute", "multihost", "--backend", "tensorflow"], "needs --backend jax"),
    ],
)
def test_train_refuses_bad_device_options(tmp_path, capsys, args, message) -> None:
    from nnstudio.core.templates import build_template

    path = build_template("mlp").save(tmp_path / "mlp.nnstudio")
    assert main(["train", str(path), *args]) == 2
    assert message in capsys.readouterr().err


def test_devices_lists_each_engine(capsys) -> None:
    assert main(["devices", "--engine", "tensorflow", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"tensorflow"' in out and '"id": "cpu"' in out
