"""Import + layout + compile of real architectures against Keras' own ``model_from_json``.

For each model (built once from ``keras.applications`` with ``weights=None``), times on the
same JSON config
  * Keras: ``keras.models.model_from_json`` (build the model from its config),
  * NN Studio: ``import_config`` (allowlist walk, flattening, catalog mapping, settings check
    and layered layout) followed by ``build_model`` + ``compile_model`` of the graph,
and prints the medians, the split of NN Studio's time, and the ratio.  Target: <= 2x.

    python benchmarks/import_roundtrip.py [--repeats 5] [--size 224] [--models ResNet50 ...]
    python benchmarks/import_roundtrip.py --survey   # which applications round-trip

``--survey`` builds every ``keras.applications`` model at a small input size and reports
whether it round-trips (same layer count, parameter count and outputs with the weights
copied across) or why it is refused.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _median_time(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(name: str, size: int, repeats: int) -> dict[str, float]:
    """Medians (seconds) for one application model."""
    import keras

    from nnstudio.core.compiler import build_model, compile_model
    from nnstudio.core.interop import import_config
    from nnstudio.core.layout import layered_layout

    model = getattr(keras.applications, name)(weights=None, input_shape=(size, size, 3))
    text = model.to_json()
    del model

    def keras_build() -> None:
        keras.models.model_from_json(text)

    def nnstudio_all() -> None:
        graph = import_config(json.loads(text)).graph
        compile_model(build_model(graph), graph)

    graph = import_config(json.loads(text)).graph
    keras_build()  # warm both paths once (imports, caches of default layer configs)
    nnstudio_all()
    t_keras = _median_time(keras_build, repeats)
    t_all = _median_time(nnstudio_all, repeats)
    t_import = _median_time(lambda: import_config(json.loads(text)), repeats)
    t_layout = _median_time(lambda: layered_layout(graph), repeats)
    return {
        "layers": len(graph.nodes),
        "keras": t_keras,
        "nnstudio": t_all,
        "import": t_import - t_layout,
        "layout": t_layout,
        "compile": t_all - t_import,
    }


def survey(size: int) -> None:
    """Print, for every keras.applications model, whether it round-trips."""
    import keras
    import numpy as np

    from nnstudio.core.compiler import build_model
    from nnstudio.core.interop import ModelImportError, apply_weights, import_keras_model

    names = sorted(n for n in dir(keras.applications) if n[0].isupper())
    print(f"{'model':<20} {'result':<10} {'layers':>7} {'params':>12} {'max diff':>9}  note")
    for name in names:
        fn = getattr(keras.applications, name)
        side = max(size, 75)  # the smallest input every application accepts
        try:
            original = fn(weights=None, input_shape=(side, side, 3))
        except Exception as exc:  # noqa: BLE001 - report and go on
            print(f"{name:<20} {'skipped':<10} {'':>7} {'':>12} {'':>9}  {exc}"[:160])
            continue
        try:
            result = import_keras_model(original)
        except ModelImportError as exc:
            print(
                f"{name:<20} {'refused':<10} {len(original.layers):>7} "
                f"{original.count_params():>12,} {'':>9}  {exc.summary[:90]}"
            )
            continue
        rebuilt = build_model(result.graph)
        apply_weights(rebuilt, result.weights)
        batch = np.random.default_rng(0).uniform(0, 255, (1, side, side, 3)).astype("float32")
        diff = float(
            np.max(
                np.abs(
                    np.asarray(rebuilt(batch, training=False))
                    - np.asarray(original(batch, training=False))
                )
            )
        )
        ops = len(result.graph.nodes) - len(original.layers)
        same = rebuilt.count_params() == original.count_params() and diff < 1e-5
        note = f"{ops} Keras operations became Rescaling/merge nodes" if ops else ""
        print(
            f"{name:<20} {'ok' if same else 'MISMATCH':<10} {len(original.layers):>7} "
            f"{original.count_params():>12,} {diff:>9.1e}  {note}"
        )


def main() -> None:
    """Parse arguments and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--size", type=int, default=224, help="input height and width")
    parser.add_argument("--models", nargs="+", default=["ResNet50", "MobileNetV2"])
    parser.add_argument(
        "--survey", action="store_true", help="check which keras.applications models round-trip"
    )
    args = parser.parse_args()
    if args.survey:
        survey(min(args.size, 96))
        return
    print(
        f"{'model':<14} {'layers':>6} {'Keras':>9} {'NN Studio':>10} {'(import':>8} "
        f"{'layout':>7} {'compile)':>9} {'ratio':>6}"
    )
    for name in args.models:
        r = bench(name, args.size, args.repeats)
        print(
            f"{name:<14} {r['layers']:>6} {r['keras']:>8.3f}s {r['nnstudio']:>9.3f}s "
            f"{r['import']:>7.3f}s {r['layout']:>6.3f}s {r['compile']:>8.3f}s "
            f"{r['nnstudio'] / r['keras']:>5.2f}x"
        )


if __name__ == "__main__":
    main()
