"""The device, precision and distribution options of ``nnstudio train``.

``--precision mixed|float32`` (or a forced ``mixed_float16`` / ``mixed_bfloat16``),
``--devices all|N`` (data parallel on this host), and ``--distribute multihost`` with
``--coordinator HOST:PORT --num-processes N --process-id I`` (JAX backend; where one is
left out JAX reads it from Slurm, Open MPI or ``JAX_COORDINATOR_ADDRESS``, see
:mod:`nnstudio.core.training.multihost`).
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from nnstudio.cli_commands._common import CliError

PRECISION_CHOICES = ("float32", "mixed", "mixed_float16", "mixed_bfloat16")


def add_options(p: argparse.ArgumentParser) -> None:
    """Add the options to the ``train`` parser."""
    g = p.add_argument_group("devices and precision")
    g.add_argument(
        "--precision",
        choices=PRECISION_CHOICES,
        help="mixed: bfloat16 on Ampere+ GPUs, TPUs and CPUs, float16 with loss scaling on "
        "older tensor-core GPUs; outputs stay float32 (default: the project's setting)",
    )
    g.add_argument(
        "--devices",
        metavar="all|N",
        help="train on N devices (or all) of the --device kind in data parallel",
    )
    g.add_argument(
        "--distribute",
        choices=("multihost",),
        help="train across several processes/hosts (jax backend)",
    )
    g.add_argument("--coordinator", metavar="HOST:PORT", help="process 0's address")
    g.add_argument("--num-processes", type=int, metavar="N", help="processes in the run")
    g.add_argument("--process-id", type=int, metavar="I", help="this process's id (0 writes)")
    g.add_argument(
        "--peer-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="stop when another process is silent this long (default 10 s)",
    )
    g.add_argument(
        "--join-timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="give up joining the run after this long (default 60 s)",
    )


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """TrainingConfig changes the options ask for."""
    out: dict[str, Any] = {}
    devices = getattr(args, "devices", None)
    if devices is not None:
        if devices != "all" and not devices.isdigit():
            raise CliError(f"--devices: all or a number, got {devices!r}")
        out["devices"] = devices if devices == "all" else int(devices)
    return out


def join(args: argparse.Namespace) -> dict[str, Any] | None:
    """Join a multi-host run before Keras touches a device; its job option, or ``None``."""
    if getattr(args, "distribute", None) != "multihost":
        for name in ("coordinator", "num_processes", "process_id"):
            if getattr(args, name, None) is not None:
                raise CliError(f"--{name.replace('_', '-')} needs --distribute multihost")
        return None
    if args.backend not in (None, "jax"):
        raise CliError("--distribute multihost needs --backend jax")
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    from nnstudio.core.training.multihost import Cluster, MultihostError
    from nnstudio.core.training.multihost import join as join_run

    cluster = Cluster(
        args.coordinator,
        args.num_processes,
        args.process_id,
        init_timeout=args.join_timeout,
        peer_timeout=args.peer_timeout,
    )
    try:
        join_run(cluster)
    except MultihostError as exc:
        raise CliError(str(exc)) from None
    return cluster.to_json()


def finish(ok: bool, multihost: dict[str, Any] | None, message: str = "") -> None:
    """Leave a multi-host run; after a failure say why in one line and end the process at
    once, without JAX's shutdown barrier (the other processes may be gone)."""
    if multihost is None:
        return
    from nnstudio.core.training import multihost as mh

    if not ok:
        pid = multihost.get("process_id", "?")
        if _PEER_LOST.search(message):
            cause = _PEER_LOST.search(message).group(0)  # type: ignore[union-attr]
            mh.stop(
                f"another process of the run stopped ({cause}); process {pid} stops too",
                mh.EXIT_PEER_LOST,
            )
        mh.stop(f"process {pid}: {message}", 1)
    mh.leave(ok)


_PEER_LOST = re.compile(
    r"Connection reset by peer|Connection closed by peer|Gloo \w+ failed|heartbeat|"
    r"coordination service|DEADLINE_EXCEEDED|UNAVAILABLE",
    re.I,
)
