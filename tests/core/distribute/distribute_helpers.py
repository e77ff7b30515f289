"""Helpers of the device, precision and distribution tests: child processes with their own
Keras backend and device count (the backend is fixed per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
HELPERS = ROOT / "tests" / "core" / "training"
if str(HELPERS) not in sys.path:  # training_helpers: the small graphs and data
    sys.path.insert(0, str(HELPERS))


def child_env(backend: str, **extra: str) -> dict[str, str]:
    """The environment of a child process on ``backend`` that imports this checkout."""
    path = os.pathsep.join([str(ROOT), str(HELPERS), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.update(extra)
    return env


def run_child(script: str, backend: str, timeout: float = 240, **extra: str) -> Any:
    """Run ``script`` in a child process; the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=child_env(backend, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
