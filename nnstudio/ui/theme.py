"""Colours that follow the system's light or dark palette, and the app's light/dark override.

The canvas paints with :class:`CanvasColors`, derived from the application palette each time
it changes, so the editor follows the system (or the View > Appearance choice) at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

CATEGORY_COLORS: dict[str, str] = {
    "Input/Output": "#2a9d8f",
    "Core": "#3b7dd8",
    "Normalization": "#8e6cc9",
    "Convolution": "#e07a2f",
    "Pooling": "#3f9a4f",
    "Reshaping": "#5f7a8c",
    "Recurrent": "#c94f7c",
    "Text & sequence": "#5565c9",
    "Merge": "#b08a1e",
    "Preprocessing": "#3c9bb0",
    "Pretrained": "#7a5c3e",
}

APPEARANCES = ("system", "light", "dark")


@dataclass(frozen=True)
class CanvasColors:
    """Every colour the canvas paints with."""

    dark: bool
    background: QColor
    grid: QColor
    node_fill: QColor
    node_border: QColor
    text: QColor
    muted: QColor
    edge: QColor
    selection: QColor
    error: QColor
    warning: QColor
    ok: QColor
    port_open: QColor

    def category(self, category: str) -> QColor:
        """The accent colour of a catalog category (lighter in dark mode)."""
        color = QColor(CATEGORY_COLORS.get(category, "#5f7a8c"))
        return color.lighter(125) if self.dark else color

    def severity(self, severity: str) -> QColor:
        """Red for errors, amber for warnings."""
        return self.error if severity == "error" else self.warning


def is_dark(palette: QPalette | None = None) -> bool:
    """True when the palette has light text on a dark window."""
    pal = palette if palette is not None else QGuiApplication.palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


def canvas_colors(palette: QPalette | None = None) -> CanvasColors:
    """Canvas colours for ``palette`` (default: the application's)."""
    pal = palette if palette is not None else QGuiApplication.palette()
    dark = is_dark(pal)
    text = pal.color(QPalette.ColorRole.Text)
    base = pal.color(QPalette.ColorRole.Base)
    window = pal.color(QPalette.ColorRole.Window)
    if dark:
        background = _mix(window, QColor("#000000"), 0.25)
        node_fill = _mix(window, QColor("#ffffff"), 0.06)
        border = _mix(node_fill, QColor("#ffffff"), 0.22)
        grid = _mix(background, QColor("#ffffff"), 0.10)
        edge = QColor("#8b939e")
        error, warning, ok = QColor("#ff6b6b"), QColor("#f0b429"), QColor("#5cc98a")
    else:
        background = _mix(window, QColor("#ffffff"), 0.35)
        node_fill = base if base.lightness() > 240 else QColor("#ffffff")
        border = QColor("#c4cad3")
        grid = _mix(background, QColor("#000000"), 0.13)
        edge = QColor("#8a93a0")
        error, warning, ok = QColor("#d64545"), QColor("#c98300"), QColor("#2f9e5b")
    return CanvasColors(
        dark=dark,
        background=background,
        grid=grid,
        node_fill=node_fill,
        node_border=border,
        text=text,
        muted=_mix(text, node_fill, 0.42),
        edge=edge,
        selection=pal.color(QPalette.ColorRole.Highlight),
        error=error,
        warning=warning,
        ok=ok,
        port_open=_mix(border, node_fill, 0.2),
    )


_SYSTEM_PALETTE: list[QPalette] = []  # the palette before one was forced, to go back to


def apply_appearance(appearance: str) -> None:
    """Follow the system (``"system"``) or force ``"light"`` / ``"dark"``.

    The colour-scheme request goes to the platform first; where the platform cannot switch
    (some Linux desktops, the offscreen platform) a Fusion palette of the wanted kind is set.
    """
    app = QApplication.instance()
    hints = QGuiApplication.styleHints()
    want_dark = {"light": False, "dark": True}.get(appearance)
    if want_dark is None:
        hints.unsetColorScheme()
        if _SYSTEM_PALETTE and isinstance(app, QApplication):
            app.setPalette(_SYSTEM_PALETTE.pop())
        return
    hints.setColorScheme(Qt.ColorScheme.Dark if want_dark else Qt.ColorScheme.Light)
    if isinstance(app, QApplication) and is_dark(app.palette()) != want_dark:
        if not _SYSTEM_PALETTE:
            _SYSTEM_PALETTE.append(QPalette(app.palette()))
        app.setStyle("Fusion")
        app.setPalette(fusion_palette(want_dark))


def fusion_palette(dark: bool) -> QPalette:
    """A calm light or dark palette for the Fusion style."""
    if not dark:
        return QApplication.style().standardPalette()
    pal = QPalette()
    roles = QPalette.ColorRole
    for role, color in (
        (roles.Window, "#2b2d30"),
        (roles.WindowText, "#e3e5e8"),
        (roles.Base, "#1f2124"),
        (roles.AlternateBase, "#282a2e"),
        (roles.ToolTipBase, "#35383c"),
        (roles.ToolTipText, "#e3e5e8"),
        (roles.Text, "#e3e5e8"),
        (roles.Button, "#35383c"),
        (roles.ButtonText, "#e3e5e8"),
        (roles.BrightText, "#ff6b6b"),
        (roles.Highlight, "#3d7fd9"),
        (roles.HighlightedText, "#ffffff"),
        (roles.Link, "#6aa5ff"),
        (roles.PlaceholderText, "#8a8f96"),
        (roles.Light, "#45484d"),
        (roles.Midlight, "#3a3d41"),
        (roles.Mid, "#2f3236"),
        (roles.Dark, "#1b1d20"),
        (roles.Shadow, "#101113"),
    ):
        pal.setColor(role, QColor(color))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        pal.setColor(disabled, role, QColor("#7d8288"))
    return pal


def format_count(n: int) -> str:
    """``1234567`` as ``1,234,567``."""
    return f"{n:,}"


def format_bytes(n: int) -> str:
    """A byte count as B, KB, MB or GB (powers of 1024, one decimal)."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover
