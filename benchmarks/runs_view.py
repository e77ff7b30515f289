"""Do the run list and the chart overlay stay smooth with 500 runs of 100 epochs?

Builds a project of ``--runs`` synthetic runs (``--sweeps`` sweeps of equal size, a fifth of
the runs by themselves, every run with loss, val_loss, accuracy and val_accuracy per epoch)
in a temporary folder, then measures:

- the core: saving and loading the project file (``Project.load``: parse plus run records);
- opening it in the window (1366x768, offscreen unless ``--show``) with the Train workspace
  shown, until the event queue is empty;
- showing every run (each group's box, each lone run's box), hiding and showing one group,
  switching a group between band and lines, toggling one run;
- panning the loss chart: the synchronous repaint of the charts after each x-range step,
  with the groups drawn as bands and again with every run drawn as lines (target: median
  under 16 ms), ``--rounds`` drags of ``--pans`` steps each, with how many steps had to
  draw the overlay pictures again (the others shift them, see ``ui/training/overlay_layer``);
- zooming the x axis (every step draws the pictures again; for the record, no target).

    python benchmarks/runs_view.py [--runs 500] [--epochs 100] [--sweeps 8] [--show]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_MS = 16.0


def synthetic_runs(runs: int, epochs: int, sweeps: int) -> list[dict]:
    """Run records as JSON: ``sweeps`` sweeps share four fifths of the runs."""
    rng = np.random.default_rng(0)
    grouped = runs * 4 // 5
    out = []
    x = np.arange(1, epochs + 1, dtype=float)
    for n in range(runs):
        sweep = f"sweep-{n * sweeps // grouped}" if n < grouped else None
        rate = rng.uniform(0.02, 0.2)
        loss = 0.2 + np.exp(-rate * x) + rng.normal(0, 0.02, epochs)
        acc = 1.0 - 0.5 * np.exp(-rate * x) + rng.normal(0, 0.01, epochs)
        history = {
            "loss": loss.round(5).tolist(),
            "accuracy": acc.round(5).tolist(),
            "val_loss": (loss + 0.05).round(5).tolist(),
            "val_accuracy": (acc - 0.02).round(5).tolist(),
        }
        record = {
            "id": f"run-{n:04d}",
            "name": f"trial {n}" if sweep else f"run {n}",
            "status": "completed",
            "epochs_completed": epochs,
            "history": history,
            "best": {"val_loss": float(history["val_loss"][-1])},
        }
        if sweep:
            record["sweep"] = sweep
            record["trial_params"] = {"learning_rate": round(10 ** rng.uniform(-4, -1), 6)}
        else:
            record["tags"] = ["baseline"] if n % 2 else ["augmented"]
        out.append(record)
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--sweeps", type=int, default=8)
    parser.add_argument("--pans", type=int, default=40, help="steps per drag")
    parser.add_argument("--rounds", type=int, default=3, help="drags per pan figure")
    parser.add_argument("--show", action="store_true", help="use the real display")
    args = parser.parse_args()
    if not args.show:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("NNSTUDIO_DATA_DIR", tempfile.mkdtemp(prefix="nnstudio-bench-"))

    from PySide6.QtCore import QCoreApplication, QSettings, Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    settings_dir = tempfile.mkdtemp(prefix="nnstudio-bench-settings-")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
    QCoreApplication.setOrganizationName("NN Studio Bench")

    from nnstudio.core.project import Project
    from nnstudio.ui.main_window import MainWindow
    from nnstudio.ui.training import TrainingController
    from nnstudio.ui.training.run_tree import BAND, SHOW

    folder = Path(tempfile.mkdtemp(prefix="nnstudio-bench-runs-"))
    path = folder / "many-runs.nnstudio"
    t = time.perf_counter()
    Project(name="many runs", runs=synthetic_runs(args.runs, args.epochs, args.sweeps)).save(path)
    save_s = time.perf_counter() - t
    size_mb = path.stat().st_size / 2**20
    loads = []
    for _ in range(3):
        t = time.perf_counter()
        Project.load(path)
        loads.append(time.perf_counter() - t)
    print(f"{args.runs} runs x {args.epochs} epochs x 4 metrics, file {size_mb:.1f} MiB")
    print(f"core: save {_ms(save_s)}, Project.load median {_ms(statistics.median(loads))}")

    window = MainWindow(data_dir=Path(os.environ["NNSTUDIO_DATA_DIR"]), plugins=True)
    window.resize(1366, 768)
    window.show()
    window.show_workspace("train")
    app.processEvents()
    t = time.perf_counter()
    window.set_project(Project.load(path))
    app.processEvents()
    open_s = time.perf_counter() - t
    ctl = window.findChild(TrainingController)
    model, plots = ctl.runs.model, ctl.plots
    print(f"open in the window (load, list, charts; nothing drawn yet): {_ms(open_s)}")

    work: list[float] = []  # the toggles' own work, without the repaint that follows

    def check(index, on: bool) -> float:
        state = Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        start = time.perf_counter()
        model.setData(index, state, Qt.ItemDataRole.CheckStateRole)
        work.append(time.perf_counter() - start)
        app.processEvents()
        return time.perf_counter() - start

    def layer_renders() -> int:
        return sum(layer.renders for _plot, layer in plots.runs_overlay._layers.values())

    def pan(label: str, dy: float = 0.0) -> None:
        """``--rounds`` drags of the x range by half the run length in ``--pans`` steps,
        each followed by a synchronous repaint of the charts' viewport."""
        box = plots.plots["loss"].getViewBox()
        viewport = plots.view.viewport()
        times = []
        renders = 0
        step = args.epochs / 2 / args.pans
        for _ in range(args.rounds):
            box.enableAutoRange()
            box.setXRange(0, args.epochs / 2, padding=0)
            app.processEvents()
            before = layer_renders()
            for _ in range(args.pans):
                box.translateBy(x=step, y=dy)  # as a mouse drag does (both axes then fixed)
                start = time.perf_counter()
                viewport.repaint()
                times.append(time.perf_counter() - start)
            renders += layer_renders() - before
        med = statistics.median(times) * 1000
        verdict = "ok" if med < TARGET_MS else "OVER"
        print(
            f"pan, {label}: median repaint {med:.1f} ms, worst {max(times) * 1000:.1f} ms "
            f"over {len(times)} steps, overlay pictures re-drawn in {renders} "
            f"(target < {TARGET_MS:.0f} ms: {verdict})"
        )

    def zoom(label: str) -> None:
        """Zoom steps (each re-draws the overlay pictures: not a target, for the record)."""
        box = plots.plots["loss"].getViewBox()
        box.enableAutoRange()
        box.setXRange(0, args.epochs, padding=0)
        app.processEvents()
        viewport = plots.view.viewport()
        times = []
        for i in range(args.pans // 2):
            box.scaleBy(x=0.97 if i < args.pans // 4 else 1 / 0.97, y=1)
            start = time.perf_counter()
            viewport.repaint()
            times.append(time.perf_counter() - start)
        print(
            f"zoom x, {label}: median repaint {_ms(statistics.median(times))}, "
            f"worst {_ms(max(times))} over {len(times)} steps (no target)"
        )

    groups = list(model.groups())
    pan("no run shown (the charts alone)")
    lone = [r.id for r in window.project.runs if r.sweep is None]
    t = time.perf_counter()
    for label in groups:
        check(model.group_index(label, SHOW), True)
    for run_id in lone:
        check(model.index_of(run_id, SHOW), True)
    print(
        f"toggles' own work (no repaint): median {_ms(statistics.median(work))}, "
        f"worst {_ms(max(work))}"
    )
    print(
        f"show all {args.runs} runs ({len(groups)} groups as bands, {len(lone)} lone runs): "
        f"{_ms(time.perf_counter() - t)}"
    )
    group = model.group_index(groups[0], SHOW)
    hide = [check(group, False) for _ in range(1)] + [check(group, True)]
    print(
        f"hide / show one group of {len(model.groups()[groups[0]])}: "
        f"{_ms(hide[0])} / {_ms(hide[1])}"
    )
    one = [check(model.index_of(lone[0], SHOW), on) for on in (False, True)]
    print(f"toggle one run: {_ms(statistics.median(one))}")
    band = model.group_index(groups[0], BAND)
    lines_s, band_s = check(band, False), check(band, True)
    print(f"one group to lines / back to a band: {_ms(lines_s)} / {_ms(band_s)}")

    pan(f"{len(groups)} bands + {len(lone)} lines")
    for label in groups:
        check(model.group_index(label, BAND), False)
    pan(f"all {args.runs} runs as lines")
    pan(f"all {args.runs} runs as lines, dragged diagonally", dy=0.002)
    zoom(f"all {args.runs} runs as lines")
    for label in groups:
        check(model.group_index(label, SHOW), False)
    for run_id in lone:
        check(model.index_of(run_id, SHOW), False)
    pan("every run hidden again (the same charts, for comparison)")
    window.close_without_prompt()


if __name__ == "__main__":
    main()
