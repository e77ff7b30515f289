"""Fitting a node's name into a box at any zoom: the largest readable font, wrapped, unelided.

Sizes are in scene units; ``lod`` (the view's scale) converts them to screen pixels.  A name
is broken over two lines at a word boundary (``_``, ``-``, space, or a case change) before it
is ever elided; it is elided only when even the smallest readable font cannot hold it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF

MIN_SCREEN_PX = 8.0  # smaller text is not readable on screen
_BREAK = re.compile(r"(?<=[_\-\s])|(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class FittedName:
    """The font and the lines a name is drawn with; ``elided`` if it had to be shortened."""

    font: QFont
    lines: tuple[str, ...]
    elided: bool


def _font(pixels: float) -> QFont:
    font = QFont()
    font.setPixelSize(max(1, round(pixels)))
    font.setWeight(QFont.Weight.DemiBold)
    return font


def break_points(name: str, anywhere: bool = False) -> list[int]:
    """Indices where ``name`` may be broken over two lines (word boundaries, or anywhere)."""
    if anywhere:
        return list(range(1, len(name)))
    return [m.start() for m in _BREAK.finditer(name) if 0 < m.start() < len(name)]


def _two_lines(
    name: str, fm: QFontMetricsF, width: float, anywhere: bool = False
) -> tuple[str, str] | None:
    best: tuple[float, tuple[str, str]] | None = None
    for i in break_points(name, anywhere):
        a, b = name[:i].rstrip(), name[i:].lstrip()
        widest = max(fm.horizontalAdvance(a), fm.horizontalAdvance(b))
        if widest <= width and (best is None or widest < best[0]):
            best = (widest, (a, b))
    return best[1] if best else None


def _sizes(top: float, bottom: float) -> list[float]:
    sizes, px = [], top
    while px >= bottom - 1e-9:
        sizes.append(px)
        px -= 1.0
    return sizes


def fit_name(
    name: str, width: float, height: float, lod: float, screen_px: float = 12.0
) -> FittedName:
    """The largest font (at most ``screen_px`` on screen) that shows all of ``name``.

    One line in a slightly smaller font is preferred to two; two lines break at a word
    boundary where one exists; the name is elided only when nothing else fits.
    """
    lod = max(lod, 1e-3)
    slack = 2.0 / lod

    def attempt(px: float, two: bool, anywhere: bool = False) -> FittedName | None:
        font = _font(px / lod)
        fm = QFontMetricsF(font)
        if fm.horizontalAdvance(name) + slack <= width and fm.height() <= height:
            return FittedName(font, (name,), False)
        if two and 2 * fm.lineSpacing() <= height:
            lines = _two_lines(name, fm, width - slack, anywhere)
            if lines is not None:
                return FittedName(font, lines, False)
        return None

    plans = [(px, False) for px in _sizes(screen_px, screen_px - 2)]
    plans += [(px, True) for px in _sizes(screen_px, MIN_SCREEN_PX)]
    for px, two in plans:
        fitted = attempt(px, two)
        if fitted is not None:
            return fitted
    fitted = attempt(MIN_SCREEN_PX, True, anywhere=True)
    if fitted is not None:
        return fitted
    font = _font(MIN_SCREEN_PX / lod)
    text = QFontMetricsF(font).elidedText(name, Qt.TextElideMode.ElideMiddle, width)
    return FittedName(font, (text,), text != name)
