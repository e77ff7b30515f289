"""``nnstudio summary PROJECT [--json] [--batch-size N]``: layers, output shapes, parameter
counts and the cost of every layer (MACs, FLOPs, memory; see :mod:`nnstudio.core.insight.cost`).
"""

from __future__ import annotations

import argparse
from typing import Any

from nnstudio.cli_commands._common import load_project, print_json


def register(subs: argparse._SubParsersAction) -> None:
    """Add the ``summary`` subcommand."""
    p = subs.add_parser(
        "summary",
        help="list layers with output shapes, parameters and their cost",
        description="Layers in topological order with type, output shape, parameter count "
        "and cost for one sample (multiply-accumulates, FLOPs with 1 MAC = 2 FLOPs, "
        "parameter and activation memory), and the totals with the peak activation "
        "memory of inference and of a training batch.",
    )
    p.add_argument("project", help="a .nnstudio project file")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="batch size of the training peak (default: the project's training batch size)",
    )
    p.set_defaults(func=run)


def summary_data(project: Any, batch_size: int | None = None) -> dict[str, Any]:
    """The summary JSON: the check's layers and totals, with the cost keys added.

    With blocks, ``layers`` is the flat list (as compiled) and ``blocks`` lists each block
    use: name, definition, repeat, number of nodes, parameters, output shape and its cost.
    """
    from nnstudio.core.graph import check_graph
    from nnstudio.core.insight.cost import compute_cost

    if batch_size is None or batch_size < 1:
        batch_size = int(project.training.batch_size)
    graph = project.graph
    result = check_graph(graph)
    flat_graph, flat_result = graph, result
    if result.flat is not None:
        flat_graph, flat_result = result.flat.graph, result.flat.result
    data = flat_result.summary_json(flat_graph)
    data["errors"] = len(result.errors)
    data["warnings"] = len(result.issues) - len(result.errors)
    cost = compute_cost(flat_graph, flat_result)
    for layer in data["layers"]:
        node_cost = cost.nodes.get(layer["id"])
        figures = node_cost.to_json() if node_cost else dict.fromkeys(_COST_KEYS)
        layer.update(figures)
    data.update(cost.totals_json(batch_size))
    if result.flat is not None:
        from nnstudio.core.graph.block_check import block_uses

        lifted = compute_cost(graph, result)
        data["blocks"] = blocks = block_uses(graph, result)
        for block in blocks:
            node_cost = lifted.nodes.get(block["id"])
            block.update(node_cost.to_json() if node_cost else dict.fromkeys(_COST_KEYS))
    return data


_COST_KEYS = ("macs", "flops", "param_bytes", "activation_bytes")


def run(args: argparse.Namespace) -> int:
    """Print the summary table (or JSON)."""
    from nnstudio.core.insight.cost import human_bytes, human_count

    project = load_project(args.project)
    data = summary_data(project, args.batch_size)
    if args.json:
        print_json(data)
        return 0

    def known(value: int | None, fmt: Any) -> str:
        return "?" if value is None else fmt(value)

    rows = [
        (
            layer["name"],
            layer["type"],
            layer["output_shape_text"],
            f"{layer['params']:,}",
            known(layer["macs"], human_count),
            known(layer["activation_bytes"], human_bytes),
        )
        for layer in data["layers"]
    ]
    head = ("Layer", "Type", "Output shape", "Params", "MACs", "Activations")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths[:3]) + "".join(f"  {{:>{w}}}" for w in widths[3:])
    print(fmt.format(*head))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt.format(*r))
    print(
        f"Total params: {data['total_params']:,}  Trainable: {data['trainable_params']:,}  "
        f"Non-trainable: {data['non_trainable_params']:,}  "
        f"Weights: {data['weights_bytes'] / 2**20:.2f} MiB (float32)"
    )
    print(
        f"Cost per sample: {human_count(data['total_macs'])} MACs, "
        f"{human_count(data['total_flops'])} FLOPs (1 MAC = 2 FLOPs)  "
        f"Peak activations: {human_bytes(data['peak_activation_bytes'])} (inference, 1 sample), "
        f"{human_bytes(data['training_peak_activation_bytes'])} "
        f"(training, batch {data['batch_size']})"
    )
    for block in data.get("blocks", []):
        times = f" x{block['repeat']}" if block["repeat"] != 1 else ""
        print(
            f"Block {block['name']} ({block['definition']}{times}): {block['nodes']} layers, "
            f"{block['params']:,} params, output {block['output_shape_text']}"
        )
    if data["errors"]:
        print(f"{data['errors']} error(s): run `nnstudio validate` for details")
    return 0
