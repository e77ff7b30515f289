"""The app side of scripts/screenshots.py (run in a fresh profile; see that script).

Arguments: OUT_DIR TEMPLATE_KEYS(comma-separated) EPOCHS.  Drives the real window through a
generator of steps: each ``yield`` is a condition (or a number of seconds) to wait for.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from nnstudio.ui.app import launch

OUT = Path(sys.argv[1])
TEMPLATE_KEYS = [k for k in sys.argv[2].split(",") if k]
EPOCHS = int(sys.argv[3])
REPO = Path(__file__).resolve().parents[1]
SAMPLES = {
    "mlp": "species.csv",
    "small_cnn": "digits",
    "residual_cnn": "digits",
    "lstm": "waveforms.npz",
    "autoencoder": "digits",
}
RUN_LIMIT_S = 90

app, window = launch([])
screen = app.primaryScreen().availableGeometry()
window.setGeometry(screen)
shots: list[Path] = []


def controller():
    from nnstudio.ui.training import TrainingController

    return window.findChild(TrainingController)


def shot(name: str) -> None:
    QApplication.processEvents()
    path = OUT / f"{name}.png"
    window.grab().save(str(path))
    shots.append(path)
    print(path, flush=True)


def seconds(s: float) -> Callable[[], bool]:
    end = time.monotonic() + s
    return lambda: time.monotonic() >= end


def first_conv() -> str | None:
    for node in window.graph.nodes.values():
        if "Conv" in node.key:
            return node.id
    return None


def set_epochs(ctl) -> None:
    config = dataclasses.replace(ctl.panel.config(), epochs=EPOCHS)
    ctl.panel.set_config(config)
    ctl.panel.config_changed.emit(config)


def workspaces(prefix: str, epochs: bool = True) -> Iterator[object]:
    """Design, data, a run (during and after), insight: one PNG each (``epochs``: the run
    takes the script's number of epochs, else the project's own)."""
    ctl = controller()
    conv = first_conv()
    window.show_workspace("design")
    if conv:
        window.select_nodes([conv])
    yield seconds(1.0)
    shot(f"{prefix}-design")
    window.show_workspace("data")
    yield seconds(3.0)  # the data panel inspects in the background
    shot(f"{prefix}-data")
    window.show_workspace("train")
    if epochs:
        set_epochs(ctl)
    started = ctl.start()
    began = time.monotonic()
    if started:
        yield lambda: ctl.plots.point_count("loss", "batch") >= 8 or not ctl.worker.is_running()
        yield seconds(0.6)
        shot(f"{prefix}-train-running")
        yield lambda: not ctl.worker.is_running() or time.monotonic() - began > RUN_LIMIT_S
        if ctl.worker.is_running():
            ctl.stop()
            yield lambda: not ctl.worker.is_running()
        yield seconds(0.8)
    shot(f"{prefix}-train-done")
    window.show_workspace("insight")
    if conv:
        window.select_nodes([conv])
    yield seconds(1.0)
    shot(f"{prefix}-insight-activations")
    outputs = [o.node for o in window.graph.outputs]
    if outputs:
        window.select_nodes(outputs[:1])
    yield seconds(1.0)
    shot(f"{prefix}-insight-evaluation")
    window.workspaces.dock("explain").raise_()
    yield seconds(4.0)  # the explanation is computed in the background
    shot(f"{prefix}-insight-explain")
    window.workspaces.dock("fairness").raise_()
    yield seconds(1.0)
    shot(f"{prefix}-insight-fairness")
    window.show_workspace("experiments")
    yield seconds(1.0)
    shot(f"{prefix}-experiments")
    window.show_workspace("design")
    overlay = window.canvas.cost_overlay.action
    overlay.setChecked(True)
    yield seconds(1.0)
    shot(f"{prefix}-design-cost")
    overlay.setChecked(False)


def steps() -> Iterator[object]:
    yield (
        lambda: (
            window.is_engine_ready()
            and window._plugins_installed
            and window.last_report is not None
            and window.last_report.full
        )
    )
    yield from workspaces("example")
    window.maybe_save = lambda: True  # type: ignore[method-assign]
    for key in TEMPLATE_KEYS:
        window.new_from_template(key)
        if window.project.data is None and key in SAMPLES:
            from nnstudio.core.data import config_for_path

            window.project.data = config_for_path(
                REPO / "resources" / "samples" / SAMPLES[key]
            ).to_json()
            window.set_project(window.project)
        yield seconds(0.5)
        # a two-phase template keeps its own epochs (its fine-tune epochs are part of them)
        yield from workspaces(f"template-{key}", epochs=not window.project.training.finetune_epochs)


def drive() -> None:
    runner = steps()
    waiting: list[Callable[[], bool]] = [lambda: True]

    def tick() -> None:
        try:
            if not waiting[0]():
                return
            waiting[0] = next(runner)  # type: ignore[assignment]
        except StopIteration:
            timer.stop()
            window.close_without_prompt()
            app.quit()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(50)
    drive.timer = timer  # type: ignore[attr-defined]


drive()
app.exec()
window.engine.wait()
