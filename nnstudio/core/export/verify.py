"""Reload an export with its own runtime and predict, outside the app's model object.

Every runner takes the export's path and a sample batch keyed by input name and returns the
predictions keyed by output name, so inputs and outputs are matched by name in every
runtime, never by position.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.core.export.report import ExportError

Batch = Mapping[str, np.ndarray]
Predictions = dict[str, np.ndarray]

PYTHON_CODE_FILE = "model.py"
PYTHON_WEIGHTS_FILE = "model.weights.h5"
PYTHON_TIMEOUT_S = 300
_MARKER = "NNSTUDIO_PREDICTIONS "


def predict_keras(path: Path, sample: Batch) -> Predictions:
    """Load a ``.keras`` archive (no compile, safe mode) and predict."""
    import keras

    model = keras.saving.load_model(str(path), compile=False, safe_mode=True)
    return predict_in_process(model, sample)


def predict_in_process(model: Any, sample: Batch) -> Predictions:
    """A Keras model's predictions keyed by output name."""
    import keras

    names = [t.name for t in model.inputs]
    missing = [n for n in names if n not in sample]
    if missing:
        raise ExportError(f"the model expects inputs {names}; missing {missing}")
    feed: Any = sample[names[0]] if len(names) == 1 else {n: sample[n] for n in names}
    out = model(feed, training=False)
    outs = out if isinstance(out, (list, tuple)) else [out]
    return {
        name: np.asarray(keras.ops.convert_to_numpy(o))
        for name, o in zip(model.output_names, outs, strict=True)
    }


def predict_savedmodel(path: Path, sample: Batch) -> Predictions:
    """``tf.saved_model.load`` and the ``serving_default`` signature."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    fn = loaded.signatures["serving_default"]
    wanted = fn.structured_input_signature[1]
    kwargs = {
        name: tf.constant(_as_dtype(sample, name, spec.dtype.as_numpy_dtype))
        for name, spec in wanted.items()
    }
    return {name: np.asarray(value) for name, value in fn(**kwargs).items()}


@contextlib.contextmanager
def quiet_tflite_warning() -> Iterator[None]:
    """``tf.lite.Interpreter`` warns that it moves to ``ai_edge_litert``; it still works."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*tf\.lite\.Interpreter is deprecated.*")
        warnings.filterwarnings("ignore", category=UserWarning, module=r"tensorflow\.lite\..*")
        yield


def predict_tflite(path: Path, sample: Batch) -> Predictions:
    """The TFLite interpreter's signature runner; a fixed-batch model runs in slices."""
    import tensorflow as tf

    with quiet_tflite_warning():
        interpreter = tf.lite.Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner()
    details = runner.get_input_details()
    n = len(next(iter(sample.values())))
    batch = None
    for d in details.values():
        fixed = int(d["shape_signature"][0]) if len(d["shape_signature"]) else -1
        if fixed > 0:
            batch = fixed
    step = batch or n
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, n, step):
        feed = {
            name: _as_dtype(sample, name, d["dtype"])[start : start + step]
            for name, d in details.items()
        }
        for name, value in runner(**feed).items():
            parts.setdefault(name, []).append(np.array(value))
    return {name: np.concatenate(chunks) for name, chunks in parts.items()}


def predict_onnx(path: Path, sample: Batch) -> Predictions:
    """onnxruntime on the CPU."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feed = {}
    for i in session.get_inputs():
        dtype = {
            "tensor(float)": np.float32,
            "tensor(int32)": np.int32,
            "tensor(int64)": np.int64,
            "tensor(double)": np.float64,
            "tensor(bool)": np.bool_,
        }.get(i.type, np.float32)
        feed[i.name] = _as_dtype(sample, i.name, dtype)
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, (np.asarray(v) for v in session.run(names, feed)), strict=True))


RUNNER_SCRIPT = textwrap.dedent("""
    import importlib.util, json, os, sys
    import numpy as np
    folder = sys.argv[1]
    os.chdir(folder)
    sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location("exported_model", "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build_model()
    inputs = {}
    for pair in sys.argv[2:]:
        name, path = pair.split("=", 1)
        inputs[name] = np.load(path, allow_pickle=False)
    out = model.predict({t.name: inputs[t.name] for t in model.inputs}, verbose=0)
    out = out if isinstance(out, (list, tuple)) else [out]
    result = {n: np.asarray(o).tolist() for n, o in zip(model.output_names, out)}
    print("NNSTUDIO_PREDICTIONS " + json.dumps(result))
""")


def predict_python(folder: Path, sample: Batch, timeout: float = PYTHON_TIMEOUT_S) -> Predictions:
    """Import the generated ``model.py`` in a fresh interpreter, call ``build_model()`` (which
    loads the weights) and predict on the sample, passed as ``.npy`` files."""
    folder = Path(folder).resolve()
    if not (folder / PYTHON_CODE_FILE).is_file():
        raise ExportError(f"{folder}: no {PYTHON_CODE_FILE}")
    with tempfile.TemporaryDirectory(prefix="nnstudio-verify-") as tmp:
        args = []
        for i, (name, value) in enumerate(sample.items()):
            npy = Path(tmp) / f"input_{i}.npy"
            np.save(npy, np.asarray(value), allow_pickle=False)
            args.append(f"{name}={npy}")
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            proc = subprocess.run(
                [sys.executable, "-c", RUNNER_SCRIPT, str(folder), *args],
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
                cwd=str(folder),
            )
        except subprocess.TimeoutExpired:
            raise ExportError(f"the generated code did not finish within {timeout:.0f} s") from None
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(_MARKER)), None)
    if proc.returncode != 0 or line is None:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise ExportError(f"the generated code failed in a fresh Python: {tail}")
    data = json.loads(line[len(_MARKER) :])
    return {name: np.asarray(value, dtype=np.float32) for name, value in data.items()}


def _as_dtype(sample: Batch, name: str, dtype: Any) -> np.ndarray:
    if name not in sample:
        raise ExportError(
            f"the export has an input {name!r} that the model does not have "
            f"(model inputs: {sorted(sample)})"
        )
    return np.asarray(sample[name]).astype(dtype, copy=False)


def compare(reference: Mapping[str, np.ndarray], got: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Max abs difference per output, matched by name; :class:`ExportError` when the
    export's outputs or shapes differ from the model's."""
    if set(reference) != set(got):
        raise ExportError(
            f"the export's outputs {sorted(got)} are not the model's {sorted(reference)}"
        )
    diffs = {}
    for name, ref in reference.items():
        value = np.asarray(got[name])
        if value.shape != ref.shape:
            raise ExportError(
                f'output "{name}" has shape {list(value.shape)} in the export '
                f"but {list(ref.shape)} in the model"
            )
        diff = np.abs(value.astype(np.float64) - ref.astype(np.float64))
        diffs[name] = float(np.max(diff)) if diff.size else 0.0
        if not np.all(np.isfinite(value)):
            diffs[name] = float("inf")
    return diffs
