"""Formats that only TensorFlow writes (SavedModel, TFLite, ONNX) from a model trained on
another Keras backend.

The backend is fixed per process, so a jax or torch process saves the model as ``.keras``
(a backend-neutral archive), and a child process on the TensorFlow backend loads that file
(through the same allowlist and safe mode as every ``.keras`` read) and runs the format's
own writer into the target path.  The parent then verifies the artefact as usual, with the
format's runtime (``tf.saved_model.load``, the TFLite interpreter, onnxruntime), which needs
TensorFlow's libraries but not its Keras backend.

The child: ``python -m nnstudio.core.export.tf_export MODEL.keras SAMPLE.npz FORMAT TARGET``;
it prints one JSON line ``{"notes": [...]}`` or ``{"error": "..."}``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.core.export.report import ExportError

CHILD_TIMEOUT_S = 900.0


def child_environment() -> dict[str, str]:
    """This process's environment with the TensorFlow backend and this copy of nnstudio
    first on the path."""
    env = dict(os.environ)
    env["KERAS_BACKEND"] = "tensorflow"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def write_in_tensorflow(job: Any, key: str, target: Path) -> None:
    """Write format ``key`` of ``job.model`` into ``target`` from a TensorFlow child process
    (the model goes over as ``.keras``, the sample batch as ``.npz``); its notes join
    ``job.notes``.  :class:`ExportError` with the child's message when it fails."""
    scratch = Path(job.scratch) / f"tf_{key}"
    scratch.mkdir(parents=True, exist_ok=True)
    model_path, sample_path = scratch / "model.keras", scratch / "sample.npz"
    job.model.save(model_path)
    np.savez(sample_path, **{name: np.asarray(v) for name, v in job.sample.items()})
    command = [
        sys.executable,
        "-m",
        "nnstudio.core.export.tf_export",
        str(model_path),
        str(sample_path),
        key,
        str(target),
    ]
    try:
        done = subprocess.run(
            command,
            env=child_environment(),
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ExportError(
            f"the TensorFlow process writing {key} did not finish in {CHILD_TIMEOUT_S:.0f} s"
        ) from None
    answer = _last_json_line(done.stdout)
    if done.returncode != 0 or answer is None or "error" in answer:
        why = (answer or {}).get("error") or _last_line(done.stderr) or f"exit {done.returncode}"
        raise ExportError(f"the TensorFlow process could not write {key}: {why}")
    for note in answer.get("notes", []):
        job.note(key, str(note))


def _last_json_line(text: str) -> dict[str, Any] | None:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
    return None


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _child(argv: list[str]) -> dict[str, Any]:
    """Load the model on the TensorFlow backend and run the format's writer."""
    import tempfile

    from nnstudio.core.backend import current_backend
    from nnstudio.core.export.formats import FORMATS, ExportJob
    from nnstudio.core.export.source import load_model_file

    model_path, sample_path, key, target = argv
    if current_backend() != "tensorflow":
        return {"error": f"this process runs Keras on {current_backend()}, not tensorflow"}
    model = load_model_file(Path(model_path))
    with np.load(sample_path, allow_pickle=False) as data:
        sample = {name: data[name] for name in data.files}
    with tempfile.TemporaryDirectory(prefix="nnstudio-tfexport-") as scratch:
        job = ExportJob(model, {}, Path(scratch), sample)
        FORMATS[key].writer(job, Path(target))
    return {"notes": job.notes.get(key, [])}


def main(argv: list[str] | None = None) -> int:
    """The child's entry point: one JSON line on stdout, exit 0 on success."""
    args = sys.argv[1:] if argv is None else argv
    try:
        answer = _child(args)
    except Exception as exc:  # noqa: BLE001 - every failure goes back as one line
        first = (str(exc).strip().splitlines() or [""])[0]
        answer = {"error": f"{type(exc).__name__}: {first}"[:500]}
    print(json.dumps(answer))
    return 1 if "error" in answer else 0


if __name__ == "__main__":
    sys.exit(main())
