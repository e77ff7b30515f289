"""``nnstudio train PROJECT``: train headless with a progress bar, write the run.

Options: ``--data PATH [--target COLUMN]`` attaches a data source for this run and fits the
Input shape and the output head to it; ``--epochs``, ``--batch-size``, ``--device``
override the project's training settings; ``--backend`` picks the Keras backend (set before
Keras loads).  ``--precision``, ``--devices`` and ``--distribute multihost`` choose precision and
devices (:mod:`._train_distrib`).  ``--out RUN_DIR`` writes ``model.keras``, ``history.csv`` and
``metrics.json`` there and leaves the project file alone; without it the run is recorded in
the project (folder ``<project>.runs/<run id>/``) and the project is saved.

Ctrl-C stops after the current batch and keeps the last complete epoch (exit code 130);
a second Ctrl-C aborts at once.  A failed or diverged run exits with 1.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from nnstudio.cli_commands import _train_distrib
from nnstudio.cli_commands._common import CliError, load_project
from nnstudio.core.backend import BACKENDS

if TYPE_CHECKING:
    from nnstudio.core.training.records import RunRecord

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


def register(subs: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand."""
    p = subs.add_parser(
        "train",
        help="train a project's model headless and write the run",
        description="Train a project's model with its training settings and write the run: "
        "model.keras, history.csv (one row per epoch) and metrics.json. "
        "Ctrl-C stops after the current batch and keeps the last complete epoch.",
    )
    p.add_argument("project", help="a .nnstudio project file")
    p.add_argument(
        "--data",
        metavar="PATH",
        help="train on this data (CSV, image folder, .npy/.npz) and fit the Input "
        "shape and output head to it",
    )
    p.add_argument("--target", metavar="COLUMN", help="the target column of a CSV --data")
    p.add_argument("--epochs", type=int, metavar="N", help="number of epochs")
    p.add_argument("--batch-size", type=int, metavar="N", help="samples per batch")
    p.add_argument(
        "--out", metavar="RUN_DIR", help="write the run here instead of recording it in the project"
    )
    p.add_argument("--device", metavar="cpu|gpu:N", help="train on this device (default: auto)")
    p.add_argument(
        "--backend",
        choices=sorted(BACKENDS),
        help="Keras backend (default: KERAS_BACKEND or tensorflow)",
    )
    p.add_argument(
        "--no-tensorboard",
        action="store_true",
        help="write no TensorBoard logs into the run folder (default: the project's setting)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _train_distrib.add_options(p)
    p.set_defaults(func=run)


def select_backend(name: str | None) -> None:
    """Set ``KERAS_BACKEND`` before Keras is imported; refuse a backend that is missing."""
    from nnstudio.core.backend import BackendError
    from nnstudio.core.backend import select_backend as select

    try:
        select(name)
    except BackendError as exc:
        if "already loaded" in str(exc):
            raise CliError(
                f"{exc}: run `nnstudio train --backend {name}` in a new process"
            ) from None
        raise CliError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    """Train and write the run; see the module docstring for exit codes."""
    if args.target and not args.data:
        raise CliError("--target needs --data")
    select_backend(args.backend)
    args.multihost = _train_distrib.join(args)
    project = load_project(args.project)
    from nnstudio.core.training.config import ConfigError

    try:
        config = project.training
        overrides = {
            k: v
            for k, v in (
                ("epochs", args.epochs),
                ("batch_size", args.batch_size),
                ("device", args.device),
            )
            if v is not None
        }
        if getattr(args, "no_tensorboard", False):
            overrides["tensorboard"] = False
        overrides.update(_train_distrib.overrides(args))
        config = config.replace(**overrides)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    data_config = _data_config(project, args)
    return _train(project, config, data_config, args)


def _data_config(project: Any, args: argparse.Namespace) -> Any:
    from nnstudio.core.data import DataError, config_for_path

    try:
        if args.data:
            if not os.path.exists(args.data):
                raise CliError(f"{args.data}: no such file or folder")
            options = {"target_columns": [args.target]} if args.target else {}
            return config_for_path(args.data, **options)
        if project.data is None:
            raise CliError(f"{Path(args.project).name} has no data source: pass --data PATH")
        return project.data
    except DataError as exc:
        raise CliError(f"data: {exc}") from None


def _train(project: Any, config: Any, data_config: Any, args: argparse.Namespace) -> int:
    from nnstudio.core.tasks import TaskState
    from nnstudio.core.training.job import TrainingJob, execute
    from nnstudio.core.training.runs import RunStatus

    job = TrainingJob.for_project(
        project,
        config=config.to_json(),
        data_config=data_config.to_json(),
        run_dir=args.out,
        fit_to_data=bool(args.data),
        backend=args.backend,
        precision=getattr(args, "precision", None),
        options={"multihost": args.multihost} if getattr(args, "multihost", None) else {},
    )
    progress = TerminalProgress(sys.stderr, enabled=not args.quiet)
    state = TaskState(progress, keep_events=False)
    with _stop_on_ctrl_c(state):
        outcome = execute(job, state)
    if outcome.status != RunStatus.COMPLETED and getattr(args, "multihost", None):
        _train_distrib.finish(False, args.multihost, outcome.message)
    if outcome.result is None:  # it could not start
        message = outcome.message
        if outcome.stage == "data" and message.startswith("The data cannot be used: "):
            message = "data: " + message.removeprefix("The data cannot be used: ")
        code = EXIT_FAILED if outcome.stage in ("compile", "job") else 2
        raise CliError(message, code=code, details=outcome.traceback)
    if outcome.write_error:
        raise CliError(outcome.write_error, code=EXIT_FAILED)
    trace = outcome.result.traceback
    if trace and getattr(args, "verbose", False):
        print(trace.rstrip(), file=sys.stderr)
    if outcome.record is not None:
        _save_record(args.project, outcome.record)
    result, evaluation = outcome.result, outcome.evaluation
    print(result.message)
    for note in outcome.notes:
        print(f"note: {note}", file=sys.stderr)
    if evaluation is not None:
        shown = ", ".join(f"{k} {v:.4g}" for k, v in evaluation.metrics.items())
        print(f"{evaluation.split}: {shown}")
    if outcome.where is not None or not getattr(args, "multihost", None):
        print(f"run written to {Path(outcome.where or '.')}")
    _train_distrib.finish(result.status == RunStatus.COMPLETED, getattr(args, "multihost", None))
    if result.status == RunStatus.COMPLETED:
        return 0
    return EXIT_INTERRUPTED if result.status == RunStatus.STOPPED else EXIT_FAILED


def _save_record(project_path: str, record: RunRecord) -> None:
    """Record into the file as it is on disk: --data fits the graph for this run only."""
    from nnstudio.core.project import ProjectError

    saved = load_project(project_path)
    saved.add_run(record)
    try:
        saved.save()
    except ProjectError as exc:
        raise CliError(str(exc)) from None
    for note in saved.save_notes:
        print(note)


class _stop_on_ctrl_c:  # noqa: N801 - used as a context manager
    """First Ctrl-C: stop after the current batch; second: abort (KeyboardInterrupt)."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self.previous: Any = None

    def _handler(self, signum: int, frame: Any) -> None:
        if self.state.stop_requested:
            raise KeyboardInterrupt
        self.state.request_stop("stopped by Ctrl-C")
        print("\nstopping after the current batch (Ctrl-C again to abort)", file=sys.stderr)

    def __enter__(self) -> _stop_on_ctrl_c:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


class TerminalProgress:
    """Prints run events: a progress line per batch on a terminal (at most 10 per second),
    one line per epoch always."""

    def __init__(self, stream: TextIO, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = stream.isatty()
        self.epochs: int | None = None
        self._last = 0.0
        self._open_line = False

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "start":
            self.epochs = event.get("epochs")
        elif kind == "batch" and self.enabled and self.tty:
            now = time.monotonic()
            if now - self._last >= 0.1:
                self._last = now
                self._write("\r" + self._batch_line(event) + "\x1b[K")
                self._open_line = True
        elif kind == "epoch" and self.enabled:
            self._end_line()
            logs = "  ".join(f"{k} {v:.4g}" for k, v in event["logs"].items())
            self._write(
                f"Epoch {event['epoch'] + 1}/{self.epochs}  {event['epoch_seconds']:.1f}s  {logs}\n"
            )
        elif kind == "log" and (self.enabled or event.get("level", "info") != "info"):
            self._end_line()  # --quiet keeps warnings and errors, not the info lines
            self._write(f"{event['text']}\n")
        elif kind == "end":
            self._end_line()

    def _batch_line(self, event: dict[str, Any]) -> str:
        from nnstudio.core.tasks import eta_seconds, format_duration

        steps = event.get("steps")
        done = event["batch"] + 1
        width = 24
        if steps:
            filled = int(width * done / steps)
            bar = "=" * filled + (">" if filled < width else "") + " " * (width - filled - 1)
            where = f"{done}/{steps}"
        else:
            bar, where = " " * width, str(done)
        eta = eta_seconds(done, steps, event["epoch_elapsed"])
        logs = "  ".join(f"{k} {v:.4f}" for k, v in event["logs"].items())
        rate = event.get("samples_per_s")
        speed = f"  {rate:,.0f} samples/s" if rate else ""
        return (
            f"Epoch {event['epoch'] + 1}/{self.epochs} [{bar[:width]}] {where}  {logs}"
            f"{speed}  ETA {format_duration(eta)}"
        )

    def _end_line(self) -> None:
        if self._open_line:
            self._write("\n")
            self._open_line = False

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
