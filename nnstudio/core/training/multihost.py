"""Several hosts, one run (JAX backend): join JAX's distributed runtime, watch the others.

Every process runs the same ``nnstudio train`` with ``--distribute multihost``, the
coordinator's ``HOST:PORT`` (process 0 listens there), the number of processes and its own
id.  :func:`join` calls ``jax.distributed.initialize``; where an argument is not given, JAX
detects it from the cluster launcher: Slurm (``SLURM_JOB_ID``, ``SLURM_STEP_NODELIST``,
``SLURM_NTASKS``, ``SLURM_PROCID``, ``SLURM_LOCALID``), Open MPI (``OMPI_MCA_orte_hnp_uri``,
``OMPI_COMM_WORLD_SIZE``, ``OMPI_COMM_WORLD_RANK``, ``OMPI_COMM_WORLD_LOCAL_RANK``), Cloud
TPU and Kubernetes (JobSet) environments; ``JAX_COORDINATOR_ADDRESS`` gives the
coordinator and ``JAX_LOCAL_DEVICE_IDS`` the local devices anywhere.

The model then trains in data parallel over every process's devices
(:class:`~.distribute.DeviceGroup`), each process feeding its slice of every global batch;
only process 0 writes the run folder and the record.

A process that dies must not leave the others hanging: JAX's own heartbeat would end them
after ``heartbeat_timeout`` seconds with a C++ abort, so a :class:`Watchdog` thread exchanges
a counter with every other process through the coordination service and, when one has not
moved for ``peer_timeout`` seconds once training began (or the coordinator is gone), prints one clear line and
exits with :data:`EXIT_PEER_LOST`.  Joining has its own timer: a coordinator that cannot be
reached ends the process after ``init_timeout`` seconds with a message, not a hang.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

log = logging.getLogger("nnstudio.training")

EXIT_PEER_LOST = 3
_KEY = "nnstudio/alive/"
_DONE = "done"
_WATCHDOG: Watchdog | None = None
_CLUSTER: Cluster | None = None


class MultihostError(RuntimeError):
    """The run could not join or keep its processes (the message says why)."""


@dataclass(frozen=True)
class Cluster:
    """Where and as whom this process joins a multi-host run; ``None``: JAX detects it."""

    coordinator: str | None = None
    num_processes: int | None = None
    process_id: int | None = None
    init_timeout: float = 60.0
    peer_timeout: float = 10.0

    def to_json(self) -> dict[str, Any]:
        """For ``TrainingJob.options["multihost"]``."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cluster:
        """Read :meth:`to_json` output (unknown keys are ignored)."""
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    def check(self) -> None:
        """:class:`MultihostError` for values that cannot be right."""
        if self.coordinator is not None:
            host, _, port = self.coordinator.rpartition(":")
            if not host or not port.isdigit():
                raise MultihostError(f"--coordinator: HOST:PORT, got {self.coordinator!r}")
        n, i = self.num_processes, self.process_id
        if n is not None and n < 1:
            raise MultihostError(f"--num-processes: 1 or more, got {n}")
        if n is not None and i is not None and not 0 <= i < n:
            raise MultihostError(f"--process-id: 0 to {n - 1}, got {i}")


