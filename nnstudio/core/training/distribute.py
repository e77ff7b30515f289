"""Data-parallel training on several devices: one host's GPUs (or logical CPUs), or, with
the JAX backend, every process of a multi-host run (:mod:`.multihost`).

A run's ``devices`` setting (``TrainingConfig.devices``: 1, N or ``"all"``) turns its device
into a :class:`DeviceGroup`.  The group is still a :class:`~.devices.Device`, so the training
job stays one job: :func:`~.devices.device_scope` enters the group's scope, inside which the
model is built, compiled and fitted:

* TensorFlow: ``tf.distribute.MirroredStrategy`` over the group's devices; each replica
  gets ``batch_size / replicas`` samples of every global batch and the gradients are summed
  across replicas (all-reduce);
* JAX: ``keras.distribution.DataParallel``: the weights are replicated, every batch is
  sharded along its first axis over the devices (of all processes, multi-host).

The global batch (``batch_size``) must divide evenly by the number of replicas.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnstudio.core.training.data import TrainingData
from nnstudio.core.training.devices import Device, resolve_device

ALL = "all"
_STRATEGIES: dict[tuple[str, ...], Any] = {}


class DistributeError(ValueError):
    """A device setting this machine or backend cannot honour (the message says why)."""


@dataclass(frozen=True)
class DeviceGroup(Device):
    """Several devices training one model in data parallel (see the module docstring).

    ``members``: the replicas, of every process (multi-host); ``engine``: ``tensorflow`` or
    ``jax``; ``processes``/``process_id``: of a multi-host run (1 and 0 otherwise);
    ``multihost``: a ``--distribute multihost`` run (of any number of processes).
    """

    members: tuple[Device, ...] = ()
    engine: str = ""
    processes: int = 1
    process_id: int = 0
    multihost: bool = False

    @property
    def replicas(self) -> int:
        """Number of model replicas (devices) across all processes."""
        return len(self.members)

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Build, compile and fit inside this: the strategy's or the distribution's scope.

        Multi-host: the first entry seeds Keras' random generator alike in every process
        (the graph check builds layers before the model's own seed is set, and replicated
        weights must start equal everywhere)."""
        first = (self.engine, *(m.id for m in self.members)) not in _STRATEGIES
        engine = self.engine_object()
        if first and self.processes > 1:
            import keras

            from nnstudio.core.training.multihost import start_watchdog

            keras.utils.set_random_seed(0)
            start_watchdog()
        with engine.scope():
            yield

    def engine_object(self) -> Any:
        """The ``tf.distribute.MirroredStrategy`` or ``keras.distribution.DataParallel``
        (one per group and process, so build and fit share it)."""
        key = (self.engine, *(m.id for m in self.members))
        if key not in _STRATEGIES:
            _STRATEGIES[key] = (
                _mirrored(self.members) if self.engine == "tensorflow" else _data_parallel(self)
            )
        return _STRATEGIES[key]

    def batch_split(self, global_shape: tuple[int, ...]) -> list[tuple[int, ...]]:
        """The shape each of this process's replicas gets of a global batch of
        ``global_shape``, as the engine splits it (what ``fit`` does with every batch)."""
        x = np.zeros(global_shape, "float32")
        if self.engine == "tensorflow":
            import tensorflow as tf

            strategy = self.engine_object()
            dist = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(x))
            batch = next(iter(dist))
            return [tuple(t.shape) for t in strategy.experimental_local_results(batch)]
        from keras.src.backend.jax import distribution_lib as jax_dist

        dp = self.engine_object()
        local = x[: global_shape[0] // self.processes]
        layout = dp.get_data_layout(global_shape)
        array = jax_dist.distribute_data_input(local, layout, dp.batch_dim_name)
        return [tuple(s.data.shape) for s in array.addressable_shards]

    def local_data(self, data: Any, batch_size: int) -> Any:
        """``data`` as this process feeds it: a multi-host process takes its slice of every
        full global batch (the training split is read once: each epoch shuffles within the
        slice, when shuffling is on); a group on one host trims the training rows to a multiple of the
        replicas (the last batch must split evenly too)."""
        if self.multihost:  # one process too, so that its batches are those of N processes
            return shard_for_process(data, batch_size, self.process_id, self.processes)
        if self.engine == "jax" and not data.batched:
            return _trimmed(data, self.replicas)
        return data


def placement(config: Any, options: dict[str, Any] | None = None) -> Device:
    """The device a run trains on: its ``device`` alone, or a :class:`DeviceGroup` when its
    ``devices`` asks for several (or the run is multi-host).  :class:`DistributeError`
    when the machine or the backend cannot."""
    import keras

    count = getattr(config, "devices", 1)
    multihost = (options or {}).get("multihost")
    if count == 1 and not multihost:
        return resolve_device(config.device)
    engine = keras.backend.backend()
    if engine not in ("tensorflow", "jax"):
        raise DistributeError(
            f"training on several devices needs the tensorflow or jax backend, not {engine}"
        )
    if multihost and engine != "jax":
        raise DistributeError("multi-host training needs the jax backend (--backend jax)")
    found = _replica_devices(engine, config.device)
    want = len(found) if count == ALL or (multihost and count == 1) else int(count)
    if want > len(found):
        names = ", ".join(d.id for d in found)
        raise DistributeError(
            f"{want} devices asked for, {len(found)} here ({names}); "
            "use --devices all or a smaller number"
        )
    members = tuple(found[:want])
    processes, pid = (multihost["num_processes"], multihost["process_id"]) if multihost else (1, 0)
    if want % processes:
        raise DistributeError(f"{want} devices do not split evenly over {processes} processes")
    if config.batch_size % len(members):
        raise DistributeError(
            f"batch size {config.batch_size} does not split evenly over {len(members)} devices"
        )
    first = members[0]
    where = f" on {processes} processes" if processes > 1 else ""
    return DeviceGroup(
        "+".join(m.id for m in members),
        f"{len(members)} × {first.name}{where} (data parallel)",
        first.mixed_precision,
        sum(m.memory or 0 for m in members) or None,
        first.platform,
        first.compute_capability,
        members=members,
        engine=engine,
        processes=processes,
        process_id=pid,
        multihost=bool(multihost),
    )


def _replica_devices(engine: str, device: str) -> list[Device]:
    """The devices replicas can go on: the accelerators (``device`` not ``cpu``), else every
    (logical) CPU device; all processes' with JAX."""
    if engine == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU") if device != "cpu" else []
        found = gpus or tf.config.list_logical_devices("CPU")
        kind = "gpu" if gpus else "cpu"
        base = {d.id: d for d in resolve_all()}
        return [
            _member(kind, i, base.get(f"{kind}:{i}") or base.get(kind), d.name)
            for i, d in enumerate(found)
        ]
    import jax

    accel = [d for d in jax.devices() if d.platform != "cpu"] if device != "cpu" else []
    found = accel or jax.devices("cpu")
    base = {d.id: d for d in resolve_all()}
    out = []
    for d in found:
        kind = "cpu" if d.platform == "cpu" else ("tpu" if d.platform == "tpu" else "gpu")
        out.append(_member(kind, d.id, base.get(f"{kind}:{d.id}") or base.get(kind), str(d)))
    return out


def resolve_all() -> list[Device]:
    """This process's devices (see :func:`~.devices.list_devices`)."""
    from nnstudio.core.training.devices import list_devices

    return list_devices()


def _member(kind: str, index: int, like: Device | None, name: str) -> Device:
    like = like or Device(kind, kind.upper(), platform=kind)
    return Device(
        f"{kind}:{index}",
        like.name,
        like.mixed_precision,
        like.memory if kind != "cpu" else None,
        like.platform,
        like.compute_capability,
    )


def _mirrored(members: tuple[Device, ...]) -> Any:
    import tensorflow as tf

    names = [f"/{m.id.split(':')[0].upper()}:{m.id.split(':')[1]}" for m in members]
    return tf.distribute.MirroredStrategy(devices=names)


def _data_parallel(group: DeviceGroup) -> Any:
    import jax
    import keras

    by_id = {d.id: d for d in jax.devices()}
    devices = [by_id[int(m.id.split(":")[1])] for m in group.members]
    return keras.distribution.DataParallel(
        devices=[f"{d.platform}:{d.id}" for d in devices],
        auto_shard_dataset=False,  # multi-host: each process feeds its own slice
    )


def _trimmed(data: Any, multiple: int) -> Any:
    import dataclasses

    x, y = data.train
    n = (len(x) // multiple) * multiple
    if n == len(x):
        return data
    return dataclasses.replace(data, train=(x[:n], y[:n]), num_train=n)


def _arrays(split: Any, batched: bool) -> tuple[np.ndarray, np.ndarray] | None:
    if split is None:
        return None
    if not batched:
        return np.asarray(split[0]), np.asarray(split[1])
    xs, ys = [], []
    for batch in split.as_numpy_iterator() if hasattr(split, "as_numpy_iterator") else split:
        xs.append(np.asarray(batch[0]))
        ys.append(np.asarray(batch[1]))
    return (np.concatenate(xs), np.concatenate(ys)) if xs else None


def shard_rows(n: int, batch_size: int, process_id: int, processes: int) -> np.ndarray:
    """The row indices process ``process_id`` feeds: its ``1/processes`` slice of each full
    global batch of ``batch_size`` (a last, partial batch is dropped)."""
    per = batch_size // processes
    full = (n // batch_size) * batch_size
    rows = np.arange(full).reshape(-1, batch_size)
    return rows[:, process_id * per : (process_id + 1) * per].reshape(-1)


def shard_for_process(data: Any, batch_size: int, process_id: int, processes: int) -> Any:
    """``data`` (arrays or batched pipelines) as this process's slice of every global batch,
    as arrays that ``fit`` batches by ``batch_size // processes``."""
    import dataclasses

    if batch_size % processes:
        raise DistributeError(
            f"batch size {batch_size} does not split evenly over {processes} processes"
        )
    splits = {}
    for name in ("train", "val", "test"):
        pair = _arrays(getattr(data, name), data.batched)
        if pair is not None:
            rows = shard_rows(len(pair[0]), batch_size, process_id, processes)
            pair = (pair[0][rows], pair[1][rows])
        splits[name] = pair
    if splits["train"] is None or not len(splits["train"][0]):
        raise DistributeError(f"fewer training rows than one global batch of {batch_size}")
    return ProcessShard(
        **{f.name: getattr(data, f.name) for f in dataclasses.fields(data)},
    ).with_splits(splits, batch_size // processes)


@dataclass
class ProcessShard(TrainingData):
    """A multi-host process's share of the data: ``fit`` batches it by ``local_batch``
    (the global batch over the number of processes)."""

    local_batch: int = 0

    def with_splits(self, splits: dict[str, Any], local_batch: int) -> ProcessShard:
        """This shard with its array ``splits`` (train, val, test)."""
        import dataclasses

        return dataclasses.replace(
            self,
            train=splits["train"],
            val=splits["val"],
            test=splits["test"],
            batched=False,
            num_train=len(splits["train"][0]),
            batch_size=None,
            source=None,
            local_batch=local_batch,
        )

    def fit_kwargs(self, batch_size: int, validation: bool, shuffle: bool) -> dict[str, Any]:
        """``fit`` arguments with this process's part of every batch."""
        return super().fit_kwargs(self.local_batch or batch_size, validation, shuffle)
