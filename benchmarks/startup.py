"""Start-up benchmark: time to the main window, beside a bare PySide6 window, same run.

Each measurement is a fresh process (the import cost is the point).  The parent records
the wall-clock time just before starting the child; the child reports the wall-clock time
of its window's first paint.  For NN Studio the child then keeps a 5 ms timer running
while TensorFlow/Keras load in the background and reports the longest gap between two
ticks (how long the window could not react), until the engine is ready and the first
full check has landed.  A third variant loads the engine the naive way (a plain
``import keras`` in a thread) for comparison.

Targets: NN Studio's window at most 2x the bare window; the longest event-loop gap while
the engine loads as small as possible (a plain threaded import stalls ~250 ms).

Run: ``python benchmarks/startup.py [--runs 5] [--platform offscreen|xcb]``
(settings and data folders are temporary, so this is a first start: the example opens;
modules are byte-compiled into a temporary cache first, as they are in an installed app).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

BARE = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1440, 900)
def painted():
    print(f"SHOWN {time.time():.6f}", flush=True)
    app.quit()
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            QTimer.singleShot(0, painted)  # after the first frame is complete
        return False
watcher = FirstPaint()
window.installEventFilter(watcher)
window.show()
app.exec()
"""

STUDIO = r"""
import json, sys, time
from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1])
if "naive" in sys.argv[2:]:
    import importlib
    import nnstudio.ui.engine as eng
    def plain_import(modules, warm_up=True):
        start = time.perf_counter()
        for name in modules:
            importlib.import_module(name)
        return time.perf_counter() - start
    eng.load_modules = plain_import
if "noplugins" in sys.argv[2:]:
    from nnstudio.ui import main_window as _mw
    _mw.MainWindow.plugin_modules = staticmethod(lambda: [])
    _mw.MainWindow.install_plugins = lambda self: None
from nnstudio.ui.app import launch
shown = {}
gaps = []
def painted():
    shown["t"] = time.time()
    last[0] = time.perf_counter()
    timer.start()  # gaps are measured from the first complete frame on
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "t" not in shown:
            obj.removeEventFilter(self)
            QTimer.singleShot(0, painted)
        return False
watcher = FirstPaint()
from PySide6.QtWidgets import QApplication
_app = QApplication(sys.argv[:1])
from nnstudio.ui import main_window as mw
_orig_show = mw.MainWindow.show
def _show(self):
    self.installEventFilter(watcher)
    _orig_show(self)
mw.MainWindow.show = _show
app, window = launch([])
last = [time.perf_counter()]
def tick():
    now = time.perf_counter()
    gaps.append(now - last[0])
    last[0] = now
    report = window.last_report
    if window.is_engine_ready() and report is not None and report.full \
            and window.checker.is_idle():
        timer.stop()
        print("RESULT " + json.dumps({
            "shown": shown.get("t"), "max_gap_ms": max(gaps) * 1000,
            "p99_gap_ms": sorted(gaps)[int(len(gaps) * 0.99)] * 1000,
            "engine_s": window.engine.load_seconds}), flush=True)
        window.close_without_prompt()
        app.quit()
timer = QTimer()
timer.setInterval(5)
timer.timeout.connect(tick)
app.exec()
window.engine.wait()
"""


def run_child(code: str, args: list[str], platform: str, pycache: str) -> tuple[float, dict]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": platform,
        "PYTHONPATH": str(REPO),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONPYCACHEPREFIX": pycache,
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        env["NNSTUDIO_DATA_DIR"] = str(Path(tmp) / "data")
        start = time.time()
        proc = subprocess.run(
            [sys.executable, "-c", code, str(Path(tmp) / "settings"), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    result: dict = {}
    for line in proc.stdout.splitlines():
        if line.startswith("SHOWN "):
            result["shown"] = float(line.split()[1])
        elif line.startswith("RESULT "):
            result.update(json.loads(line[7:]))
    return result["shown"] - start, result


def _pyside_version() -> str:
    import PySide6

    return PySide6.__version__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--platform", default="offscreen")
    args = parser.parse_args()

    bare, studio, gaps, naive_gaps, engine_s, alone_gaps = [], [], [], [], [], []
    print(f"Python {sys.version.split()[0]}, PySide6 {_pyside_version()}")
    with tempfile.TemporaryDirectory() as pycache:
        # Byte-compiled modules, as in an installed package: one warm-up run fills the
        # cache (kept out of the source tree) before anything is timed.
        run_child(BARE, [], args.platform, pycache)
        run_child(STUDIO, ["fast"], args.platform, pycache)
        for _ in range(args.runs):  # interleaved, so drifts in machine load hit all alike
            bare.append(run_child(BARE, [], args.platform, pycache)[0])
            t, res = run_child(STUDIO, ["fast"], args.platform, pycache)
            studio.append(t)
            gaps.append(res["max_gap_ms"])
            engine_s.append(res["engine_s"])
            naive = run_child(STUDIO, ["naive"], args.platform, pycache)
            naive_gaps.append(naive[1]["max_gap_ms"])
            alone = run_child(STUDIO, ["fast", "noplugins"], args.platform, pycache)
            alone_gaps.append(alone[1]["max_gap_ms"])
    med = statistics.median
    print(f"platform: {args.platform}, {args.runs} runs each (medians; min-max)")
    print(
        f"bare PySide6 window shown:  {med(bare) * 1000:7.0f} ms "
        f"({min(bare) * 1000:.0f}-{max(bare) * 1000:.0f})"
    )
    print(
        f"NN Studio window shown:     {med(studio) * 1000:7.0f} ms "
        f"({min(studio) * 1000:.0f}-{max(studio) * 1000:.0f})"
    )
    print(f"ratio NN Studio / bare:     {med(studio) / med(bare):7.2f}x   (target <= 2x)")
    print(f"engine (TF + Keras) load:   {med(engine_s):7.2f} s in the background")
    print(
        f"longest event-loop gap while the engine loads: {med(gaps):6.0f} ms "
        f"({min(gaps):.0f}-{max(gaps):.0f})"
    )
    print(
        f"  same with a plain threaded 'import keras':   {med(naive_gaps):6.0f} ms "
        f"({min(naive_gaps):.0f}-{max(naive_gaps):.0f})"
    )
    print(
        f"  editor alone (no data/training plug-ins):    {med(alone_gaps):6.0f} ms "
        f"({min(alone_gaps):.0f}-{max(alone_gaps):.0f})"
    )
    print("  (the plug-ins' panels are built when their workspace is first shown, not here)")


if __name__ == "__main__":
    main()