def stop(message: str, code: int = EXIT_PEER_LOST) -> None:
    """Print ``message`` and end the process now: JAX's shutdown barrier would wait for the
    missing process and then abort."""
    print(f"nnstudio: {message}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(code)


def join(cluster: Cluster) -> tuple[int, int]:
    """Join the run (``jax.distributed.initialize``) and start the :class:`Watchdog`;
    returns ``(process_id, num_processes)``.  Joining twice is a no-op."""
    import jax

    cluster.check()
    if jax.distributed.is_initialized():
        return jax.process_index(), jax.process_count()
    where = cluster.coordinator or os.environ.get("JAX_COORDINATOR_ADDRESS") or "(detected)"
    timer = threading.Timer(
        cluster.init_timeout,
        stop,
        (
            f"could not join the run at {where} within {cluster.init_timeout:g} s: is the "
            "coordinator (process 0) running and reachable, and are all processes started?",
        ),
    )
    timer.daemon = True
    timer.start()
    try:
        jax.distributed.initialize(
            cluster.coordinator,
            cluster.num_processes,
            cluster.process_id,
            initialization_timeout=int(cluster.init_timeout) + 5,
            heartbeat_timeout_seconds=int(cluster.peer_timeout * 3) + 5,
            shutdown_timeout_seconds=int(cluster.peer_timeout) + 5,
        )
    except (RuntimeError, ValueError, TypeError) as exc:
        raise MultihostError(f"could not join the run at {where}: {exc}") from None
    finally:
        timer.cancel()
    pid, count = jax.process_index(), jax.process_count()
    global _CLUSTER
    _CLUSTER = cluster
    log.info("joined the run as process %d of %d", pid, count)
    return pid, count


def prepare_job(job: Any) -> Any:
    """``job`` (its ``options["multihost"]`` a :meth:`Cluster.to_json`) for this process:
    joined, without live probes or a final evaluation (each would be a collective only one
    process runs), writing nothing unless it is process 0."""
    import dataclasses

    pid, _ = join(Cluster.from_json(job.options["multihost"]))
    options = {**job.options, "evaluate": False}
    options["multihost"] = {**job.options["multihost"], "process_id": pid}
    options["multihost"]["num_processes"] = _count()
    config = {**job.config, "probe_budget": 0.0}
    if pid != 0:
        config["tensorboard"] = False
        return dataclasses.replace(job, options=options, config=config, record=False, run_dir=None)
    return dataclasses.replace(job, options=options, config=config)


def _count() -> int:
    import jax

    return int(jax.process_count())


def start_watchdog() -> None:
    """Start watching the other processes (once, when training begins: imports and data
    preparation before it may hold the interpreter for seconds)."""
    global _WATCHDOG
    import jax

    if _WATCHDOG is not None or _CLUSTER is None or jax.process_count() < 2:
        return
    _WATCHDOG = Watchdog(
        jax.process_index(), jax.process_count(), _CLUSTER.peer_timeout, _CLUSTER.init_timeout
    )
    _WATCHDOG.start()


def is_writer() -> bool:
    """Whether this process writes the run (process 0, or not a multi-host run)."""
    try:
        import jax

        return not jax.distributed.is_initialized() or jax.process_index() == 0
    except ImportError:
        return True


def leave(ok: bool) -> None:
    """End the multi-host part: a clean shutdown after a good run; after a failure, end
    the process without the shutdown barrier (the others may be gone)."""
    import jax

    if not jax.distributed.is_initialized():
        return
    if _WATCHDOG is not None:
        _WATCHDOG.finish()
    if ok:
        jax.distributed.shutdown()
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)


class Watchdog(threading.Thread):
    """Exchanges a beat with every other process every ``interval`` seconds through the
    coordination service; ends this process with a message when one has been silent for
    ``timeout`` seconds (see the module docstring)."""

    def __init__(
        self, pid: int, count: int, timeout: float, first: float = 60.0, interval: float = 0.5
    ) -> None:
        super().__init__(name="nnstudio-multihost-watchdog", daemon=True)
        self.pid, self.count, self.timeout, self.interval = pid, count, timeout, interval
        self.first = first  # a peer's first beat may take this long (it is still preparing)
        now = time.monotonic()
        self.seen: dict[int, tuple[str | None, float]] = {
            p: (None, now) for p in range(count) if p != pid
        }
        self.stopped = threading.Event()
        self._beats = threading.Thread(target=self._beat, name="nnstudio-beat", daemon=True)

    def run(self) -> None:
        """Watch the beats; the exchange runs in its own thread (a call to a dead
        coordinator may block)."""
        self._beats.start()
        while not self.stopped.wait(self.interval):
            now = time.monotonic()
            for peer, (last, at) in self.seen.items():
                limit = self.first if last is None else self.timeout
                if last != _DONE and now - at > limit:
                    who = "the coordinator (process 0)" if peer == 0 else f"process {peer}"
                    stop(
                        f"{who} stopped responding {limit:g} s ago (killed, crashed or "
                        f"unreachable); process {self.pid} stops too"
                    )

    def finish(self) -> None:
        """This process is done: the others stop watching it."""
        from jax._src import distributed

        self.stopped.set()
        if self._beats.is_alive():
            self._beats.join(timeout=2 * self.interval + 1)
        client = distributed.global_state.client
        if client is not None:
            try:
                client.key_value_set(f"{_KEY}{self.pid}", _DONE, allow_overwrite=True)
            except Exception as exc:  # noqa: BLE001 - the others time out instead
                log.debug("could not say done: %s", exc)

    def _beat(self) -> None:
        from jax._src import distributed

        client = distributed.global_state.client
        beat = 0
        while not self.stopped.is_set() and client is not None:
            beat += 1
            try:
                client.key_value_set(f"{_KEY}{self.pid}", str(beat), allow_overwrite=True)
                for peer, (last, _) in list(self.seen.items()):
                    value = _try_get(client, f"{_KEY}{peer}")
                    if value is not None and value != last:
                        self.seen[peer] = (value, time.monotonic())
            except Exception as exc:  # noqa: BLE001 - the watcher judges by silence
                log.debug("multihost beat failed: %s", exc)
            time.sleep(self.interval)


def _try_get(client: Any, key: str) -> str | None:
    try:
        return str(client.key_value_try_get(key))
    except Exception:  # noqa: BLE001 - not written yet
        return None
