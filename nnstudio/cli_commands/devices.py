"""``nnstudio devices [--engine tensorflow|jax|torch] [--json]``: the devices a run can use,
by id, name and memory (each engine that is installed, or the one asked for)."""

from __future__ import annotations

import argparse
import importlib.util

from nnstudio.cli_commands._common import CliError, print_json

ENGINES = ("tensorflow", "jax", "torch")


def register(subs: argparse._SubParsersAction) -> None:
    """Add the ``devices`` subcommand."""
    p = subs.add_parser("devices", help="the CPU and GPUs each engine sees, with memory")
    p.add_argument("--engine", choices=ENGINES, help="only this engine's devices")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List the devices."""
    from nnstudio.core.training.devices import engine_devices

    engines = [args.engine] if args.engine else ENGINES
    found = {}
    for engine in engines:
        if importlib.util.find_spec(engine) is None:
            if args.engine:
                raise CliError(f"{engine} is not installed")
            continue
        found[engine] = engine_devices(engine)
    if args.json:
        print_json(
            {
                e: [
                    {"id": d.id, "name": d.name, "memory": d.memory, "platform": d.platform,
                     "mixed_precision": d.mixed_precision}
                    for d in ds
                ]
                for e, ds in found.items()
            }
        )  # fmt: skip
        return 0
    for engine, devices in found.items():
        print(f"{engine}:")
        for d in devices:
            fast = "  (mixed precision is fast)" if d.mixed_precision else ""
            print(f"  {d.id:<8} {d.label}{fast}")
    return 0
