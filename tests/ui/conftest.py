"""Fixtures for the desktop-editor tests.

- Qt runs offscreen (set here, before any QApplication exists).
- Every test gets its own QSettings folder and data folder (recovery files), so no test
  touches the user's settings.
- A test fails if it leaves a QThread, QThreadPool work or a ``ui.tasks`` task running, or
  if Qt logs a warning during it.
- ``keras_engine`` loads Keras once per session; ``make_window`` / ``window`` build main
  windows that are closed (without prompts) after the test.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication, QSettings, QThread, QThreadPool  # noqa: E402

UI_DIR = Path(__file__).parent
BENIGN_QT_MESSAGES = (
    "This plugin does not support propagateSizeHints",  # offscreen platform
    "This plugin does not support raise",
    "This plugin does not support grabbing the keyboard",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Qt warnings fail the UI tests (pytest-qt's log capture), benign platform notes aside."""
    for item in items:
        if UI_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*BENIGN_QT_MESSAGES))


@pytest.fixture(autouse=True)
def no_qthread_left_running(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that starts a QThread, QThreadPool work or a background task and leaves
    it running."""
    try:
        from nnstudio.ui.tasks import live_tasks
    except ImportError:  # an installed copy of nnstudio older than ui.tasks (a subprocess)

        def live_tasks() -> list:
            return []

    started: list[QThread] = []
    original = QThread.start

    def tracking_start(self: QThread, *args: object) -> None:
        started.append(self)
        original(self, *args)

    monkeypatch.setattr(QThread, "start", tracking_start)
    yield
    running = []
    for thread in started:
        try:
            if thread.isRunning():
                running.append(thread.objectName() or type(thread).__name__)
        except RuntimeError:  # the C++ object is gone: it is not running
            continue
    running += [f"task {t.name}" for t in live_tasks()]
    pool = QThreadPool.globalInstance()
    if pool.activeThreadCount():
        running.append(f"{pool.activeThreadCount()} QThreadPool runnable(s)")
    if running:
        for task in live_tasks():
            task.shutdown(5000)
        pool.waitForDone(5000)
        for thread in started:
            try:
                thread.quit()
                thread.wait(5000)
            except RuntimeError:
                continue
        pytest.fail(f"the test left QThreads running: {', '.join(running)}")


@pytest.fixture(autouse=True)
def gui_collector(qapp) -> None:
    """As in the app: cyclic garbage is collected on the GUI thread only."""
    try:
        from nnstudio.ui import collector
    except ImportError:  # an installed copy of nnstudio older than ui.collector (a subprocess)
        return
    collector.install()


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A modal dialog would block the test run: opening one fails the test instead.

    Tests that expect a question replace the window's ``ask_*`` / ``show_error`` methods.
    """
    from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

    def refuse(*args: object, **kwargs: object) -> None:
        texts = [a for a in args if isinstance(a, str)]
        raise AssertionError(f"a modal dialog opened during a test: {texts}")

    for name in ("question", "warning", "information", "critical", "about"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(refuse))
    monkeypatch.setattr(QMessageBox, "exec", refuse)
    monkeypatch.setattr(QDialog, "exec", refuse)
    for name in ("getOpenFileName", "getSaveFileName", "getExistingDirectory"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(refuse))


@pytest.fixture(autouse=True)
def isolated_settings(qapp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """QSettings and the data folder live in the test's temporary folder."""
    folder = tmp_path / "settings"
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    QCoreApplication.setOrganizationName("NN Studio Tests")
    QCoreApplication.setApplicationName("NN Studio Tests")
    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path / "data"))
    return folder


@pytest.fixture(scope="session")
def keras_engine():
    """The process engine with Keras loaded (once per session, synchronously)."""
    import keras  # noqa: F401

    from nnstudio.ui.engine import engine

    eng = engine()
    eng.start()
    assert eng.is_ready()
    return eng


@pytest.fixture
def make_window(qtbot, tmp_path: Path) -> Iterator[Callable[..., object]]:
    """Factory: ``make_window(plugins=False, engine=None)`` -> a shown ``MainWindow``.

    Windows made here are closed without prompts after the test, and their threads stopped.
    """
    from nnstudio.ui.main_window import MainWindow

    made: list[MainWindow] = []

    def make(plugins: bool = False, engine=None, data_dir: Path | None = None) -> MainWindow:
        window = MainWindow(engine=engine, data_dir=data_dir or tmp_path / "data", plugins=plugins)
        qtbot.addWidget(window, before_close_func=lambda w: w.close_without_prompt())
        window.show()
        made.append(window)
        return window

    yield make
    for window in made:
        window.close_without_prompt()


@pytest.fixture
def window(make_window, keras_engine):
    """A main window with the Keras engine ready and no plug-ins."""
    return make_window(engine=keras_engine)


@pytest.fixture
def wait_checked(qtbot) -> Callable[..., object]:
    """``wait_checked(window)``: block until the latest edit has been fully checked."""

    def wait(window, full: bool = True, timeout: int = 15000):
        def done() -> bool:
            report = window.last_report
            return window.checker.is_idle() and report is not None and (report.full or not full)

        qtbot.waitUntil(done, timeout=timeout)
        return window.last_check

    return wait


@pytest.fixture(autouse=True, scope="session")
def _release_clipboard_at_exit():
    """Copied layers left on the clipboard would crash the interpreter at exit (see
    :func:`nnstudio.ui.canvas.view.release_clipboard`); the app does the same on quit."""
    yield
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is not None:
        from nnstudio.ui.canvas.view import release_clipboard

        release_clipboard()
