"""The ``nnstudio`` command: no arguments opens the desktop app; subcommands work headless.

Subcommands live in :mod:`nnstudio.cli_commands`, one module each with a
``register(subparsers)`` function; they are discovered here, so adding one touches no other
file.  Heavy libraries (TensorFlow, Qt) are imported only inside the command that needs them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import traceback
from collections.abc import Sequence

from nnstudio import __version__
from nnstudio.cli_commands._common import CliError

__all__ = ["CliError", "build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise CliError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every discovered subcommand."""
    import nnstudio.cli_commands as pkg

    parser = _Parser(
        prog="nnstudio",
        description="Design, train and export neural networks. "
        "Without a command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"nnstudio {__version__}")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="on an error, also print the details (the traceback); allowed anywhere",
    )
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        module.register(subs)
    return parser


def _command_names(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Every failure ends in one line on stderr (``nnstudio: error: ...``), never a traceback;
    ``--verbose`` (anywhere on the line) adds the details.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in args_list
    args_list = [a for a in args_list if a != "--verbose"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        parser = build_parser()
        if not args_list or _is_project_path(args_list[0], _command_names(parser)):
            return _run_gui(args_list)
        args = parser.parse_args(args_list)
        args.verbose = verbose
        if getattr(args, "func", None) is None:
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"nnstudio: error: {exc}", file=sys.stderr)
        if verbose and exc.details:
            print(exc.details.rstrip(), file=sys.stderr)
        return exc.code
    except BrokenPipeError:  # output piped into `head`
        return 0
    except KeyboardInterrupt:
        print("nnstudio: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback (unless --verbose)
        hint = "" if verbose else " (run with --verbose for the details)"
        print(f"nnstudio: error: {_describe(exc)}{hint}", file=sys.stderr)
        if verbose:
            traceback.print_exception(exc, file=sys.stderr)
        return 1


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    return f"{type(exc).__name__}: {exc}"


def _is_project_path(arg: str, commands: set[str]) -> bool:
    """``nnstudio FILE`` opens FILE in the app; anything else is parsed as a command."""
    if arg in commands or arg.startswith("-"):
        return False
    return arg.endswith(".nnstudio") or os.path.exists(arg)


def _run_gui(args: list[str]) -> int:
    try:
        from nnstudio.ui.app import run_app
    except ImportError as exc:
        raise CliError(f"the desktop app cannot start: {exc}") from None
    return run_app(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
