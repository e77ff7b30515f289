"""Insight timings: one function per measurement, ``main`` prints them all.

* Grad-CAM per image on the example digits CNN (28x28x1), after warm-up: target < 50 ms;
* integrated gradients with 50 steps on one image of it: target < 0.5 s.

* the cost of ResNet-50 and MobileNetV2 imported from keras.applications (insight_cost.py):
  target < 100 ms, with the MACs against the published counts;
* the duplicate scan of 60k CSV rows and of 5,000 images (insight_quality.py): in seconds.

    python benchmarks/insight.py [--repeats 20] [--skip-cost] [--skip-quality]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "resources" / "examples" / "digits_cnn.nnstudio"


def _median_ms(fn: Callable[[], Any], repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def sample_cnn() -> tuple[Any, Any]:
    """The example digits CNN (its initial weights: timings do not depend on training) and
    one 28x28 image for it."""
    import numpy as np

    from nnstudio.core.compiler import build_model
    from nnstudio.core.project import Project

    model = build_model(Project.load(EXAMPLE).graph, seed=0, name="digits")
    shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    image = np.random.default_rng(0).uniform(0, 1, (1, *shape)).astype("float32")
    return model, image


def gradcam_per_image(repeats: int) -> float:
    """Median ms of Grad-CAM (last convolution, predicted class) on one image."""
    from nnstudio.core.insight.explain import gradcam

    model, image = sample_cnn()
    return _median_ms(lambda: gradcam(model, image), repeats)


def integrated_gradients_50(repeats: int) -> float:
    """Median ms of integrated gradients (50 steps, zeros baseline) on one image."""
    from nnstudio.core.insight.explain import integrated_gradients

    model, image = sample_cnn()
    return _median_ms(lambda: integrated_gradients(model, image, steps=50), repeats)


MEASUREMENTS: list[tuple[str, Callable[[int], float], float]] = [
    ("Grad-CAM per image, digits CNN (ms)", gradcam_per_image, 50.0),
    ("integrated gradients, 50 steps, one image (ms)", integrated_gradients_50, 500.0),
]


def main(argv: list[str] | None = None) -> int:
    """Print each measurement with its target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--skip-cost", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args(argv)
    for title, fn, target in MEASUREMENTS:
        value = fn(args.repeats)
        verdict = "ok" if value < target else "OVER"
        print(f"{title:<52} {value:9.1f}   target < {target:g}  {verdict}")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if not args.skip_cost:
        from insight_cost import cost_mobilenetv2, cost_resnet50, report_line

        for cost in (cost_resnet50, cost_mobilenetv2):
            print(report_line(cost(5)))
    if not args.skip_quality:
        from insight_quality import run

        run(60_000, 5_000, 3)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
