"""Is the window responsive while it trains?  Event-loop gaps during a CNN run.

Opens the main window (offscreen unless ``--show``), loads the small CNN template and trains
it on digit-like images through the Training panel's controller, with a layer selected so
the live activations are drawn.  A 30 Hz timer measures how late each tick fires; the worst
and the 99th-percentile gap over the run are printed.  Target: worst gap under 50 ms.

    python benchmarks/ui_latency.py [--samples 12000] [--epochs 3] [--show]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from training_overhead import digit_like  # noqa: E402

TICK_MS = 33


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=12_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--show", action="store_true", help="use the real display")
    args = parser.parse_args()
    if not args.show:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("NNSTUDIO_DATA_DIR", tempfile.mkdtemp(prefix="nnstudio-bench-"))

    from PySide6.QtCore import QCoreApplication, QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    settings_dir = tempfile.mkdtemp(prefix="nnstudio-bench-settings-")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
    QCoreApplication.setOrganizationName("NN Studio Bench")

    import keras  # the engine, loaded before the window (its import gap is not measured)

    from nnstudio.core.templates import build_template
    from nnstudio.core.training.data import TrainingData
    from nnstudio.ui.engine import engine
    from nnstudio.ui.main_window import MainWindow
    from nnstudio.ui.training import TrainingController

    eng = engine()
    eng.start()
    window = MainWindow(engine=eng, data_dir=Path(os.environ["NNSTUDIO_DATA_DIR"]))
    window.resize(1600, 1000)
    window.show()
    project = build_template("small_cnn")
    project.training = {"epochs": args.epochs, "batch_size": 64}
    window.set_project(project)
    controller = window.findChild(TrainingController)
    x, y = digit_like(args.samples)
    cut = args.samples * 5 // 6
    data = TrainingData.from_arrays(x[:cut], y[:cut], val=(x[cut:], y[cut:]))
    conv = window.graph.node_by_name("conv_2")
    window.select_nodes([conv.id])
    controller.activations_dock.raise_()

    gaps: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(TICK_MS)

    def tick() -> None:
        if clock.isValid():
            gaps.append(max(0.0, clock.nsecsElapsed() / 1e6 - TICK_MS))
        clock.restart()

    timer.timeout.connect(tick)
    finished: list = []
    controller.worker.finished.connect(finished.append)
    for _ in range(10):
        app.processEvents()
    start = time.perf_counter()
    timer.start()
    assert controller.start(data=data), controller.panel.status_label.text()
    while not finished:
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    seconds = time.perf_counter() - start
    outcome = finished[0]
    window.close_without_prompt()
    a = np.array(gaps)
    print(
        f"keras {keras.__version__}; small CNN, {cut:,} training samples, {args.epochs} "
        f"epoch(s), {outcome.status} in {seconds:.1f} s "
        f"({outcome.result.epochs_completed} epochs)"
    )
    print(
        f"30 Hz timer: {len(a)} ticks; event-loop gap worst {a.max():.1f} ms, "
        f"99th percentile {np.percentile(a, 99):.1f} ms, median {np.median(a):.1f} ms "
        "(target: worst < 50 ms)"
    )


if __name__ == "__main__":
    main()
