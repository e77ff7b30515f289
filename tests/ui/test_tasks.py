"""The one bridge for background work: a core function on a thread, its progress, events,
result and exception delivered as queued signals on the GUI thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread, QThreadPool

from nnstudio.core.tasks import Cancelled, TaskState
from nnstudio.ui.tasks import Task, live_tasks

TIMEOUT = 10_000
pytest_plugins = ("pytester",)


def test_result_progress_and_events_arrive_on_the_gui_thread(qtbot) -> None:
    gui = QThread.currentThread()
    seen: list[tuple] = []

    def work(state: TaskState, n: int) -> int:
        for i in range(n):
            state.emit({"type": "step", "i": i})
            state.report(i + 1, n, "counting")
        return n * 2

    task = Task(work, 5, interval_ms=5)
    task.events.connect(
        lambda batch: seen.extend(("event", e["i"]) for e in batch if e["type"] == "step")
    )
    task.progress.connect(lambda d, t, text: seen.append(("progress", d, t, text)))
    task.result.connect(lambda value: seen.append(("result", value, QThread.currentThread())))
    with qtbot.waitSignal(task.finished, timeout=TIMEOUT):
        task.start()
    events = [s[1] for s in seen if s[0] == "event"]
    assert events == [0, 1, 2, 3, 4]  # every partial result, in order
    assert ("progress", 5.0, 5.0, "counting") in seen  # the last progress always arrives
    result = [s for s in seen if s[0] == "result"]
    assert result == [("result", 10, gui)]
    assert seen.index(result[0]) == len(seen) - 1  # the result comes after the events
    assert not task.is_running() and task not in live_tasks()


def test_an_exception_is_delivered_with_its_traceback(qtbot) -> None:
    def work(state: TaskState) -> None:
        raise ValueError("broken input")

    task = Task(work)
    with qtbot.waitSignal(task.error, timeout=TIMEOUT) as blocker:
        task.start()
    (exc,) = blocker.args
    assert isinstance(exc, ValueError) and str(exc) == "broken input"
    assert "Traceback" in task.traceback and "broken input" in task.traceback


def test_cancel_and_pause_reach_the_function(qtbot) -> None:
    paused = threading.Event()

    def work(state: TaskState) -> str:
        state.emit({"type": "waiting"})
        paused.set()
        state.wait_while_paused()
        while True:
            state.report(0, 1)  # raises Cancelled once cancel is asked
            state.check()

    task = Task(work)
    task.pause()
    with qtbot.waitSignal(task.error, timeout=TIMEOUT) as blocker:
        task.start()
        assert paused.wait(5) and task.is_running()
        assert task in live_tasks()
        task.cancel()  # also wakes the paused function
    assert isinstance(blocker.args[0], Cancelled)


def test_shutdown_waits_and_delivers_the_outcome_at_once(qtbot) -> None:
    def work(state: TaskState) -> str:
        while not state.stop_requested:
            state.wait_while_paused(timeout=0.01)
        return "stopped"

    got: list[str] = []
    task = Task(work)
    task.result.connect(got.append)
    task.start()
    assert task.shutdown(TIMEOUT)
    assert got == ["stopped"] and not task.is_running()


def test_a_task_starts_once(qtbot) -> None:
    task = Task(lambda state: None)
    with qtbot.waitSignal(task.finished, timeout=TIMEOUT):
        task.start()
    with pytest.raises(RuntimeError):
        task.start()


def test_the_leak_fixture_sees_a_running_task_and_pool_work(request) -> None:
    """What the autouse fixture checks after each test: live tasks and QThreadPool work."""
    release = threading.Event()
    task = Task(lambda state: release.wait(5))
    task.start()
    assert task in live_tasks()
    pool = QThreadPool.globalInstance()
    pool.start(lambda: release.wait(5))
    assert pool.activeThreadCount() >= 1
    release.set()
    assert task.wait(TIMEOUT) and pool.waitForDone(TIMEOUT)
    assert task not in live_tasks() and pool.activeThreadCount() == 0


def test_the_guard_fails_a_test_that_leaves_a_task_or_pool_work_running(
    pytester, monkeypatch
) -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("PYTHONPATH", str(root))  # this checkout's nnstudio in the subprocess
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text())
    pytester.makepyfile(
        """
        import threading
        from PySide6.QtCore import QThreadPool
        from nnstudio.ui.tasks import Task

        STOP = threading.Event()

        def test_leaks_a_task(qapp):
            Task(lambda state: STOP.wait(1.5), name="leaky").start()  # outlives the test

        def test_leaks_pool_work(qapp):
            QThreadPool.globalInstance().start(lambda: STOP.wait(1.5))

        def test_after():
            STOP.set()
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*the test left QThreads running:*task leaky*"])
    result.stdout.fnmatch_lines(["*the test left QThreads running:*QThreadPool runnable*"])
    result.assert_outcomes(passed=3, errors=2)


class _Cycle:
    """Cyclic garbage that records the thread it is finalized on."""

    def __init__(self, seen: list[str]) -> None:
        self.me = self
        self.seen = seen

    def __del__(self) -> None:
        self.seen.append(threading.current_thread().name)


def test_garbage_of_a_task_thread_is_collected_on_the_gui_thread(qtbot) -> None:
    import gc

    from nnstudio.ui import collector

    gui = collector.install()
    assert not gc.isenabled()  # no automatic collection on whatever thread allocates
    seen: list[str] = []

    def work(state: TaskState) -> None:
        for _ in range(3 * gc.get_threshold()[0]):  # well past a generation-0 collection
            _Cycle(seen)

    with qtbot.waitSignal(Task(work, name="garbage").start().finished, timeout=10_000):
        pass
    assert seen == []  # nothing collected on the task's thread
    qtbot.waitUntil(lambda: len(seen) > 0, timeout=5000)  # the GUI timer's collection
    gui.tick()
    gc.collect()
    assert set(seen) == {threading.main_thread().name}


def test_pause_gc_holds_the_gui_collections_off_while_the_task_runs(qtbot) -> None:
    import gc

    from nnstudio.ui import collector

    gui = collector.install()
    seen: list[str] = []
    one, two = threading.Event(), threading.Event()

    def hold(state: TaskState, release: threading.Event) -> None:
        release.wait(5)

    first = Task(hold, one, pause_gc=True, name="gc-1").start()
    second = Task(hold, two, pause_gc=True, name="gc-2").start()
    for _ in range(3 * gc.get_threshold()[0]):
        _Cycle(seen)
    gui.tick()
    assert seen == []  # paused
    one.set()
    with qtbot.waitSignal(first.finished, timeout=5000):
        pass
    gui.tick()
    assert seen == []  # the second still runs
    two.set()
    with qtbot.waitSignal(second.finished, timeout=5000):
        pass
    gui.tick()
    assert seen and set(seen) == {threading.main_thread().name}
