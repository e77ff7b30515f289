"""Screenshots of the Design workspace with the cost overlay on (for NOTES-cost.md).

    xvfb-run -a -s "-screen 0 1366x768x24" python scripts/screenshot_cost_overlay.py \\
        resources/examples/digits_cnn.nnstudio,resources/templates/residual_cnn.nnstudio \\
        macs|activations|params light|dark

Writes /tmp/shots/<project>-<mode>-<appearance>.png and prints each path with the summary
line.  A fresh settings folder is used, so no saved window state from an earlier run applies.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

OUT = Path("/tmp/shots")


def main() -> None:
    """Open each project, switch the overlay on, grab the window."""
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    shutil.rmtree(OUT / "settings", ignore_errors=True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(OUT / "settings"))
    QCoreApplication.setOrganizationName("NN Studio Shots")
    import keras  # noqa: F401  (the engine is loaded synchronously here)

    from nnstudio.core.project import Project
    from nnstudio.ui.engine import engine
    from nnstudio.ui.main_window import MainWindow
    from nnstudio.ui.theme import apply_appearance

    eng = engine()
    eng.start()
    files = sys.argv[1].split(",")
    mode = sys.argv[2] if len(sys.argv) > 2 else "macs"
    appearance = sys.argv[3] if len(sys.argv) > 3 else "light"
    if appearance != "light":
        apply_appearance(appearance)
    w = MainWindow(engine=eng, data_dir=OUT / "data", plugins=False)
    w.resize(1366, 768)
    w.show()

    def settle(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)

    for f in files:
        w.set_project(Project.load(Path(f)))
        settle(0.5)
        while not (w.checker.is_idle() and w.last_report is not None and w.last_report.full):
            settle(0.1)
        w.canvas.cost_overlay.set_enabled(True)
        w.canvas.cost_overlay.set_mode(mode)
        w.canvas.fit_to_view()
        if w.canvas.zoom() < 0.6 and len(w.graph.nodes) > 12:
            w.canvas.set_zoom(0.45)
            ids = list(w.graph.nodes)[:11]
            w.canvas.centerOn(w.canvas.graph_scene().nodes_rect(ids).center())
        settle(0.6)
        out = OUT / f"{Path(f).stem}-{mode}-{appearance}.png"
        w.grab().save(str(out))
        print(out, w.issues_panel.summary.text())
    w.close_without_prompt()


if __name__ == "__main__":
    main()
