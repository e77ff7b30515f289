"""Workspaces: one page of the window per stage of the work (Design, Data, Train, Insight,
Experiments).

Every panel of the app is described by a :class:`PanelSpec` (which workspace, which dock
area, a factory) and handed to ``window.add_panel_spec``; a :class:`Plugin` is anything
with ``install(window)`` that does so.  A workspace is a nested ``QMainWindow`` (see
:class:`WorkspacePage`) with its own docks and its own saved layout; its panels are built
the first time it is shown (or the first time code asks for one of its widgets), never
while the engine loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QStackedWidget, QWidget

if TYPE_CHECKING:
    from nnstudio.ui.shell import MainWindow

DESIGN, DATA, TRAIN, INSIGHT = "design", "data", "train", "insight"
EXPERIMENTS = "experiments"
WORKSPACES: tuple[tuple[str, str, str], ...] = (
    (DESIGN, "Design", "Build the network: layers, wiring, parameters, issues"),
    (DATA, "Data", "Choose the data and see what the model will get"),
    (TRAIN, "Train", "Training settings, live charts and the run log"),
    (INSIGHT, "Insight", "What a layer learned, and how the model does on held-out data"),
    (EXPERIMENTS, "Experiments", "Sweeps: try many settings, compare the trials, keep the best"),
)
STATE_VERSION = 2
Area = Qt.DockWidgetArea


@dataclass(frozen=True)
class PanelSpec:
    """One panel: ``factory`` builds its widget (once, on first need).

    ``area`` None makes it the workspace's central widget.  ``size`` is the default width
    (left/right) or height (top/bottom) in pixels; ``tab_with`` the key of a panel it is
    tabbed with by default, ``beside`` one it sits next to (split); ``scroll`` wraps the widget in a scroll area (forms whose
    natural height would otherwise become the window's minimum); ``ready`` runs right after
    the widget is built (to fill it from the open project).
    """

    key: str
    title: str
    workspace: str
    factory: Callable[[], QWidget]
    area: Area | None = Area.RightDockWidgetArea
    size: int | None = None
    tab_with: str | None = None
    beside: str | None = None  # the key of a panel in the same area to sit beside
    hidden: bool = False
    scroll: bool = False
    ready: Callable[[], None] | None = None  # called once the widget is built and registered

    @property
    def object_name(self) -> str:
        """The dock's object name (what the saved layout refers to)."""
        key = "".join(ch for ch in self.key if ch.isalnum())
        return key[:1].upper() + key[1:] + "Dock"


class Plugin(Protocol):
    """A part of the app that adds panels (``window.add_panel_spec``), menus and actions."""

    def install(self, window: MainWindow) -> object:
        """Install into ``window``; may return the object that keeps the plug-in alive."""


def settings_key(workspace: str) -> str:
    """Where a workspace's dock layout is kept in QSettings."""
    return f"workspace/{workspace}/state"


class WorkspacePage(QMainWindow):
    """One workspace: a nested main window with its own docks and saved layout."""

    def __init__(self, name: str, host: WorkspaceHost) -> None:
        super().__init__(None)
        self.setWindowFlags(Qt.WindowType.Widget)
        self.setObjectName(f"{name}Workspace")
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )
        # Side panels run the full height; bottom panels sit between them.
        self.setCorner(Qt.Corner.BottomLeftCorner, Area.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Area.RightDockWidgetArea)
        self.name = name
        self.host = host
        self.docks: dict[str, QDockWidget] = {}
        self.built = False
        self.sized = False
        self.default_state: bytes | None = None
        self.restored = False

    def build(self) -> None:
        """Create every panel registered so far, lay them out, then restore the saved layout."""
        if self.built:
            return
        self.built = True
        for spec in self.host.specs_of(self.name):
            self._place(spec)
        self.default_state = bytes(self.saveState(STATE_VERSION).data())
        saved = QSettings().value(settings_key(self.name))
        if saved is not None:
            self.restored = bool(self.restoreState(saved, STATE_VERSION))

    def apply_sizes(self) -> None:
        """The panels' default widths and heights (once the page is on screen: Qt sizes
        docks only then); the default layout is what this gives."""
        if self.sized or not self.built:
            return
        self.sized = True
        if not self.restored:
            for key, dock in self.docks.items():
                spec = self.host.spec(key)
                if not spec.size or spec.area is None:
                    continue
                horizontal = spec.area in (Area.LeftDockWidgetArea, Area.RightDockWidgetArea)
                orientation = Qt.Orientation.Horizontal if horizontal else Qt.Orientation.Vertical
                self.resizeDocks([dock], [spec.size], orientation)
        self.default_state = bytes(self.saveState(STATE_VERSION).data())

    def add(self, spec: PanelSpec) -> None:
        """A panel registered after the page was built."""
        dock = self._place(spec)
        if dock is None:
            return
        restored = self.restored and self.restoreDockWidget(dock)
        dock.setProperty("restored", bool(restored))
        if not restored:
            dock.setVisible(not spec.hidden)
        self.default_state = bytes(self.saveState(STATE_VERSION).data())

    def central_panel(self) -> QWidget | None:
        """The panel shown in the centre (``None``: none yet)."""
        stack = self.centralWidget()
        return stack.currentWidget() if isinstance(stack, QStackedWidget) else None

    def _set_central(self, widget: QWidget) -> None:
        # The centre is one stack for the page's life: replacing QMainWindow's central widget
        # itself made Qt lay the docks out afresh (the Insight map grew to 543 px and the new
        # activations view got 116 px after New from Template).
        stack = self.centralWidget()
        if not isinstance(stack, QStackedWidget):
            stack = QStackedWidget()
            stack.setObjectName("centralPanel")
            self.setCentralWidget(stack)
        old = stack.currentWidget()
        stack.addWidget(widget)
        stack.setCurrentWidget(widget)
        if old is not None and old is not widget:
            stack.removeWidget(old)
            old.deleteLater()

    def _place(self, spec: PanelSpec) -> QDockWidget | None:
        widget = self.host.widget(spec.key)
        if spec.scroll:
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(widget)
            widget = scroll
        if spec.area is None:
            self._set_central(widget)
            return None
        dock = QDockWidget(spec.title, self)
        dock.setObjectName(spec.object_name)
        dock.setWidget(widget)
        self.addDockWidget(spec.area, dock)
        other = self.docks.get(spec.tab_with or "")
        if other is not None:
            self.tabifyDockWidget(other, dock)
            other.raise_()
        neighbour = self.docks.get(spec.beside or "")
        if neighbour is not None:
            self.splitDockWidget(neighbour, dock, Qt.Orientation.Horizontal)
        if spec.hidden:
            dock.hide()
        self.docks[spec.key] = dock
        menu = self.host.panels_menu
        if menu is not None:
            action = dock.toggleViewAction()
            action.setText(f"{spec.title} ({self.host.title_of(self.name)})")
            menu.addAction(action)
        return dock

    def replace(self, spec: PanelSpec, widget: QWidget) -> None:
        """Show ``widget`` in place of the panel's current one (the old one is deleted)."""
        if not self.built:
            return
        if spec.area is None:
            self._set_central(widget)
            return
        dock = self.docks[spec.key]
        old = dock.widget()
        dock.setWidget(widget)
        if old is not None and old is not widget:
            old.deleteLater()

    def save(self) -> None:
        """Keep this page's layout in QSettings."""
        if self.built:
            QSettings().setValue(settings_key(self.name), self.saveState(STATE_VERSION))

    def reset_layout(self) -> None:
        """Back to the layout this page was built with."""
        if self.default_state is not None:
            self.restoreState(self.default_state, STATE_VERSION)
            if not self.sized or self.restored:
                self.sized, self.restored = False, False
                self.apply_sizes()
            for key, dock in self.docks.items():
                spec = self.host.spec(key)
                dock.setVisible(not spec.hidden)
        QSettings().remove(settings_key(self.name))


