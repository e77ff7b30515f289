"""``nnstudio inspect PATH [--target COLUMN] [--json]``: check a data source.

Runs the same inspection as the Data panel on a CSV/TSV file, an image folder
or a NumPy ``.npy``/``.npz`` file, then the data-quality scan (duplicates, near-duplicate
images, leakage across the splits, label conflicts, class imbalance; ``--no-quality``
skips it), prints the summary and every problem found. In ``--json`` the quality problems
are in ``problems`` too, each with ``kind``, ``count`` and ``indices`` or ``files``.
Exit 0 when the data can be trained on, 1 when it has blocking problems, 2 for
unusable arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from nnstudio.cli_commands._common import CliError

_MISSING = ("stop", "drop", "fill")
_TASKS = ("auto", "classification", "regression")
_COLOR_MODES = ("grayscale", "rgb", "rgba")
_DELIMITER_WORDS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def register(subs: argparse._SubParsersAction) -> None:
    """Add the ``inspect`` subcommand."""
    p = subs.add_parser(
        "inspect",
        help="check a data source (CSV, image folder, NumPy) and list its problems",
        description="Check a CSV/TSV file, an image folder (one sub-folder per class) or a "
        "NumPy .npy/.npz file: print a summary and every problem found. Exit 0 when the "
        "data can be trained on, 1 when it has blocking problems, 2 for unusable arguments.",
    )
    p.add_argument("path", help="a .csv/.tsv file, an image folder, or a .npy/.npz file")
    p.add_argument(
        "--target",
        action="append",
        metavar="COLUMN",
        help="target column of a CSV (repeat, or separate with commas, for several); for an "
        ".npz, the name of the targets array. Default: the last column / an array named y",
    )
    p.add_argument(
        "--features",
        metavar="COLUMNS",
        help="comma-separated feature columns of a CSV (default: all but the targets); for an "
        ".npz, the name of the features array",
    )
    p.add_argument("--targets-file", metavar="NPY", help="the .npy holding the targets")
    p.add_argument("--delimiter", help="CSV delimiter: a character, or tab/comma/semicolon")
    p.add_argument("--encoding", help="text encoding of a CSV, e.g. utf-8, latin-1")
    p.add_argument(
        "--header",
        choices=("auto", "yes", "no"),
        default="auto",
        help="whether line 1 of a CSV holds the column names (default: detect)",
    )
    p.add_argument("--missing", choices=_MISSING, help="missing values: stop, drop rows, fill")
    p.add_argument(
        "--na-values", metavar="TEXTS", help="comma-separated cell texts that mean 'missing'"
    )
    p.add_argument("--task", choices=_TASKS, help="classification or regression (default: auto)")
    p.add_argument(
        "--reconstruct",
        action="store_true",
        help="the targets are the inputs (autoencoders, denoising): no labels are read",
    )
    p.add_argument("--image-size", metavar="HxW", help="image size, e.g. 28x28 or 64")
    p.add_argument("--color-mode", choices=_COLOR_MODES, help="image colour mode")
    p.add_argument("--validation", metavar="PATH", help="a separate validation file or folder")
    p.add_argument(
        "--no-quality",
        action="store_true",
        help="skip the data-quality scan (duplicates, near-duplicate images, leakage across "
        "the splits, label conflicts, class imbalance)",
    )
    p.add_argument(
        "--quality-budget",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="stop the data-quality scan after this many seconds (default: 60)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON report")
    p.set_defaults(func=run)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _image_size(text: str) -> tuple[int, int]:
    parts = text.lower().replace("×", "x").split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise CliError(f"--image-size: expected HxW or N, got {text!r}") from None
    if len(values) == 1:
        values = values * 2
    if len(values) != 2:
        raise CliError(f"--image-size: expected HxW or N, got {text!r}")
    return values[0], values[1]


def _options(args: argparse.Namespace, kind: str) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    targets = [t for chunk in (args.target or []) for t in _split(chunk)]
    if kind == "numpy":
        if len(targets) > 1:
            raise CliError("--target: an .npz has one targets array")
        if targets:
            opts["targets_key"] = targets[0]
        if args.features:
            opts["features_key"] = args.features.strip()
        if args.targets_file:
            opts["targets_path"] = args.targets_file
    else:
        if targets:
            opts["target_columns"] = targets
        if args.features:
            opts["feature_columns"] = _split(args.features)
    if args.delimiter is not None:
        opts["delimiter"] = _DELIMITER_WORDS.get(args.delimiter.lower(), args.delimiter)
    if args.encoding:
        opts["encoding"] = args.encoding
    if args.header != "auto":
        opts["header"] = args.header == "yes"
    if args.missing:
        opts["missing"] = args.missing
    if args.na_values:
        opts["na_values"] = _split(args.na_values)
    if args.task:
        opts["task"] = args.task
    if args.reconstruct:
        opts["targets"] = "inputs"
    if args.image_size:
        opts["image_size"] = _image_size(args.image_size)
    if args.color_mode:
        opts["color_mode"] = args.color_mode
    if args.validation:
        opts["validation_path"] = args.validation
    return opts


def run(args: argparse.Namespace) -> int:
    """Print the summary and every problem; 0 = trainable, 1 = blocking problems."""
    from nnstudio.core.data import DataError, config_for_path, detect_kind, inspect_source
    from nnstudio.core.data.quality import inspect_with_quality

    path = args.path
    if not os.path.exists(path):
        raise CliError(f"no such file or folder: {path}")
    for extra in (args.targets_file, args.validation):
        if extra and not os.path.exists(extra):
            raise CliError(f"no such file or folder: {extra}")
    kind = detect_kind(path)
    try:
        config = config_for_path(path, **_options(args, kind))
    except DataError as exc:
        raise CliError(str(exc)) from None
    progress = _Progress() if sys.stderr.isatty() and not args.json else None
    quality = None
    try:
        if args.no_quality:
            report = inspect_source(config, progress=progress)
        else:
            budget = max(0.0, args.quality_budget)
            report, quality = inspect_with_quality(config, progress=progress, budget_s=budget)
    finally:
        if progress is not None:
            progress.done()
    if args.json:
        from nnstudio.cli_commands._common import print_json

        out = report.to_json()
        out["config"] = config.to_json()
        if quality is not None:
            out["quality"] = quality.to_json()
            for problem in out["problems"]:  # the inspection's own: no kind of their own
                problem.setdefault("kind", "inspection")
        print_json(out)
    else:
        print(report.format_text())
        if quality is not None:
            print("\n".join(quality.format_lines(problems=False)))
    return 0 if report.ok else 1


class _Progress:
    """``scanning 1200/5000`` on one terminal line."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if total > 1:
            sys.stderr.write(f"\rchecking {done}/{total}")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 40 + "\r")
            sys.stderr.flush()
