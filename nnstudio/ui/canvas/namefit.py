"""Fitting a node's name into a box at any zoom: the largest readable font, never broken
inside a word, elided only when nothing else fits.

Sizes are in scene units; ``lod`` (the view's scale) converts them to screen pixels.  In
order of preference a name is written: on one line in a font at most 2 px smaller than
asked; on two lines broken between words (after ``_``, ``-`` or a space, or at a case
change, each line keeping a word of its own: ``residual_1`` never becomes ``residual_`` and
``1``); on one line in any font down to :data:`MIN_SCREEN_PX`, then down to
:data:`FLOOR_SCREEN_PX`; and only then elided, keeping its last words where they fit (the
node's tooltip has it all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF

MIN_SCREEN_PX = 8.0  # the smallest comfortable text on screen
FLOOR_SCREEN_PX = 7.0  # one line this small still beats an elided name
MIN_WORD_LETTERS = 2  # each line of a broken name keeps at least this many letters
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


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def break_points(name: str) -> list[int]:
    """Indices where ``name`` may be broken over two lines: between words, never inside one,
    and never so that a line is left without a word (a counter such as ``_1``)."""
    return [
        i
        for i in (m.start() for m in _BREAK.finditer(name))
        if 0 < i < len(name)
        and _letters(name[:i]) >= MIN_WORD_LETTERS
        and _letters(name[i:]) >= MIN_WORD_LETTERS
    ]


def _two_lines(name: str, fm: QFontMetricsF, width: float) -> tuple[str, str] | None:
    best: tuple[float, tuple[str, str]] | None = None
    for i in break_points(name):
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

    One line in a slightly smaller font is preferred to two; two lines break only between
    words; then one line in a smaller font; the name is elided only when nothing else fits.
    """
    lod = max(lod, 1e-3)
    slack = 2.0 / lod

    def attempt(px: float, two: bool) -> FittedName | None:
        font = _font(px / lod)
        fm = QFontMetricsF(font)
        if not two:
            if fm.horizontalAdvance(name) + slack <= width and fm.height() <= height:
                return FittedName(font, (name,), False)
        elif 2 * fm.lineSpacing() <= height:
            lines = _two_lines(name, fm, width - slack)
            if lines is not None:
                return FittedName(font, lines, False)
        return None

    plans = [(px, False) for px in _sizes(screen_px, screen_px - 2)]
    plans += [(px, True) for px in _sizes(screen_px, MIN_SCREEN_PX)]
    plans += [(px, False) for px in _sizes(screen_px - 3, FLOOR_SCREEN_PX)]
    for px, two in plans:
        fitted = attempt(px, two)
        if fitted is not None:
            return fitted
    font = _font(FLOOR_SCREEN_PX / lod)
    text = elide(name, QFontMetricsF(font), width)
    return FittedName(font, (text,), text != name)


def elide(name: str, fm: QFontMetricsF, width: float) -> str:
    """``name`` shortened to ``width``: its last words after an ellipsis where they fit
    (``block1_conv_a`` -> ``…conv_a``: the end of a name tells neighbours apart), else as
    much of its end as fits."""
    for i in sorted(m.start() for m in _BREAK.finditer(name) if 0 < m.start() < len(name)):
        tail = "…" + name[i:]
        if _letters(tail) >= MIN_WORD_LETTERS and fm.horizontalAdvance(tail) <= width:
            return tail
    return fm.elidedText(name, Qt.TextElideMode.ElideLeft, width)
