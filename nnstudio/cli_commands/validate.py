"""``nnstudio validate PROJECT [--json]``: check the graph; exit 1 when it has errors."""

from __future__ import annotations

import argparse

from nnstudio.cli_commands._common import load_project, print_json


def register(subs: argparse._SubParsersAction) -> None:
    """Add the ``validate`` subcommand."""
    p = subs.add_parser(
        "validate",
        help="check a project's graph (exit 1 on errors)",
        description="Check a project's graph: structure and tensor shapes.",
    )
    p.add_argument("project", help="a .nnstudio project file")
    p.add_argument("--json", action="store_true", help="print a JSON report")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print every issue; 0 when valid, 1 when the graph has errors."""
    project = load_project(args.project)
    from nnstudio.core.graph import check_graph

    graph = project.graph
    result = check_graph(graph)
    if args.json:
        print_json(
            {
                "valid": result.ok,
                "errors": len(result.errors),
                "warnings": len(result.issues) - len(result.errors),
                "issues": [i.to_json(graph) for i in result.issues],
            }
        )
    else:
        for issue in result.issues:
            where = graph.nodes[issue.node].name if issue.node in graph.nodes else "model"
            line = f"{issue.severity}: {where}: {issue.message}"
            if issue.hint:
                line += f" Hint: {issue.hint}"
            print(line)
        state = "valid" if result.ok else "invalid"
        print(
            f"{project.name}: {state} — {len(result.errors)} error(s), "
            f"{len(result.issues) - len(result.errors)} warning(s), "
            f"{result.total_params:,} parameters"
        )
    return 0 if result.ok else 1
