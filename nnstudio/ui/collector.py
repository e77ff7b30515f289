"""Python's cyclic garbage collector runs on the GUI thread only.

Left to itself, the collector runs on whichever thread happens to allocate when a
generation's threshold is crossed, and it finalizes every unreachable object it finds
there, Qt objects of the window included.  A ``QObject`` destroyed on a worker thread while
the GUI thread deletes widgets deadlocks the two (``QObject::~QObject`` takes a Qt lock and
waits for the GIL that the GUI thread holds; seen while TFLite converted and while training
ran).  So, as in the classic PyQt recipe, automatic collection is switched off and a GUI
timer collects the generations whose thresholds have been crossed.

:func:`pause` / :func:`resume` hold the GUI-thread collections off (nested) while a task
runs that must not meet one (``Task(pause_gc=True)``: a GUI-thread collection can finalize
TensorFlow objects whose destructors wait for a lock that TensorFlow's converters hold).
"""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QCoreApplication, QObject, QTimer

INTERVAL_MS = 500

_PAUSES = 0
_LOCK = threading.Lock()
_COLLECTOR: GuiCollector | None = None


class GuiCollector(QObject):
    """A GUI timer doing the collector's work (the thresholds stay Python's own)."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        gc.disable()
        self.collections = 0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.tick)
        self._timer.start()

    def tick(self) -> None:
        """Collect each generation whose threshold is crossed (oldest last), unless paused."""
        if _PAUSES:
            return
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        for generation in range(3):
            if counts[generation] <= thresholds[generation]:
                break
            gc.collect(generation)
            self.collections += 1

    def postpone(self) -> None:
        """Count the interval to the next collection from now."""
        self._timer.start()


def install() -> GuiCollector:
    """Switch automatic collection off and collect on the GUI thread (once per app)."""
    global _COLLECTOR
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("the GUI collector needs a QApplication")
    if _COLLECTOR is None or _COLLECTOR.parent() is not app:
        _COLLECTOR = GuiCollector(app)
    return _COLLECTOR


def postpone() -> None:
    """The next collection waits a whole interval from now: a project just opened (its
    thousands of new objects make a long collection) paints its first frame first."""
    if _COLLECTOR is not None:
        _COLLECTOR.postpone()


def collect_now() -> None:
    """A full collection on the calling (GUI) thread, paused or not."""
    gc.collect()


def pause() -> None:
    """Hold the GUI-thread collections off until the matching :func:`resume`."""
    global _PAUSES
    with _LOCK:
        _PAUSES += 1


def resume() -> None:
    """End one :func:`pause`."""
    global _PAUSES
    with _LOCK:
        _PAUSES = max(0, _PAUSES - 1)
