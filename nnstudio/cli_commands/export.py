"""``nnstudio export PROJECT_OR_RUN --format FMT [...] -o PATH``: write verified exports.

``PROJECT_OR_RUN`` is a project file (its latest run by default, ``--run`` picks another; a
project without a run exports its untrained model, with a warning) or a run folder holding
``model.keras``.  Every format is written atomically, reloaded with its own runtime and
compared with the model on a sample batch; a model card (``NAME.card.json``) goes beside
each.  Exit codes: 0 all verified, 1 a format failed (the others are still written),
2 a user error (missing file, unknown format, a model that cannot be exported).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nnstudio.cli_commands._common import CliError, print_json

FORMAT_KEYS = ("keras", "savedmodel", "tflite", "tflite-int8", "onnx", "python")


def register(subs: argparse._SubParsersAction) -> None:
    """Add the ``export`` subcommand."""
    p = subs.add_parser(
        "export",
        help="export a trained model (keras, savedmodel, tflite, onnx, python)",
        description="Export a project's latest run (or a run folder) in one or more formats. "
        "Each export is verified by reloading it with its own runtime and "
        "comparing predictions with the model; a JSON model card goes beside it.",
    )
    p.add_argument(
        "source",
        metavar="PROJECT_OR_RUN",
        help="a .nnstudio project file or a run folder with model.keras",
    )
    p.add_argument(
        "--format",
        "-f",
        dest="formats",
        action="append",
        required=True,
        metavar="FMT",
        help=f"one of {', '.join(FORMAT_KEYS)}; repeat the option "
        "or separate with commas for several",
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="PATH",
        help="a folder for the exports (created if needed); with one format also "
        "the export's own path, e.g. out/model.keras or out/net.onnx",
    )
    p.add_argument("--run", metavar="RUN_ID", help="export this run of the project")
    p.add_argument(
        "--bake-preprocessing",
        action="store_true",
        help="include the recorded preprocessing (normalization, rescaling, image "
        "size) in the exported model so it takes raw inputs",
    )
    p.add_argument("--name", default="model", help="base file name (default: model)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export, print one line per format; 0 when every format verified, 1 otherwise."""
    from nnstudio.core.export import (
        ExportError,
        export_model,
        parse_formats,
        plan_targets,
        source_from_path,
        validation_arrays,
    )

    requested = [f for item in args.formats for f in item.split(",") if f.strip()]
    try:
        formats = parse_formats(requested)
        plan_targets(formats, args.output, args.name)  # refuse a bad destination early
        if not Path(args.source).exists():
            raise ExportError(f"{args.source}: no such file or folder")
        source = source_from_path(args.source, args.run)
        validation = validation_arrays(source) if "tflite-int8" in formats else None
        report = export_model(
            source,
            formats,
            args.output,
            bake=args.bake_preprocessing,
            base_name=args.name,
            validation=validation,
        )
    except ExportError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(
            {
                "model": source.name,
                "run": source.run_id,
                "trained": source.trained,
                **report.to_json(),
            }
        )
        return 0 if report.ok else 1
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    what = (
        f"run {source.run_id}"
        if source.run_id
        else ("trained model" if source.trained else "untrained model")
    )
    print(f"{source.name} ({what}):")
    width = max(len(r.format) for r in report.results) if report.results else 0
    for r in report.results:
        if r.ok and r.verification is not None:
            print(
                f"  {r.format:<{width}}  {r.path}  verified with {r.verification.runtime}: "
                f"{r.verification.summary()}  [{r.seconds:.1f} s]"
            )
        else:
            print(f"  {r.format:<{width}}  FAILED: {r.error}")
    return 0 if report.ok else 1
