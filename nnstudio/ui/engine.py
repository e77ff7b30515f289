"""Loads the Keras/TensorFlow engine off the GUI thread, keeping the window responsive.

Importing TensorFlow in a thread still stalls the GUI thread whenever the importer holds the
GIL for long.  Two things hold it for long (measured on this stack: worst event-loop gap
~250 ms with a plain threaded ``import keras``): the ``dlopen`` of TensorFlow's big shared
libraries, and full garbage collections over the many objects the import creates.  The
loader therefore (1) loads those libraries first through libc's ``dlopen`` called via
ctypes, which releases the GIL while the linker works, so the later Python import finds
them already mapped, and (2) disables the cyclic garbage collector during the import and
then freezes the imported objects out of future collections (``gc.freeze``).  The worst gap
falls to a few tens of milliseconds (see ``benchmarks/startup.py``).
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import importlib.util
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from nnstudio.core.tasks import TaskState
from nnstudio.ui.tasks import Task

log = logging.getLogger(__name__)

ENGINE_MODULES: tuple[str, ...] = ("numpy", "tensorflow", "keras")
PAUSE_LIMIT_S = 10.0
PRELUDE_POLL_MS = 5  # how soon ``prelude_loaded`` follows the prelude's import
_TF_LIBRARIES = ("libtensorflow_framework.so.2", "libtensorflow_cc.so.2")


def preload_shared_libraries(
    package: str = "tensorflow", names: Sequence[str] = _TF_LIBRARIES
) -> list[str]:
    """``dlopen`` a package's shared libraries without holding the GIL (Linux only).

    Returns the libraries loaded.  Anything unusual (another OS, a missing file, a loader
    error) is skipped: the normal import then loads them itself.
    """
    if not sys.platform.startswith("linux"):
        return []
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return []
    folder = Path(spec.origin).parent
    try:
        libc = ctypes.CDLL(None)
        dlopen = libc.dlopen
    except (OSError, AttributeError):
        return []
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    loaded = []
    for name in names:
        path = folder / name
        if path.is_file() and dlopen(os.fsencode(path), os.RTLD_LAZY | os.RTLD_LOCAL):
            loaded.append(name)
    return loaded


def load_modules(modules: Sequence[str], warm_up: bool = True) -> float:
    """Import ``modules`` in order with the garbage collector paused; returns the seconds.

    With ``warm_up``, a tiny Keras layer is built symbolically so that the first shape check
    does not pay Keras' one-off start-up costs.
    """
    start = time.perf_counter()
    if "tensorflow" in modules and "tensorflow" not in sys.modules:
        preload_shared_libraries()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for name in modules:
            importlib.import_module(name)
        if warm_up and "keras" in modules:
            _warm_up_keras()
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
    return time.perf_counter() - start


def _warm_up_keras() -> None:
    import keras

    with keras.StatelessScope():
        layer = keras.layers.Dense(2)
        layer(keras.KerasTensor((None, 3)))


def import_prelude(modules: Sequence[str]) -> None:
    """Import modules the GUI will need soon (plug-in panels); failures are only logged.

    The panel that needs a module imports it again on the GUI thread and reports the error.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for name in modules:
            try:
                importlib.import_module(name)
            except ImportError as exc:
                log.warning("background import of %s failed: %s", name, exc)
    finally:
        if was_enabled:
            gc.enable()


def _load(state: TaskState, modules: Sequence[str], prelude: Sequence[str]) -> float:
    """The loader, run on a :class:`~nnstudio.ui.tasks.Task`: the prelude, a ``prelude``
    event, a pause while one is requested (at most ``PAUSE_LIMIT_S``), then the engine."""
    import_prelude(prelude)
    state.emit({"type": "prelude"})
    # Let the GUI build the panels it just got before competing with it for the GIL.
    state.wait_while_paused(timeout=PAUSE_LIMIT_S)
    return load_modules(modules)


class Engine(QObject):
    """The process's Keras engine: ``start()`` loads it in the background, then ``ready``.

    Loading happens once per process; a second ``start()`` is a no-op, and an engine whose
    modules are already imported becomes ready at once (``ready`` is emitted inside
    ``start()``).
    """

    prelude_loaded = Signal()
    ready = Signal()
    failed = Signal(str)

    def __init__(
        self, modules: Sequence[str] = ENGINE_MODULES, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.modules = tuple(modules)
        self._thread: Task | None = None
        self._ready = False
        self.error: str | None = None
        self.load_seconds: float | None = None

    def is_ready(self) -> bool:
        """True once every engine module is imported."""
        return self._ready

    def is_loading(self) -> bool:
        """True while the loader thread runs."""
        return self._thread is not None and self._thread.is_running()

    def start(self, prelude: Sequence[str] = (), pause_after_prelude: bool = False) -> None:
        """Begin loading (in a thread) unless it is loaded or loading.

        ``prelude`` names modules to import first, off the GUI thread (the plug-in panels);
        ``prelude_loaded`` is emitted once they are in, before the engine itself loads.
        With ``pause_after_prelude`` the loader then waits for :meth:`resume` (at most
        ``PAUSE_LIMIT_S`` seconds), so that the GUI thread can build the plug-ins' widgets
        without the import competing for the interpreter.
        """
        if self._ready or self.is_loading():
            return
        if all(m in sys.modules for m in self.modules):
            import_prelude(prelude)
            self.prelude_loaded.emit()
            self._on_loaded(0.0)  # already imported (e.g. by a test): ready at once
            return
        self.error = None
        task = Task(
            _load,
            self.modules,
            tuple(prelude),
            parent=self,
            name="nnstudio-engine-loader",
            interval_ms=PRELUDE_POLL_MS,
        )
        if pause_after_prelude:
            task.pause()
        task.events.connect(self._on_events)
        task.result.connect(self._on_loaded)
        task.error.connect(self._on_error)
        self._thread = task
        task.start()

    def resume(self) -> None:
        """Let a loader paused after its prelude go on with the engine."""
        if self._thread is not None:
            self._thread.resume()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the loader thread has finished (for shutdown); True if it has.

        Nothing is delivered from here: ``ready`` or ``failed`` still arrive queued."""
        if self._thread is None:
            return True
        self.resume()
        return self._thread.join(timeout_ms)

    def _on_events(self, events: list[dict]) -> None:
        if any(e.get("type") == "prelude" for e in events):
            self.prelude_loaded.emit()

    def _on_error(self, exc: BaseException) -> None:
        # an import can fail in many ways; the task logged the traceback, the UI reports it
        self._on_failed(f"{type(exc).__name__}: {exc}")

    def _on_loaded(self, seconds: float) -> None:
        if self._ready:
            return
        self._finish_thread()
        self._ready = True
        self.load_seconds = seconds
        self.ready.emit()

    def _on_failed(self, message: str) -> None:
        self._finish_thread()
        self.error = message
        self.failed.emit(message)

    def _finish_thread(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread.deleteLater()
            self._thread = None


_ENGINE: Engine | None = None


def engine() -> Engine:
    """The process-wide engine (created on first use, parented to nothing)."""
    global _ENGINE
    if _ENGINE is None:
        from nnstudio.ui.backend_setting import engine_modules

        _ENGINE = Engine(engine_modules())  # the backend's package, not always TensorFlow
    return _ENGINE
