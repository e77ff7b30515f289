"""Small models, run records and independent runtime loaders shared by the export tests.

The loaders here call each runtime directly (not through ``nnstudio.core.export.verify``),
so the tests check the exports outside the app's model object and outside its own code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.core.compiler import build_model, compile_model
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.project import Project
from nnstudio.core.templates import TEMPLATES

CE = "sparse_categorical_crossentropy"
SPECIES = ["aurelia", "borealis", "cerulea"]
DIGITS = [str(i) for i in range(10)]

TABULAR_RECORD = {
    "type": "tabular",
    "features": [
        {"name": n, "type": "numeric", "mean": m, "std": s}
        for n, m, s in (
            ("sepal_length", 5.8, 0.8),
            ("sepal_width", 3.0, 0.4),
            ("petal_length", 3.8, 1.7),
            ("petal_width", 1.2, 0.75),
        )
    ],
    "task": "classification",
    "class_names": SPECIES,
}
IMAGE_RECORD = {
    "type": "image",
    "image_size": [28, 28],
    "color_mode": "grayscale",
    "channels": 1,
    "interpolation": "bilinear",
    "rescale": 1.0 / 255.0,
    "class_names": DIGITS,
}
ARRAY_RECORD = {
    "type": "array",
    "normalization": "standardize",
    "mean": 0.25,
    "std": 2.0,
    "task": "classification",
    "class_names": ["sine", "square", "sawtooth"],
}


def template_project(key: str) -> Project:
    """A template's project (graph only)."""
    return Project(graph=TEMPLATES[key][2]().graph, name=TEMPLATES[key][0])


def two_in_two_out_project() -> Project:
    """Two inputs joined, two outputs: a regression value and 3 class probabilities."""
    b = GraphBuilder()
    a = b.add("Input", name="measurements", shape=(8,))
    c = b.add("Input", name="context", shape=(4,))
    ha = b.add("Dense", a, name="measurements_dense", units=16, activation="relu")
    hc = b.add("Dense", c, name="context_dense", units=8, activation="relu")
    h = b.add("Concatenate", [ha, hc], name="concat")
    price = b.add("Dense", h, name="price", units=1)
    kind = b.add("Dense", h, name="kind", units=3, activation="softmax")
    b.output(price, "mse", ["mae"])
    b.output(kind, CE, ["accuracy"])
    return Project(graph=b.graph, name="Two in, two out")


def compiled(project: Project, seed: int = 1) -> Any:
    """The project's compiled Keras model (seeded random weights)."""
    model = build_model(project.graph, seed=seed)
    return compile_model(model, project.graph)


def run_record(
    preprocessing: dict | None, class_names: list[str] | None, run_id: str = "run-20240101-000000"
) -> dict[str, Any]:
    """A run record as the training layer writes it (the parts export reads)."""
    return {
        "id": run_id,
        "name": "Run 1",
        "status": "completed",
        "epochs_completed": 2,
        "data_hash": "sha256:" + "ab" * 32,
        "final": {"loss": 0.5, "accuracy": 0.75, "val_loss": 0.6, "val_accuracy": 0.7},
        "preprocessing": preprocessing or {},
        "class_names": class_names or [],
        "dir": f"proj.runs/{run_id}",
    }


# -- runtimes, called directly ---------------------------------------------------------


def keras_predict(path: Path, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    import keras

    model = keras.saving.load_model(str(path), compile=False)
    names = [t.name for t in model.inputs]
    out = model.predict([batch[n] for n in names] if len(names) > 1 else batch[names[0]], verbose=0)
    out = out if isinstance(out, list) else [out]
    return dict(zip(model.output_names, out, strict=True))


def savedmodel_predict(path: Path, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    import tensorflow as tf

    fn = tf.saved_model.load(str(path)).signatures["serving_default"]
    return {k: v.numpy() for k, v in fn(**{k: tf.constant(v) for k, v in batch.items()}).items()}


def tflite_predict(path: Path, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner()
    fixed = {int(d["shape_signature"][0]) for d in runner.get_input_details().values()}
    n = len(next(iter(batch.values())))
    step = 1 if fixed == {1} else n
    parts: dict[str, list[np.ndarray]] = {}
    for i in range(0, n, step):
        for k, v in runner(**{k: v[i : i + step] for k, v in batch.items()}).items():
            parts.setdefault(k, []).append(np.array(v))
    return {k: np.concatenate(v) for k, v in parts.items()}


def onnx_predict(path: Path, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, dict(batch)), strict=True))


PYTHON_SCRIPT = textwrap.dedent("""
    import importlib.util, json, sys
    import numpy as np
    results = {}
    for job in json.loads(sys.argv[1]):
        spec = importlib.util.spec_from_file_location("m" + str(len(results)),
                                                      job["folder"] + "/model.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.build_model()
        batch = {k: np.load(v) for k, v in job["inputs"].items()}
        out = model.predict([batch[t.name] for t in model.inputs], verbose=0)
        out = out if isinstance(out, list) else [out]
        results[job["folder"]] = {n: o.tolist() for n, o in zip(model.output_names, out)}
    print("RESULTS " + json.dumps(results))
""")


def python_predict_many(
    jobs: list[tuple[Path, dict[str, np.ndarray]]], tmp: Path
) -> dict[Path, dict[str, np.ndarray]]:
    """Run several generated ``model.py`` files in one fresh interpreter."""
    spec = []
    for i, (folder, batch) in enumerate(jobs):
        inputs = {}
        for k, v in batch.items():
            path = tmp / f"job{i}_{k}.npy"
            np.save(path, v)
            inputs[k] = str(path)
        spec.append({"folder": str(folder), "inputs": inputs})
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(
        [sys.executable, "-c", PYTHON_SCRIPT, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULTS "))
    data = json.loads(line[len("RESULTS ") :])
    return {
        Path(k): {n: np.asarray(v, np.float32) for n, v in outs.items()} for k, outs in data.items()
    }


def max_diff(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    """Largest absolute difference, outputs matched by name (both must have the same)."""
    assert set(a) == set(b), (sorted(a), sorted(b))
    return max(float(np.max(np.abs(np.asarray(a[k], np.float64) - b[k]))) for k in a)