class WorkspaceHost:
    """The registry of panel specs and their widgets, and the pages built from them."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.specs: dict[str, PanelSpec] = {}
        self.widgets: dict[str, QWidget] = {}
        self.pages: dict[str, WorkspacePage] = {
            name: WorkspacePage(name, self) for name, *_ in WORKSPACES
        }
        self.panels_menu = None

    def title_of(self, workspace: str) -> str:
        """The workspace's display name."""
        return next(title for name, title, _ in WORKSPACES if name == workspace)

    def specs_of(self, workspace: str) -> list[PanelSpec]:
        """The panels of one workspace, in registration order."""
        return [s for s in self.specs.values() if s.workspace == workspace]

    def spec(self, key: str) -> PanelSpec:
        """The spec registered under ``key``."""
        return self.specs[key]

    def add(self, spec: PanelSpec) -> None:
        """Register a panel; a page already built gets it at once."""
        if spec.key in self.specs:
            raise ValueError(f"a panel '{spec.key}' is already installed")
        self.specs[spec.key] = spec
        page = self.pages[spec.workspace]
        if page.built:
            page.add(spec)

    def widget(self, key: str) -> QWidget:
        """The panel's widget, built on first use."""
        widget = self.widgets.get(key)
        if widget is None:
            spec = self.specs[key]
            widget = self.widgets[key] = spec.factory()
            if spec.ready is not None:
                spec.ready()
        return widget

    def is_built(self, key: str) -> bool:
        """True once the panel's widget exists."""
        return key in self.widgets

    def replace(self, key: str, widget: QWidget) -> None:
        """Swap in a fresh widget for a panel (e.g. charts of another project)."""
        if key not in self.widgets:
            return
        self.widgets[key] = widget
        self.pages[self.specs[key].workspace].replace(self.specs[key], widget)

    def dock(self, key: str) -> QDockWidget:
        """The dock of a panel (its workspace is built if need be)."""
        page = self.pages[self.specs[key].workspace]
        page.build()
        return page.docks[key]

    def save(self) -> None:
        """Keep every built page's layout."""
        for page in self.pages.values():
            page.save()
