"""``nnstudio evaluate RUN --by COLUMN [--json]``: a recorded run's evaluation sliced by a
group, a CSV column (a feature or not) or ``"image sub-folder"``: per-group support,
accuracy, precision, recall and positive rate, then the gaps (demographic parity
difference, equalized-odds difference, worst-group accuracy).

RUN is a run folder (``nnstudio train --out`` or one under ``<project>.runs/``) or a
project file (its latest run with weights, or ``--run ID``).  Exit 2 with one line for a
missing run, an unknown column (the columns are listed) or a run that is no classifier.
"""

from __future__ import annotations

import argparse
import math
import sys

from nnstudio.cli_commands._common import CliError, print_json

MIN_SUPPORT = 30  # fairness.MIN_SUPPORT (not imported here: the CLI starts without NumPy)


def register(subs: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` subcommand."""
    p = subs.add_parser(
        "evaluate",
        help="a run's evaluation per group (fairness slices)",
        description="Predict the validation split of a trained run and slice the results "
        "by a group: a CSV column (used as a feature or not) or 'image sub-folder' (the "
        "first folder below each class folder). Prints per-group support, accuracy, "
        "precision, recall and positive rate, and the gaps between the groups.",
    )
    p.add_argument("run", help="a run folder, or a .nnstudio project file (its latest run)")
    p.add_argument(
        "--by",
        required=True,
        metavar="COLUMN",
        help="the CSV column to group by, or 'image sub-folder'",
    )
    p.add_argument("--run", dest="run_id", metavar="ID", help="the run of a project file")
    p.add_argument(
        "--split", choices=("validation", "test"), default="validation", help="what to slice"
    )
    p.add_argument(
        "--positive",
        metavar="CLASS",
        help="the positive class (default: the second of two; with more: the class with "
        "the largest positive-rate gap)",
    )
    p.add_argument(
        "--min-support",
        type=int,
        default=MIN_SUPPORT,
        metavar="N",
        help=f"flag groups with fewer samples (default {MIN_SUPPORT})",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Slice the run and print the table (or JSON)."""
    from nnstudio.core.insight.fairness import FairnessError
    from nnstudio.core.insight.fairness_run import locate_run, slice_run

    if args.min_support < 0:
        raise CliError("--min-support must be 0 or more")
    try:
        source = locate_run(args.run, args.run_id)
        report = slice_run(
            source,
            args.by,
            split=args.split,
            min_support=args.min_support,
            positive=args.positive,
        )
    except FairnessError as exc:
        raise CliError(str(exc)) from None
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        print_json(report.to_json())
        return 0
    print("\n".join(format_report(report)))
    return 0


def _pct(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:.3f}"


def format_report(report: object) -> list[str]:
    """The per-group table and the gaps as lines of text."""
    from nnstudio.core.insight.fairness import FairnessReport

    assert isinstance(report, FairnessReport)
    rate = "pos. rate" if report.mode == "binary" else f"rate({report.focus})"
    head = ["group", "support", "accuracy", "precision", "recall", rate]
    rows = [
        [
            g.group + (" *" if g.small else ""),
            str(g.support),
            _pct(g.accuracy),
            _pct(g.precision),
            _pct(g.recall),
            _pct(g.positive_rate),
        ]
        for g in [*report.groups, report.overall]
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        return "  ".join([first] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)])

    kind = (
        f'positive class "{report.focus}"'
        if report.mode == "binary"
        else "multi-class: precision/recall macro-averaged, rates one-vs-rest, "
        f'rate shown for "{report.focus}"'
    )
    out = [f"{report.split} split by {report.by}: {report.samples} samples, {kind}", ""]
    out += [line(head), line(["-" * w for w in widths])]
    out += [line(r) for r in rows[:-1]] + [line(["-" * w for w in widths]), line(rows[-1])]
    out += [
        "",
        f"demographic parity difference  {_pct(report.demographic_parity_difference)}",
        f"equalized-odds difference      {_pct(report.equalized_odds_difference)}",
        f"worst-group accuracy           {_pct(report.worst_group_accuracy)} "
        f"({report.worst_group})",
    ]
    if report.small_groups:
        out.append(
            f"* fewer than {report.min_support} samples: "
            + ", ".join(report.small_groups)
            + " (their rates are noisy)"
        )
    sup = report.supported
    if sup is not None:
        out.append(
            f"without them ({sup['groups']} groups): demographic parity difference "
            f"{_pct(sup['demographic_parity_difference'])}, equalized-odds difference "
            f"{_pct(sup['equalized_odds_difference'])}, worst-group accuracy "
            f"{_pct(sup['worst_group_accuracy'])} ({sup['worst_group']})"
        )
    return out
