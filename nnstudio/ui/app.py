"""Start the desktop app: ``run_app(args)`` (``nnstudio`` with no command, ``python main.py``).

The window is shown first; TensorFlow/Keras load afterwards on a background thread (see
:mod:`nnstudio.ui.engine`) while the status bar says so.  Nothing imported here pulls in
TensorFlow.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from nnstudio import __version__

log = logging.getLogger(__name__)

ORGANIZATION = "NN Studio"
APPLICATION = "NN Studio"
PROCESS_START = time.perf_counter()


def qt_binding_problem(
    pyside_version: str | None = None, python: tuple[int, int] | None = None
) -> str | None:
    """A known defect of the installed Qt binding that would crash the app, or ``None``.

    PySide6 6.12.0 drops a reference to ``None`` on every call of a method that returns
    nothing (``QPainter.drawRect``, ``QWidget.update`` ...).  From Python 3.12 on ``None``
    is immortal and nothing happens; on Python 3.11 the count runs out after some
    thousands of calls and the interpreter aborts ("deallocating None").
    """
    if pyside_version is None:
        import PySide6

        pyside_version = PySide6.__version__
    python = python or sys.version_info[:2]
    if pyside_version == "6.12.0" and python < (3, 12):
        return (
            "PySide6 6.12.0 on Python 3.11 crashes after a while (a reference-counting "
            "defect). Install PySide6-Essentials 6.11.3, or use Python 3.12 or newer."
        )
    return None


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The ``QApplication`` with the app's names, icon and (Qt) settings location."""
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "nnstudio", *(argv or [])])
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    from nnstudio.ui.resources import app_icon

    app.setWindowIcon(app_icon())
    app.setDesktopFileName("io.github.nnstudio.NNStudio")  # the installed .desktop entry
    from nnstudio.ui import collector

    collector.install()  # cyclic garbage is collected on the GUI thread only
    return app  # type: ignore[return-value]


class _AfterFirstFrame(QObject):
    """Runs ``callback`` once the watched widget has painted its first frame."""

    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            QTimer.singleShot(0, self._callback)
        return False


def launch(args: Sequence[str] = ()):
    """Create the application and show the main window; returns ``(app, window)``.

    The window is shown with the editor's own panels.  Once its first frame is painted,
    the first project is opened (a file from ``args``, a crashed session's work, or the
    example on first start) and a background thread imports the plug-in panels' modules
    (data, training: NumPy, pyqtgraph), then TensorFlow and Keras.  The plug-ins are
    installed as soon as their modules are in; shapes appear when Keras is.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    app = create_application()
    from nnstudio.ui.backend_setting import apply_saved_backend

    apply_saved_backend()  # before the engine loads Keras (it fixes the backend)
    from nnstudio.ui.main_window import MainWindow

    window = MainWindow(plugins=False)
    path = args[0] if args else None

    problem = qt_binding_problem()
    if problem:
        log.warning(problem)

    def after_first_frame() -> None:
        if problem:
            window.show_message(problem, 0)
        window.checker.hold(False)
        window.startup(path)
        engine = window.engine

        def plugins_ready() -> None:
            window.install_plugins()
            engine.resume()

        engine.prelude_loaded.connect(plugins_ready)
        # NetworkX (the structural checks) goes first: a C-extension import holds the GIL,
        # and one waiting for the dynamic loader while TensorFlow's libraries are being
        # mapped would freeze the window.
        engine.start(prelude=["networkx", *window.plugin_modules()], pause_after_prelude=True)

    window.checker.hold(True)  # the first check (NetworkX import) waits for the first frame
    _AfterFirstFrame(window, after_first_frame)
    window.show()
    return app, window


def run_app(args: list[str]) -> int:
    """Run the desktop app until its window closes; returns the exit code."""
    from nnstudio.ui.canvas.view import release_clipboard

    app, window = launch(args)
    code = app.exec()
    release_clipboard()
    window.engine.wait()
    return int(code)
