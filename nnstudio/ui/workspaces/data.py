"""The Data workspace: the data panel at full size (source, options, preview, class chart,
problems).  A plug-in: installed once the data panel's module is importable.

The panel's ``source_changed(config)`` becomes an undoable ``SetDataSource``, its reports feed
the data/model check and missing data can be re-located (:mod:`nnstudio.ui.data.bridge`);
``fit_requested(report)`` pushes the data layer's ``fit_commands``, ``set_config`` shows each
opened project's source, and data files dropped on the canvas go to its ``set_path``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from nnstudio.ui.workspaces import DATA, Area, PanelSpec

if TYPE_CHECKING:
    from nnstudio.ui.shell import MainWindow


def install(window: MainWindow) -> object:
    """Register the data panel (built when the Data workspace is first shown or needed)."""
    from nnstudio.ui.data.bridge import DataBridge

    bridge = DataBridge(window)

    def build() -> QWidget:
        from nnstudio.ui.data_panel import DataPanel

        panel = DataPanel()
        bridge.attach(panel)
        window._show_project_data(panel)
        return panel

    window.add_panel_spec(PanelSpec("data", "Data", DATA, build, Area.LeftDockWidgetArea))
    bridge.start()
    return bridge
