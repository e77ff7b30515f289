"""The Issues panel: project issues (missing data) are listed as "data" with a one-click fix;
the checker adds them to every result, errors first."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from ui_helpers import chain_project

from nnstudio.core.graph.check import CheckResult
from nnstudio.core.graph.validation import Issue
from nnstudio.ui.checking import CheckRunner, with_issues
from nnstudio.ui.issues_panel import IssuesPanel

MISSING = Issue("error", None, "data file 'x.csv' not found", "Re-locate it", code="data-missing")


def test_missing_data_row_has_a_relocate_button(qtbot):
    graph = chain_project().graph
    panel = IssuesPanel()
    qtbot.addWidget(panel)
    panel.show()
    hidden = graph.node_by_name("hidden").id
    warning = Issue("warning", hidden, "unused output", "connect it")
    panel.show_result(graph, CheckResult([MISSING, warning], {}), pending_shapes=False)
    assert panel.issue_count() == 2
    assert [panel.tree.topLevelItem(i).text(0) for i in range(2)] == ["data", "hidden"]
    (button,) = panel.action_buttons
    asked = []
    panel.action_requested.connect(asked.append)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    assert asked == [MISSING]
    nodes = []
    panel.node_activated.connect(nodes.append)
    panel.tree.itemActivated.emit(panel.tree.topLevelItem(0), 0)
    panel.tree.itemClicked.emit(panel.tree.topLevelItem(1), 0)
    assert asked == [MISSING, MISSING] and nodes == [hidden]
    panel.show_result(graph, CheckResult([warning], {}), pending_shapes=False)
    assert panel.action_buttons == [] and panel.issues() == [warning]


def test_project_issues_come_first_among_errors():
    node_error = Issue("error", "n1", "bad shape")
    note = Issue("warning", "n2", "unused")
    result = with_issues(CheckResult([node_error, note], {}), [MISSING])
    assert result.issues == [node_error, MISSING, note]
    assert not with_issues(CheckResult([note], {}), [MISSING]).ok


def test_checker_adds_project_issues_to_structural_checks(qtbot):
    graph = chain_project().graph
    runner = CheckRunner(graph)
    try:
        with qtbot.waitSignal(runner.checked, timeout=20_000) as blocker:
            runner.set_project_issues([MISSING])
        assert MISSING in blocker.args[0].result.issues
        with qtbot.waitSignal(runner.checked, timeout=20_000) as blocker:
            runner.set_project_issues([])
        assert MISSING not in blocker.args[0].result.issues
    finally:
        runner.shutdown()
