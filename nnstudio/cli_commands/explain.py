"""``nnstudio explain MODEL --input FILE_OR_FOLDER --method gradcam|saliency|smoothgrad|ig
[--class NAME] -o DIR [--json]``: why the model decides as it does, per sample.  Images get
PNG overlays (the input with a heat map and its colour scale), rows and sequences a CSV of
attributions; ``explain.json`` summarises it (``--json`` prints it).  Exit 2 with one line
for a missing or damaged model or input."""

from __future__ import annotations

import argparse

from nnstudio.cli_commands._common import CliError, print_json


def register(subs: argparse._SubParsersAction) -> None:
    """Add the ``explain`` subcommand."""
    p = subs.add_parser(
        "explain",
        help="explain a trained model's predictions (Grad-CAM, saliency, SmoothGrad, IG)",
        description="Attributions of a .keras export (its card beside it) or a run folder for "
        "the samples of a CSV, an image or image folder, an .npy or an .npz, read with the "
        "training preprocessing. Writes PNG overlays (images) or attributions.csv (rows, "
        "sequences) and explain.json into DIR.",
    )
    p.add_argument("model", help="an exported .keras file (its card beside it) or a run folder")
    p.add_argument("--input", "-i", required=True, metavar="FILE_OR_FOLDER")
    p.add_argument(
        "--method",
        "-m",
        default="gradcam",
        choices=("gradcam", "saliency", "smoothgrad", "ig"),
        help="gradcam (default), saliency, smoothgrad or ig (integrated gradients)",
    )
    p.add_argument(
        "--class",
        dest="class_name",
        metavar="NAME",
        help="the class to explain (a class name or number; default: the predicted class)",
    )
    p.add_argument("--layer", help="Grad-CAM: the layer (default: the last convolution)")
    p.add_argument("--steps", type=int, default=50, help="ig: steps on the path (50)")
    p.add_argument(
        "--baseline",
        default="zeros",
        choices=("zeros", "blurred", "mean"),
        help="ig: the baseline (zeros; blurred input; mean of the inputs given)",
    )
    p.add_argument("--noise", type=float, default=0.15, help="smoothgrad: noise level (0.15)")
    p.add_argument("--samples", type=int, default=25, help="smoothgrad: noisy copies (25)")
    p.add_argument("--output", "-o", required=True, metavar="DIR", help="folder for the files")
    p.add_argument("--json", action="store_true", help="print the JSON summary")
    p.set_defaults(func=run)


def _options(args: argparse.Namespace) -> dict[str, object]:
    if args.method == "gradcam":
        return {"layer": args.layer} if args.layer else {}
    if args.method == "smoothgrad":
        return {"noise": args.noise, "samples": args.samples}
    if args.method == "ig":
        return {"steps": args.steps, "baseline": args.baseline}
    return {}


def run(args: argparse.Namespace) -> int:
    """Explain every sample; print one line each (or the JSON summary)."""
    from nnstudio.core.insight.explain_files import explain_files
    from nnstudio.core.insight.explain_maps import ExplainError

    options = _options(args)
    try:
        report = explain_files(
            args.model, args.input, args.method, args.output, args.class_name, options
        )
    except ExplainError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(report.to_json())
        return 0
    for sample in report.samples:
        name = sample["class"] if sample["class"] is not None else sample["class_index"]
        print(f"{sample['input']}: class {name} (score {sample['score']:.3f})")
    print(f"wrote {len(report.files)} files to {args.output}")
    return 0
