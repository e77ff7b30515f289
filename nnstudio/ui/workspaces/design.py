"""The Design workspace: palette, canvas, inspector, issues (and the undo history)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnstudio.ui.workspaces import DESIGN, Area, PanelSpec

if TYPE_CHECKING:
    from nnstudio.ui.shell import MainWindow


def install(window: MainWindow) -> None:
    """Register the editor's own panels (their widgets already exist: the window needs them)."""
    add = window.add_panel_spec
    add(PanelSpec("canvas", "Canvas", DESIGN, lambda: window.blocks.panel, area=None))
    add(
        PanelSpec(
            "layers", "Layers", DESIGN, lambda: window.palette_panel, Area.LeftDockWidgetArea, 230
        )
    )
    add(
        PanelSpec(
            "inspector",
            "Inspector",
            DESIGN,
            lambda: window.inspector,
            Area.RightDockWidgetArea,
            330,
        )
    )
    add(
        PanelSpec(
            "issues", "Issues", DESIGN, lambda: window.issues_panel, Area.BottomDockWidgetArea, 120
        )
    )
    add(
        PanelSpec(
            "history",
            "History",
            DESIGN,
            lambda: window.history_view,
            Area.RightDockWidgetArea,
            hidden=True,
        )
    )
