"""``nnstudio sweep PROJECT --param NAME=SPEC ...``: a hyperparameter sweep, headless.

NAME is ``node.param`` for a layer parameter (``hidden_1.units``) or a training setting
(``learning_rate``, ``batch_size``, ``optimizer``, ``epochs``, ``schedule``...); SPEC is
``a,b,c`` for choices, ``lo..hi`` for a linear range, ``lo..hi:log`` for a log range.
Every trial is a training run written to ``OUT/trial-NNN/`` (model.keras, history.csv,
metrics.json); ``OUT/trials.csv`` has one row per trial.  ``OUT`` defaults to
``<project>.sweep/`` beside the project file, which the command leaves alone.

Ctrl-C stops after the current batch (exit code 130); the same command resumes the sweep:
finished trials are kept, the stopped one runs again.  A bad spec exits with 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from nnstudio.cli_commands._common import CliError, load_project, print_json
from nnstudio.cli_commands.train import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    _data_config,
    _stop_on_ctrl_c,
)


def register(subs: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` subcommand."""
    p = subs.add_parser(
        "sweep",
        help="search hyperparameters: train one run per trial, write trials.csv",
        description="Run a sweep over layer parameters (node.param) and training settings: "
        "one training run per trial, each written to OUT/trial-NNN, and OUT/trials.csv. "
        "SPEC is a,b,c (choices), lo..hi (a range) or lo..hi:log (a log range). "
        "Ctrl-C stops after the current batch; the same command resumes the sweep.",
    )
    p.add_argument("project", help="a .nnstudio project file")
    p.add_argument(
        "--param",
        action="append",
        required=True,
        metavar="NAME=SPEC",
        help="a parameter to vary, e.g. hidden_1.units=16,32,64 or learning_rate=1e-4..1e-1:log",
    )
    p.add_argument("--strategy", choices=("grid", "random", "bayes"), default="random")
    p.add_argument("--trials", type=int, metavar="N", help="number of trials (grid: the grid)")
    p.add_argument("--time-limit", type=float, metavar="MIN", help="start no trial after MIN")
    p.add_argument("--metric", default="val_loss", help="what to optimise (default val_loss)")
    p.add_argument("--pruner", choices=("median", "hyperband", "none"), default="median")
    p.add_argument("--seed", type=int, default=0, help="the search's seed (default 0)")
    p.add_argument("--out", metavar="DIR", help="the sweep's folder (default <project>.sweep)")
    p.add_argument("--data", metavar="PATH", help="train on this data and fit the model to it")
    p.add_argument("--target", metavar="COLUMN", help="the target column of a CSV --data")
    p.add_argument("--epochs", type=int, metavar="N", help="epochs of every trial")
    p.add_argument("--batch-size", type=int, metavar="N", help="samples per batch")
    p.add_argument(
        "--evaluate", action="store_true", help="also evaluate each trial's kept weights"
    )
    p.add_argument(
        "--no-tensorboard",
        action="store_true",
        help="write no TensorBoard logs of the trials' training (HParams are still written)",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress")
    p.set_defaults(func=run)


def sweep_config(args: argparse.Namespace) -> Any:
    """The :class:`~nnstudio.core.sweeps.SweepConfig` of the command line."""
    from nnstudio.core.sweeps import SweepConfig, SweepError, parse_param

    try:
        limit = None if args.time_limit is None else args.time_limit * 60.0
        return SweepConfig(
            params=tuple(parse_param(text) for text in args.param),
            strategy=args.strategy,
            trials=args.trials,
            time_limit_s=limit,
            metric=args.metric,
            seed=args.seed,
            pruner=args.pruner,
            epochs=args.epochs,
            batch_size=args.batch_size,
            evaluate=args.evaluate,
        )
    except SweepError as exc:
        raise CliError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    """Run or resume the sweep; exit 0 when it finished, 130 when stopped, 1 on failure."""
    from nnstudio.core.sweeps import SweepError, run_sweep
    from nnstudio.core.tasks import TaskState

    if args.target and not args.data:
        raise CliError("--target needs --data")
    config = sweep_config(args)
    project = load_project(args.project)
    if args.no_tensorboard:  # this process only: the project file is never written
        project.training = project.training.replace(tensorboard=False)
    data = _data_config(project, args)
    out = Path(args.out) if args.out else _default_out(args.project)
    progress = SweepProgress(sys.stderr, config.budget(), enabled=not args.quiet)
    state = TaskState(progress, keep_events=False)
    try:
        with _stop_on_ctrl_c(state):
            outcome = run_sweep(
                project,
                config,
                out,
                state,
                data_config=data.to_json() if args.data else None,
                fit_to_data=bool(args.data),
            )
    except SweepError as exc:
        raise CliError(str(exc)) from None
    return _report(outcome, config, out, args.json)


def _default_out(project_path: str) -> Path:
    path = Path(project_path)
    return path.with_name(f"{path.stem}.sweep")


def _report(outcome: Any, config: Any, out: Path, as_json: bool) -> int:
    if as_json:
        print_json(outcome.to_json())
    else:
        best = outcome.best
        if best is not None:
            values = "  ".join(f"{k}={_short(v)}" for k, v in best.params.items())
            print(f"best: trial {best.number}  {values}  {config.metric} {best.value:.4g}")
        counts: dict[str, int] = {}
        for t in outcome.trials:
            counts[t.status] = counts.get(t.status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        print(f"{outcome.message} ({summary or 'no trials'})")
        print(f"trials written to {out / 'trials.csv'}")
    if outcome.error:
        print(f"error: {outcome.error}", file=sys.stderr)
        return EXIT_FAILED
    if outcome.stopped:
        return EXIT_INTERRUPTED
    if outcome.trials and all(t.status == "failed" for t in outcome.trials):
        return EXIT_FAILED
    return 0


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class SweepProgress:
    """Prints a sweep's events: one line per trial (started, then how it ended), and on a
    terminal a live bar of the current trial's batches (at most 10 redraws per second)."""

    def __init__(self, stream: TextIO, budget: int | None, enabled: bool = True) -> None:
        self.stream = stream
        self.budget = budget
        self.enabled = enabled
        self.tty = stream.isatty()
        self.number = 0
        self.epochs: int | None = None
        self._last = 0.0
        self._open = False

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "sweep_started" and self.enabled and event.get("done"):
            self._line(f"resuming: {event['done']} trials already finished")
        elif kind == "trial_started":
            self.number = event["number"]
            if self.enabled:
                values = "  ".join(f"{k}={_short(v)}" for k, v in event["params"].items())
                self._line(f"trial {self._of()}  {values}")
        elif kind == "start":
            self.epochs = event.get("epochs")
        elif kind == "batch" and self.enabled and self.tty:
            now = time.monotonic()
            if now - self._last >= 0.1:
                self._last = now
                self._write("\r" + self._bar(event) + "\x1b[K")
                self._open = True
        elif kind == "trial_finished" and self.enabled:
            self._line(self._finished(event["trial"]))
        elif kind == "log" and event.get("level", "info") != "info":
            self._line(str(event.get("text", "")))

    def _of(self) -> str:
        return f"{self.number}/{self.budget}" if self.budget else str(self.number)

    def _bar(self, event: dict[str, Any]) -> str:
        steps = event.get("steps") or 0
        done = event["batch"] + 1
        width = 20
        filled = int(width * done / steps) if steps else 0
        bar = ("=" * filled + (">" if filled < width else "")).ljust(width)[:width]
        where = f"{done}/{steps}" if steps else str(done)
        loss = event.get("logs", {}).get("loss")
        shown = f"  loss {loss:.4f}" if isinstance(loss, float) else ""
        return f"  epoch {event['epoch'] + 1}/{self.epochs} [{bar}] {where}{shown}"

    def _finished(self, trial: dict[str, Any]) -> str:
        value = trial.get("value")
        shown = f"  value {value:.4g}" if isinstance(value, float) else ""
        took = trial.get("elapsed_s")
        secs = f", {took:.1f}s" if isinstance(took, float) else ""
        text = f"trial {self._of()} {trial['status']}{shown}  ({trial['epochs']} epochs{secs})"
        if trial["status"] == "failed" and trial.get("message"):
            text += f": {trial['message']}"
        return text

    def _line(self, text: str) -> None:
        if self._open:
            self._write("\r\x1b[K" if self.tty else "\n")
            self._open = False
        self._write(text + "\n")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
