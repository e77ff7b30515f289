"""Entry point of the bundled app: the ``nnstudio`` command (window or subcommands).

A frozen bundle has no ``python`` beside it, yet export verification runs the generated
code with ``sys.executable -c SCRIPT ARGS``; in a bundle ``sys.executable`` is this program,
so ``-c`` is served here the way Python would serve it.
"""

import multiprocessing
import sys


def _run_code(code: str, args: list[str]) -> int:
    """Run ``code`` as ``python -c code args`` would."""
    sys.argv = ["-c", *args]
    exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102
    return 0


if __name__ == "__main__":
    multiprocessing.freeze_support()
    if getattr(sys, "frozen", False) and len(sys.argv) > 2 and sys.argv[1] == "-c":
        sys.exit(_run_code(sys.argv[2], sys.argv[3:]))
    from nnstudio.cli import main

    sys.exit(main(sys.argv[1:] or None))
