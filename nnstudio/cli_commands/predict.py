"""``nnstudio predict MODEL --input FILE_OR_FOLDER [--json]``: predictions of a ``.keras``
export (with its model card) for a CSV, an image or a folder of images, an ``.npy`` or an
``.npz``; classifiers print class names.  Exit 2 with one line for a missing file, a wrong
format, or inputs whose shape does not match the card.
"""

from __future__ import annotations

import argparse
from typing import Any

from nnstudio.cli_commands._common import CliError, print_json


def register(subs: argparse._SubParsersAction) -> None:
    """Add the ``predict`` subcommand."""
    p = subs.add_parser(
        "predict",
        help="predict with an exported .keras model on files",
        description="Load a .keras export and its model card (MODEL.card.json) and print "
        "predictions for a CSV, an image or image folder, an .npy or an .npz. "
        "The recorded preprocessing is applied unless the model includes it.",
    )
    p.add_argument("model", help="an exported .keras file (its card beside it)")
    p.add_argument(
        "--input",
        "-i",
        metavar="FILE_OR_FOLDER",
        help="a .csv, an image, a folder of images, an .npy or an .npz (not for a generator)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--count", type=int, default=64, metavar="N", help="a GAN generator: N samples (64)"
    )
    p.add_argument("--seed", type=int, default=0, help="a GAN generator: the latent seed (0)")
    p.add_argument(
        "--out", metavar="PNG", help="a GAN generator: the grid PNG (default MODEL.grid.png)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print one line (or JSON object) per sample; a generator writes a grid PNG."""
    from nnstudio.core.export import ExportError
    from nnstudio.core.export.predict import predict_file

    if args.input is None:
        return _generate(args)
    try:
        result = predict_file(args.model, args.input)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(result.to_json())
        return 0
    for row in result.rows():
        parts = [f"{name}={_text(value)}" for name, value in row.items() if name != "input"]
        if len(parts) == 1:
            parts = [parts[0].split("=", 1)[1]]
        print(f"{row['input']}: {'  '.join(parts)}")
    return 0


def _text(value: dict[str, Any]) -> str:
    if "class" in value:
        return f"{value['class']} ({value['score']:.3f})"
    values = value["values"]
    flat = values if isinstance(values, list) else [values]
    if len(flat) == 1 and not isinstance(flat[0], list):
        return f"{flat[0]:.6g}"
    return str(values) if len(str(values)) <= 80 else str(values)[:77] + "..."


def _generate(args: argparse.Namespace) -> int:
    """``nnstudio predict GENERATOR [--count N] [--seed S] [--out PNG]``: a sample grid."""
    from pathlib import Path

    from nnstudio.core.export import ExportError
    from nnstudio.core.export.generator import predict_grid

    out = args.out or str(Path(args.model).with_suffix(".grid.png"))
    try:
        info = predict_grid(args.model, out, count=args.count, seed=args.seed)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"{out}: cannot write the grid ({exc.strerror or exc})") from None
    if args.json:
        print_json(info)
    else:
        shape = "x".join(str(d) for d in info["sample_shape"])
        print(f"{info['count']} samples of {shape} -> {info['path']}")
    return 0
