"""Devices to train on: the CPU and each GPU the Keras backend sees, by name and memory.

:func:`list_devices` lists the active Keras backend's devices (what a run can use);
:func:`engine_devices` lists TensorFlow's or JAX's devices whichever backend is active (for
``nnstudio devices``).  On TensorFlow, memory growth is turned on for every GPU before it is
first used, so a run takes the memory it needs instead of the whole card.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("nnstudio.training")

#: compute capability from which a GPU has tensor cores (fast float16)
FLOAT16_CC = (7, 0)
#: compute capability from which a GPU computes bfloat16 on its tensor cores (Ampere)
BFLOAT16_CC = (8, 0)


@dataclass(frozen=True)
class Device:
    """A device choice: ``id`` as stored in TrainingConfig (``cpu``, ``gpu:0``) and a label.

    ``mixed_precision``: mixed precision is fast on it (a GPU with tensor cores, a TPU, a CPU
    with bfloat16 instructions).  ``memory``: bytes, when the engine says.  ``platform``:
    ``cpu``, ``gpu`` or ``tpu``.  ``compute_capability``: a CUDA GPU's, e.g. ``(8, 0)``.
    """

    id: str
    name: str
    mixed_precision: bool = False
    memory: int | None = None
    platform: str = "cpu"
    compute_capability: tuple[int, int] | None = None

    @property
    def label(self) -> str:
        """``GPU:0: NVIDIA H100 (80 GiB)``."""
        head = self.name if self.id == "cpu" else f"{self.id.upper()}: {self.name}"
        return f"{head} ({format_bytes(self.memory)})" if self.memory else head


def format_bytes(n: int | None) -> str:
    """``17179869184`` → ``16 GiB``."""
    if not n:
        return "?"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.0f} TiB"  # pragma: no cover


@functools.cache
def cpu_has_bfloat16() -> bool:
    """Whether this CPU has bfloat16 instructions (AVX512-BF16 or AMX), from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            flags = f.read(200_000)
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _cpu() -> Device:
    return Device("cpu", "CPU", cpu_has_bfloat16(), _ram(), "cpu")


def _ram() -> int | None:
    with contextlib.suppress(ValueError, OSError, AttributeError):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return None


def list_devices() -> list[Device]:
    """The CPU first, then every GPU of the active Keras backend (imports Keras)."""
    import keras

    return engine_devices(keras.backend.backend())


def engine_devices(engine: str) -> list[Device]:
    """The CPU and the GPUs (or TPUs) of ``engine`` (``tensorflow``, ``jax`` or ``torch``)."""
    if engine == "tensorflow":
        return [_cpu(), *_tensorflow_gpus()]
    if engine == "jax":
        return [_cpu(), *_jax_accelerators()]
    if engine == "torch":
        return [_cpu(), *_torch_gpus()]
    return [_cpu()]


def enable_memory_growth() -> None:
    """TensorFlow: let every GPU grow its memory as needed (before the GPU is first used)."""
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except (RuntimeError, ValueError) as exc:  # already initialised: keep its setting
            log.debug("memory growth not changed for %s: %s", gpu.name, exc)


def _tensorflow_gpus() -> list[Device]:
    import tensorflow as tf

    enable_memory_growth()
    out = []
    for i, gpu in enumerate(tf.config.list_physical_devices("GPU")):
        details: dict[str, Any] = {}
        with contextlib.suppress(Exception):
            details = tf.config.experimental.get_device_details(gpu)
        cc = tuple(details.get("compute_capability") or (0, 0))
        name = str(details.get("device_name") or gpu.name)
        out.append(Device(f"gpu:{i}", name, cc >= FLOAT16_CC, _nvidia_memory(i), "gpu", cc))
    return out


def _nvidia_memory(index: int) -> int | None:
    """A GPU's memory from NVML (``nvidia-ml-py``) when it is installed; TensorFlow does not
    say before it allocates."""
    try:
        import pynvml

        pynvml.nvmlInit()
        return int(pynvml.nvmlDeviceGetMemoryInfo(pynvml.nvmlDeviceGetHandleByIndex(index)).total)
    except Exception:  # noqa: BLE001 - memory is optional information
        return None


def _jax_accelerators() -> list[Device]:
    import jax

    out = []
    accel = [d for d in jax.local_devices() if d.platform != "cpu"]
    for i, d in enumerate(accel):
        memory = None
        with contextlib.suppress(Exception):
            memory = int((d.memory_stats() or {}).get("bytes_limit") or 0) or None
        cc = _jax_cc(d)
        kind = "tpu" if d.platform == "tpu" else "gpu"
        fast = kind == "tpu" or cc is None or cc >= FLOAT16_CC
        out.append(Device(f"{kind}:{i}", str(getattr(d, "device_kind", d)), fast, memory, kind, cc))
    return out


def _jax_cc(d: Any) -> tuple[int, int] | None:
    text = str(getattr(d, "compute_capability", "") or "")
    major, _, minor = text.partition(".")
    return (int(major), int(minor or 0)) if major.isdigit() else None


def _torch_gpus() -> list[Device]:
    import torch

    out = []
    for i in range(torch.cuda.device_count()):
        major, minor = torch.cuda.get_device_capability(i)
        cc = (int(major), int(minor))
        memory = int(torch.cuda.get_device_properties(i).total_memory)
        name = torch.cuda.get_device_name(i)
        out.append(Device(f"gpu:{i}", name, cc >= FLOAT16_CC, memory, "gpu", cc))
    return out


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
    hint = "" if len(devices) > 1 else "; no GPU is visible to this Keras backend"
    raise ValueError(f"device {device!r} is not available here (available: {names}){hint}")


@contextlib.contextmanager
def device_scope(device: Device) -> Iterator[None]:
    """Place variables and computation on ``device`` (``keras.device``), or, for a group of
    devices (:class:`~nnstudio.core.training.distribute.DeviceGroup`), inside its
    distribution scope.

    On the torch and jax backends the backend's own default device is used without a scope:
    Keras 3.15's torch device scope breaks layers with integer state (Dropout's seed).
    """
    import keras

    scope = getattr(device, "scope", None)
    if scope is not None:
        with scope():
            yield
        return
    if keras.backend.backend() != "tensorflow" and device == resolve_device("auto"):
        yield
        return
    kind, _, index = device.id.partition(":")
    with keras.device(f"{kind}:{index or 0}"):
        yield
