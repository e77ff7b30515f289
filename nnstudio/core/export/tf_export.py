"""Formats that only TensorFlow writes (SavedModel, TFLite, ONNX) from a model trained on
another Keras backend.

The backend is fixed per process, so a jax or torch process saves the model as ``.keras``
(a backend-neutral archive), and a child process on the TensorFlow backend loads that file
(through the same allowlist and safe mode as every ``.keras`` read) and runs the format's
own writer into the target path.  The parent then verifies the artefact as usual, with the
format's runtime (``tf.saved_model.load``, the TFLite interpreter, onnxruntime), which needs
TensorFlow's libraries but not its Keras backend.

The child: ``python -m nnstudio.core.export.tf_export MODEL.keras SAMPLE.npz``, one per
export; it reads one request per line (``{"key": FORMAT, "target": PATH}``) and answers each
with one JSON line, ``{"notes": [...]}`` or ``{"error": "..."}``.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import weakref
from pathlib import Path
from typing import Any, TextIO

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


class TensorFlowWorker:
    """A TensorFlow child process that holds one model and writes formats of it on request.

    Started on the first request of an export (TensorFlow's import and the model load are
    paid once per export, not once per format); it ends when its stdin closes (:meth:`close`,
    or this process ending).  Its log goes to a file in the export's scratch folder.
    """

    def __init__(self, model: Any, sample: dict[str, Any], scratch: Path) -> None:
        scratch.mkdir(parents=True, exist_ok=True)
        model_path, sample_path = scratch / "model.keras", scratch / "sample.npz"
        model.save(model_path)
        arrays: dict[str, Any] = {name: np.asarray(v) for name, v in sample.items()}
        np.savez(sample_path, **arrays)
        self.log_path = scratch / "tensorflow.log"
        self._log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115 - kept open
        command = [sys.executable, "-m", __name__, str(model_path), str(sample_path)]
        self.proc = subprocess.Popen(
            command,
            env=child_environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._answers: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True, name="nnstudio-tf-export").start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._answers.put(line)
        self._answers.put(None)

    def write(self, key: str, target: Path, timeout: float = CHILD_TIMEOUT_S) -> list[str]:
        """Write format ``key`` into ``target``; the writer's notes.  :class:`ExportError`
        with the child's message when it fails."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps({"key": key, "target": str(target)}) + "\n")
            self.proc.stdin.flush()
            line = self._answers.get(timeout=timeout)
        except queue.Empty:
            self.close()
            raise ExportError(
                f"the TensorFlow process writing {key} did not finish in {timeout:.0f} s"
            ) from None
        except OSError:
            line = None
        answer = _json_object(line) if line else None
        if answer is None or "error" in answer:
            self._log.flush()
            why = (answer or {}).get("error") or _last_line(self.log_path) or "it ended"
            raise ExportError(f"the TensorFlow process could not write {key}: {why}")
        return [str(n) for n in answer.get("notes", [])]

    def close(self) -> None:
        """End the child (closing its stdin ends it; a stuck one is killed)."""
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if not self._log.closed:
            self._log.close()


def write_in_tensorflow(job: Any, key: str, target: Path) -> None:
    """Write format ``key`` of ``job.model`` into ``target`` from the export's TensorFlow
    child process (started on first use, ended with the job); notes join ``job.notes``."""
    worker = job.tf_worker
    if worker is None or worker.proc.poll() is not None:
        worker = TensorFlowWorker(job.model, job.sample, Path(job.scratch) / "tensorflow")
        job.tf_worker = worker
        weakref.finalize(job, worker.close)  # ExportJob.close() ends it sooner
    for note in worker.write(key, target):
        job.note(key, note)


def _json_object(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _last_line(path: Path) -> str:
    try:
        lines = [x for x in path.read_text(encoding="utf-8", errors="replace").splitlines() if x]
    except OSError:
        return ""
    return lines[-1].strip()[:500] if lines else ""


def _serve(model_path: str, sample_path: str, replies: TextIO) -> None:
    """The child: load the model on the TensorFlow backend, then write one format per
    request line (``{"key", "target"}``), one JSON answer line each."""
    import tempfile

    from nnstudio.core.backend import current_backend
    from nnstudio.core.export.formats import FORMATS, ExportJob
    from nnstudio.core.export.source import load_model_file

    if current_backend() != "tensorflow":
        raise ExportError(f"this process runs Keras on {current_backend()}, not tensorflow")
    model = load_model_file(Path(model_path))
    with np.load(sample_path, allow_pickle=False) as data:
        sample = {name: data[name] for name in data.files}
    with tempfile.TemporaryDirectory(prefix="nnstudio-tfexport-") as scratch:
        job = ExportJob(model, {}, Path(scratch), sample)
        for line in sys.stdin:
            request = _json_object(line) or {}
            key = str(request.get("key"))
            try:
                FORMATS[key].writer(job, Path(str(request.get("target"))))
                answer: dict[str, Any] = {"notes": job.notes.get(key, [])}
            except Exception as exc:  # noqa: BLE001 - every failure goes back as one line
                answer = {"error": _one_line(exc)}
            replies.write(json.dumps(answer) + "\n")
            replies.flush()


def _one_line(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:500]


def main(argv: list[str] | None = None) -> int:
    """The child's entry point (``MODEL.keras SAMPLE.npz``).  Answers go to the original
    stdout; anything the libraries print goes to stderr."""
    args = sys.argv[1:] if argv is None else argv
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    try:
        _serve(args[0], args[1], replies)
    except Exception as exc:  # noqa: BLE001 - a model that cannot load: answer every request
        message = json.dumps({"error": _one_line(exc)})
        for _line in sys.stdin:
            replies.write(message + "\n")
            replies.flush()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
