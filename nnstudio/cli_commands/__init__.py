"""Subcommands of ``nnstudio``: each module has ``register(subparsers)``."""
