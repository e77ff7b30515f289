"""Devices to train on: the CPU and each GPU the Keras backend sees, by name."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Device:
    """A device choice: ``id`` as stored in TrainingConfig (``cpu``, ``gpu:0``) and a label."""

    id: str
    name: str
    mixed_precision: bool = False  # float16 compute is fast on it


def list_devices() -> list[Device]:
    """The CPU first, then every GPU of the active Keras backend (imports Keras)."""
    import keras

    devices = [Device("cpu", "CPU")]
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        for i, gpu in enumerate(tf.config.list_physical_devices("GPU")):
            details: dict[str, Any] = {}
            with contextlib.suppress(Exception):
                details = tf.config.experimental.get_device_details(gpu)
            cc = details.get("compute_capability") or (0, 0)
            devices.append(
                Device(f"gpu:{i}", str(details.get("device_name") or gpu.name), tuple(cc) >= (7, 0))
            )
    elif backend == "torch":
        import torch

        for i in range(torch.cuda.device_count()):
            cc = torch.cuda.get_device_capability(i)
            devices.append(Device(f"gpu:{i}", torch.cuda.get_device_name(i), cc >= (7, 0)))
    elif backend == "jax":
        import jax

        for i, d in enumerate(d for d in jax.devices() if d.platform == "gpu"):
            devices.append(Device(f"gpu:{i}", str(getattr(d, "device_kind", d)), True))
    return devices


def resolve_device(device: str, devices: list[Device] | None = None) -> Device:
    """The device a config's ``device`` means (``auto``: the first GPU, else the CPU).

    ``ValueError`` when a named GPU does not exist.
    """
    devices = list_devices() if devices is None else devices
    if device == "auto":
        return devices[1] if len(devices) > 1 else devices[0]
    for d in devices:
        if d.id == device:
            return d
    names = ", ".join(d.id for d in devices)
    raise ValueError(f"device {device!r} is not available here (available: {names})")


@contextlib.contextmanager
def device_scope(device: Device) -> Iterator[None]:
    """Place variables and computation on ``device`` (``keras.device``).

    On the torch and jax backends the backend's own default device is used without a scope:
    Keras 3.15's torch device scope breaks layers with integer state (Dropout's seed).
    """
    import keras

    if keras.backend.backend() != "tensorflow" and device == resolve_device("auto"):
        yield
        return
    kind, _, index = device.id.partition(":")
    with keras.device(f"{kind}:{index or 0}"):
        yield
