"""``nnstudio info [--layers] [--json]``: versions, devices and the layer catalog."""

from __future__ import annotations

import argparse
import platform

from nnstudio import __version__
from nnstudio.cli_commands._common import print_json


def register(subs: argparse._SubParsersAction) -> None:
    """Add the ``info`` subcommand."""
    p = subs.add_parser("info", help="versions, devices and the layer catalog")
    p.add_argument("--layers", action="store_true", help="list every layer type")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the information asked for."""
    from nnstudio.core import catalog

    data: dict = {"nnstudio": __version__, "python": platform.python_version()}
    if args.layers:
        data["layers"] = [s.to_json() for s in catalog.all_specs()]
    else:
        import keras

        data["keras"] = keras.__version__
        data["backend"] = keras.backend.backend()
        try:
            import tensorflow as tf

            data["tensorflow"] = tf.__version__
            data["devices"] = [d.name for d in tf.config.list_physical_devices()]
        except ImportError:
            data["devices"] = []
    if args.json:
        print_json(data)
        return 0
    if args.layers:
        for cat, specs in catalog.by_category().items():
            print(f"{cat}:")
            for s in specs:
                print(f"  {s.key:<24} {s.help.split('. ')[0].rstrip('.')}.")
        return 0
    for k, v in data.items():
        print(f"{k}: {', '.join(v) if isinstance(v, list) else v}")
    return 0
