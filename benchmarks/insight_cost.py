"""The cost of well-known architectures against their published counts, and its timing.

Imports keras.applications ResNet50 and MobileNetV2 (224x224, with their classifier tops,
no weights) through NN Studio's own importer into a graph, checks it, computes its cost,
and compares the MACs with the published figures and the parameters with Keras'
``count_params()``.  Times the cost computation itself (target < 100 ms for ResNet-50).

    python benchmarks/insight_cost.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Published multiply-accumulates at 224x224 (ResNet-50: He et al. 2016 give 3.8 G "FLOPs",
# i.e. multiply-adds; torchvision/ptflops report 4.1 G; MobileNetV2: Sandler et al. 2018, 300 M).
PUBLISHED = {
    "ResNet50": (3.8e9, 4.1e9),
    "MobileNetV2": (290e6, 310e6),
}


def imported_cost(name: str, repeats: int = 5) -> dict[str, Any]:
    """Import ``keras.applications.<name>`` and return its cost, params and timings."""
    import keras

    from nnstudio.core.graph import GraphChecker
    from nnstudio.core.insight.cost import CostModel
    from nnstudio.core.interop import import_keras_model

    model = getattr(keras.applications, name)(
        weights=None, input_shape=(224, 224, 3), include_top=True
    )
    graph = import_keras_model(model, weights=False).graph
    check = GraphChecker().check(graph)
    times = []
    report = None
    for _ in range(repeats):
        start = time.perf_counter()
        report = CostModel().compute(graph, check)
        times.append(time.perf_counter() - start)
    assert report is not None
    cached = CostModel()
    cached.compute(graph, check)
    start = time.perf_counter()
    cached.compute(graph, check)
    return {
        "name": name,
        "layers": len(graph.nodes),
        "ok": check.ok,
        "macs": report.total_macs,
        "flops": report.total_flops,
        "params": check.total_params,
        "keras_params": int(model.count_params()),
        "peak_inference": report.peak_activation_bytes,
        "peak_training_32": report.training_peak(32),
        "seconds": statistics.median(times),
        "cached_seconds": time.perf_counter() - start,
    }


def cost_resnet50(repeats: int = 5) -> dict[str, Any]:
    """ResNet-50's cost (for benchmarks/insight.py): figures and the timing (< 100 ms)."""
    return imported_cost("ResNet50", repeats)


def cost_mobilenetv2(repeats: int = 5) -> dict[str, Any]:
    """MobileNetV2's cost at 224x224."""
    return imported_cost("MobileNetV2", repeats)


def report_line(r: dict[str, Any]) -> str:
    """One printed line of figures and their agreement."""
    from nnstudio.core.insight.cost import human_bytes, human_count

    low, high = PUBLISHED[r["name"]]
    within = "within" if low <= r["macs"] <= high else "OUTSIDE"
    params = "equal" if r["params"] == r["keras_params"] else "DIFFERENT"
    return (
        f"{r['name']}: {human_count(r['macs'])}MACs ({r['macs']:,}) vs "
        f"{human_count(low)}-{human_count(high)} published: {within}; "
        f"{human_count(r['flops'])}FLOPs; params {r['params']:,} vs Keras "
        f"{r['keras_params']:,}: {params}; peak activations {human_bytes(r['peak_inference'])} "
        f"(inference, 1 sample), {human_bytes(r['peak_training_32'])} (training, batch 32); "
        f"cost computed in {r['seconds'] * 1000:.1f} ms (target < 100 ms), "
        f"cached re-run {r['cached_seconds'] * 1000:.1f} ms; {r['layers']} layers"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for fn in (cost_resnet50, cost_mobilenetv2):
        print(report_line(fn(args.repeats)))


if __name__ == "__main__":
    main()
