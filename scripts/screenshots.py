"""Screenshots of every workspace at a given screen size, with a fresh profile.

``python scripts/screenshots.py --size 1366x768 --out DIR [--templates mlp,small_cnn]``

Starts the app the way ``nnstudio`` does (``nnstudio.ui.app.launch``) on a screen of that
size: with no ``DISPLAY`` it starts ``Xvfb :N -screen 0 WxHx24`` itself (Qt's offscreen
platform is the fallback where Xvfb is missing).  HOME, the XDG folders, the settings and
the data folder are temporary, so this is a first start: the example opens.  It trains the
example for a few epochs, selects a convolution layer and writes one PNG per workspace
(design, data, train during and after the run, insight with activations, insight with the
evaluation), then the same for one template of each kind; it prints each PNG's path.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATE_KINDS = "mlp,small_cnn,lstm,autoencoder,transformer,transfer,dcgan"
SAMPLES = {  # a shipped sample for templates that do not name one yet
    "mlp": "species.csv",
    "small_cnn": "digits",
    "residual_cnn": "digits",
    "lstm": "waveforms.npz",
    "autoencoder": "digits",
}


def start_display(width: int, height: int) -> tuple[subprocess.Popen | None, dict[str, str]]:
    """A display of the given size: Xvfb on a free number, else Qt's offscreen platform."""
    xvfb = shutil.which("Xvfb") or ("/usr/bin/Xvfb" if Path("/usr/bin/Xvfb").exists() else None)
    if xvfb is None:
        return None, {"QT_QPA_PLATFORM": f"offscreen:size={width}x{height}"}
    for number in range(91, 120):
        if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
            continue
        proc = subprocess.Popen(
            [xvfb, f":{number}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                return proc, {"DISPLAY": f":{number}", "QT_QPA_PLATFORM": "xcb"}
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        proc.kill()
    return None, {"QT_QPA_PLATFORM": f"offscreen:size={width}x{height}"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="1366x768", help="screen size, WxH")
    parser.add_argument("--out", required=True, help="folder for the PNGs")
    parser.add_argument("--templates", default=TEMPLATE_KINDS, help="template keys, or ''")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    display, display_env = start_display(width, height)
    try:
        with tempfile.TemporaryDirectory(prefix="nnstudio-shots-") as tmp:
            home = Path(tmp)
            env = {
                **os.environ,
                **display_env,
                "HOME": str(home),
                "XDG_CONFIG_HOME": str(home / "config"),
                "XDG_DATA_HOME": str(home / "data"),
                "XDG_CACHE_HOME": str(home / "cache"),
                "XDG_RUNTIME_DIR": str(home / "runtime"),
                "NNSTUDIO_DATA_DIR": str(home / "nnstudio"),
                "PYTHONPATH": str(REPO),
                "TF_CPP_MIN_LOG_LEVEL": "3",
            }
            (home / "runtime").mkdir(mode=0o700)
            child = [
                sys.executable,
                str(Path(__file__).with_name("_screenshots_child.py")),
                str(out),
                args.templates,
                str(args.epochs),
            ]
            return subprocess.run(child, env=env, timeout=1800).returncode
    finally:
        if display is not None:
            display.terminate()
            display.wait(5)


if __name__ == "__main__":
    sys.exit(main())
