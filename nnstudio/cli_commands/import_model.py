"""``nnstudio import MODEL -o PROJECT``: a ``.keras``/``.h5`` model becomes a project.

The model file is checked before Keras reads anything (see :mod:`nnstudio.core.interop`).
The weights go beside the project as ``<project stem>.weights.h5`` (Keras' own format for
the compiled graph: ``model.load_weights`` reads it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nnstudio.cli_commands._common import CliError


def register(subs: argparse._SubParsersAction) -> None:
    """Add the ``import`` subcommand."""
    p = subs.add_parser(
        "import",
        help="turn a Keras .keras/.h5 model into a project (checked, no code run)",
        description="Import a Keras functional or Sequential model saved as .keras or .h5. "
        "Every layer class is checked against NN Studio's catalog before Keras "
        "reads the file; Lambda layers, custom classes and oversized data are "
        "refused. The weights are saved as <project>.weights.h5 beside it.",
    )
    p.add_argument("model", help="a .keras or .h5 model file")
    p.add_argument("-o", "--output", required=True, help="the .nnstudio project to write")
    p.add_argument(
        "--no-weights",
        action="store_true",
        help="import the architecture only (fresh, untrained layers)",
    )
    p.add_argument(
        "--direction",
        choices=("LR", "TB"),
        default="LR",
        help="layout direction: left to right (default) or top to bottom",
    )
    p.add_argument(
        "--flat",
        action="store_true",
        help="one node per layer (default: nested sub-models and keras.applications stages "
        "arrive as collapsed blocks, as in the window)",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing project")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Import, lay out, save the project and the weights; print the import report."""
    from nnstudio.core.interop import (
        ModelImportError,
        import_model_file,
        save_weights,
        weights_path_for,
    )
    from nnstudio.core.project import SUFFIX, ProjectError

    target = Path(args.output)
    if target.suffix != SUFFIX:
        target = target.with_name(target.name + SUFFIX)
    weights_file = weights_path_for(target)
    if not args.force:
        for path in (target, weights_file):
            if path.exists():
                raise CliError(f"{path} exists; use --force to overwrite it")
    try:
        result = import_model_file(
            args.model,
            weights=not args.no_weights,
            direction=args.direction,
            group=not args.flat,
        )
    except ModelImportError as exc:
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        raise CliError(exc.summary.rstrip(":")) from None
    graph = result.graph
    if result.weights:
        try:
            save_weights(graph, result.weights, weights_file)
        except (ModelImportError, OSError) as exc:
            raise CliError(f"could not save the weights to {weights_file}: {exc}") from None
    try:
        result.project.save(target)
    except ProjectError as exc:
        raise CliError(str(exc)) from None
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"Imported {len(graph.nodes)} layers from {Path(args.model).name} into {target}")
    if result.weights:
        print(f"Weights of {len(result.weights)} layers saved to {weights_file}")
    else:
        print("No weights were imported: the layers start untrained")
    return 0
