"""The Data workspace: the data panel at full size (source, options, preview, class chart,
problems).  A plug-in: installed once the data panel's module is importable.

The panel's ``source_changed(config)`` is stored as ``config.to_json()`` in ``project.data``
(the project is marked modified), ``fit_requested(report)`` pushes the data layer's
``fit_commands``, ``set_config`` shows each opened project's source, and data files dropped
on the canvas go to its ``set_path``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from nnstudio.ui.workspaces import DATA, Area, PanelSpec

if TYPE_CHECKING:
    from nnstudio.ui.shell import MainWindow


def install(window: MainWindow) -> None:
    """Register the data panel (built when the Data workspace is first shown or needed)."""

    def build() -> QWidget:
        from nnstudio.ui.data_panel import DataPanel

        panel = DataPanel()
        panel.source_changed.connect(window._data_source_changed)
        if hasattr(panel, "fit_requested"):
            panel.fit_requested.connect(window._fit_to_data)
        window._show_project_data(panel)
        return panel

    window.add_panel_spec(PanelSpec("data", "Data", DATA, build, Area.LeftDockWidgetArea))
