"""The continuous check shows the pre-flight issues (data against model) on the nodes."""

from __future__ import annotations

from nnstudio.core.data.report import Report
from nnstudio.core.templates import build_template
from nnstudio.ui.checking import CheckRunner


def _check(qtbot, runner: CheckRunner, action) -> object:
    with qtbot.waitSignal(runner.checked, timeout=60_000) as blocker:
        action()
    return blocker.args[0].result


def test_check_runner_adds_the_preflight_issues(qtbot, keras_engine) -> None:
    graph = build_template("mlp").graph
    runner = CheckRunner(graph)
    try:
        assert _check(qtbot, runner, lambda: runner.set_full(True)).ok
        housing = Report("csv", "housing.csv", samples=500, feature_shape=(8,), task="regression")
        housing.num_outputs = 1
        result = _check(qtbot, runner, lambda: runner.set_data(housing))
        assert not result.ok
        features = graph.node_by_name("features").id
        (issue,) = result.for_node(features)
        assert issue.message == "The data has 8 features, Input 'features' takes 4."
        assert _check(qtbot, runner, lambda: runner.set_data(None)).ok
    finally:
        runner.shutdown()
