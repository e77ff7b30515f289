"""``nnstudio summary PROJECT [--json]``: layers, output shapes and parameter counts."""

from __future__ import annotations

import argparse

from nnstudio.cli_commands._common import load_project, print_json


def register(subs: argparse._SubParsersAction) -> None:
    """Add the ``summary`` subcommand."""
    p = subs.add_parser(
        "summary",
        help="list layers with output shapes and parameters",
        description="Layers in topological order with type, output shape and "
        "parameter count, and the totals.",
    )
    p.add_argument("project", help="a .nnstudio project file")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the summary table (or JSON)."""
    project = load_project(args.project)
    from nnstudio.core.graph import check_graph

    result = check_graph(project.graph)
    data = result.summary_json(project.graph)
    if args.json:
        print_json(data)
        return 0
    rows = [
        (layer["name"], layer["type"], layer["output_shape_text"], f"{layer['params']:,}")
        for layer in data["layers"]
    ]
    head = ("Layer", "Type", "Output shape", "Params")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths[:3]) + f"  {{:>{widths[3]}}}"
    print(fmt.format(*head))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt.format(*r))
    print(
        f"Total params: {data['total_params']:,}  Trainable: {data['trainable_params']:,}  "
        f"Non-trainable: {data['non_trainable_params']:,}  "
        f"Weights: {data['weights_bytes'] / 2**20:.2f} MiB (float32)"
    )
    if data["errors"]:
        print(f"{data['errors']} error(s): run `nnstudio validate` for details")
    return 0
