"""``nnstudio codegen PROJECT [-o model.py]``: readable Keras code that rebuilds the model."""

from __future__ import annotations

import argparse
import sys

from nnstudio.cli_commands._common import CliError, load_project


def register(subs: argparse._SubParsersAction) -> None:
    """Add the ``codegen`` subcommand."""
    p = subs.add_parser(
        "codegen",
        help="write Keras Python code that rebuilds the project's model",
        description="Generate readable Keras functional-API code: one line per layer, a "
        "build_model() function with the compile call, and a __main__ block "
        "that prints the summary. Only Keras is needed to run it.",
    )
    p.add_argument("project", help="a .nnstudio project file")
    p.add_argument("-o", "--output", help="the .py file to write (default: print it)")
    p.add_argument(
        "--weights",
        metavar="FILE",
        help="make build_model() load these weights (a .weights.h5 file; a "
        "relative path is taken from the generated file's folder)",
    )
    p.add_argument(
        "--optimizer", help="optimizer of the compile call (default: the project's, else adam)"
    )
    p.add_argument(
        "--learning-rate",
        type=float,
        help="learning rate (default: the project's training setting)",
    )
    p.add_argument("--name", help="model name (default: from the project name)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print or write the generated code."""
    import re

    from nnstudio.core.compiler import CompileError
    from nnstudio.core.interop import CodegenError, generate_code, write_code

    project = load_project(args.project)
    name = args.name or re.sub(r"\W+", "_", project.name).strip("_").lower() or "model"
    training = project.training.to_json()
    optimizer = args.optimizer or training.get("optimizer") or "adam"
    rate = args.learning_rate if args.learning_rate is not None else training.get("learning_rate")
    options = {
        "weights_file": args.weights,
        "model_name": name,
        "optimizer": str(optimizer),
        "learning_rate": rate if isinstance(rate, (int, float)) else None,
    }
    try:
        if args.output:
            path = write_code(project.graph, args.output, **options)
            print(f"Wrote {path}")
        else:
            sys.stdout.write(generate_code(project.graph, **options))
    except CompileError as exc:
        for line in str(exc).splitlines()[1:]:
            print(line, file=sys.stderr)
        raise CliError(
            f"{project.name}: the graph has errors; fix them before generating code"
        ) from None
    except (CodegenError, OSError) as exc:
        raise CliError(f"code generation failed: {exc}") from None
    return 0
