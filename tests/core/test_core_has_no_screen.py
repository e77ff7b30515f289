"""Rule 1: ``nnstudio.core`` (and the CLI's core commands) never import Qt or the UI."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import importlib, pkgutil, sys

    BLOCKED = ("PySide6", "pyqtgraph", "nnstudio.ui", "shiboken6")

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED or name.startswith("nnstudio.ui"):
                raise ImportError(f"core imported {name}")
            return None

    sys.meta_path.insert(0, Blocker())
    import nnstudio.core
    for info in pkgutil.walk_packages(nnstudio.core.__path__, "nnstudio.core."):
        importlib.import_module(info.name)
    from nnstudio.cli import main
    rc = main(["validate", sys.argv[1]])
    leaked = [m for m in sys.modules if m.split(".")[0] in BLOCKED or m.startswith("nnstudio.ui")]
    print("LEAKED", leaked)
    sys.exit(rc)
""")


def test_core_imports_without_qt() -> None:
    template = ROOT / "resources" / "templates" / "residual_cnn.nnstudio"
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(template)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "LEAKED []" in proc.stdout


def test_no_source_line_in_core_imports_qt() -> None:
    offenders = []
    for path in (ROOT / "nnstudio" / "core").rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")) and any(
                m in stripped for m in ("PySide6", "pyqtgraph", "nnstudio.ui")
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert offenders == []
