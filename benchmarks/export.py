"""Export time per format for the sample CNN, beside the bare Keras/TF call it wraps.

For each format the app's export (atomic write to a temporary path, reload with the
format's own runtime, comparison on a sample batch, move into place, model card) is timed
against the plain call that only writes the artefact:

  keras        model.save(path)
  savedmodel   model.export(dir)
  tflite       model.export(dir) + TFLiteConverter.from_saved_model(dir).convert()
  tflite-int8  the same with Optimize.DEFAULT (dynamic-range quantization)
  onnx         model.export(path, format="onnx")
  python       generate_code(graph) + model.save_weights(path)

Both are measured alternately in the same process, ``--repeats`` times each; medians are
printed with the ratio (app / bare), which shows what verification and atomicity cost.
TensorFlow is imported (and the model built and called once) before any timing.

    python benchmarks/export.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

FORMATS = ("keras", "savedmodel", "tflite", "tflite-int8", "onnx", "python")


def bare_export(fmt: str, model, graph, folder: Path) -> None:
    """The plain Keras/TF call for ``fmt`` (no verification, no atomic move, no card)."""
    import tensorflow as tf

    if fmt == "keras":
        model.save(folder / "model.keras")
    elif fmt == "savedmodel":
        model.export(str(folder / "saved"), format="tf_saved_model", verbose=False)
    elif fmt in ("tflite", "tflite-int8"):
        model.export(str(folder / "saved"), format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(str(folder / "saved"))
        if fmt == "tflite-int8":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        (folder / "model.tflite").write_bytes(converter.convert())
    elif fmt == "onnx":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            model.export(str(folder / "model.onnx"), format="onnx", verbose=False)
    else:
        from nnstudio.core.interop.codegen import generate_code

        (folder / "model.py").write_text(generate_code(graph, weights_file="model.weights.h5"))
        model.save_weights(str(folder / "model.weights.h5"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    import keras  # noqa: F401
    import tensorflow as tf  # noqa: F401

    from nnstudio.core.compiler import build_model, compile_model
    from nnstudio.core.export import export_model, source_from_model
    from nnstudio.core.templates import build_template

    print(f"import tensorflow + keras: {time.perf_counter() - t0:.1f} s (not counted)")
    project = build_template("small_cnn")
    model = compile_model(build_model(project.graph, seed=0), project.graph)
    sample = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)
    model.predict(sample, verbose=0)  # called once, as ONNX needs
    source = source_from_model(model, project, None, trained=True)
    print(f"model: {project.name}, {model.count_params():,} parameters; sample batch of 8\n")

    bare: dict[str, list[float]] = {f: [] for f in FORMATS}
    app: dict[str, list[float]] = {f: [] for f in FORMATS}
    verify: dict[str, list[float]] = {f: [] for f in FORMATS}
    with tempfile.TemporaryDirectory(prefix="nnstudio-bench-") as tmp:
        root = Path(tmp)
        for i in range(args.repeats):
            for fmt in FORMATS:
                folder = root / f"bare-{fmt}-{i}"
                folder.mkdir()
                start = time.perf_counter()
                bare_export(fmt, model, project.graph, folder)
                bare[fmt].append(time.perf_counter() - start)

                start = time.perf_counter()
                report = export_model(source, [fmt], root / f"app-{fmt}-{i}", sample=sample)
                app[fmt].append(time.perf_counter() - start)
                result = report.results[0]
                if not result.ok:
                    raise SystemExit(f"{fmt}: {result.error}")
                verify[fmt].append(result.verification.seconds)

    print(
        f"{'format':<12} {'bare call':>10} {'app export':>11} {'of which verify':>16} {'ratio':>7}"
    )
    for fmt in FORMATS:
        b, a, v = (statistics.median(x[fmt]) for x in (bare, app, verify))
        print(f"{fmt:<12} {b:>9.3f}s {a:>10.3f}s {v:>15.3f}s {a / b:>6.2f}x")
    print(
        f"\nmedians of {args.repeats} alternating runs; the ratio is the cost of the "
        "temporary write, the reload and comparison with the format's own runtime, and "
        "the model card"
    )


if __name__ == "__main__":
    main()
