"""Render the app icon (resources/icons/app.svg) to PNG files: ``render_icon.py OUT_DIR SIZE...``.

Writes ``OUT_DIR/<SIZE>/io.github.nnstudio.NNStudio.png`` per size and, for the first size,
``OUT_DIR/io.github.nnstudio.NNStudio.png`` (the Windows build turns it into an .ico).
Uses Qt's SVG renderer from PySide6, which the build environment has anyway.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

APP_ID = "io.github.nnstudio.NNStudio"


def render(svg: Path, size: int, target: Path) -> None:
    """Draw ``svg`` on a transparent ``size``x``size`` image and save it as PNG."""
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(target)):
        raise SystemExit(f"render_icon: cannot write {target}")


def main(argv: list[str]) -> int:
    out, sizes = Path(argv[0]), [int(s) for s in argv[1:]] or [256]
    svg = Path(__file__).resolve().parent.parent / "resources" / "icons" / "app.svg"
    _app = QGuiApplication([])  # noqa: F841 (QImage text/SVG rendering wants one)
    for i, size in enumerate(sizes):
        render(svg, size, out / f"{size}x{size}" / f"{APP_ID}.png")
        if i == 0:
            render(svg, size, out / f"{APP_ID}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
