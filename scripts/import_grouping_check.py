"""Import keras.applications models with grouping and print what they open as (blocks,
top-level nodes) and whether the grouped graph rebuilds the same predictions.

    PYTHONPATH=. python scripts/import_grouping_check.py [ResNet50 MobileNetV2 ...]
"""

import sys
import time

import numpy as np


def main(names: list[str]) -> None:
    import keras

    from nnstudio.core.compiler import build_model
    from nnstudio.core.graph import check_graph
    from nnstudio.core.interop import apply_weights
    from nnstudio.core.interop.keras_import import import_keras_model

    for name in names or ["ResNet50"]:
        model = getattr(keras.applications, name)(weights=None)
        t = time.perf_counter()
        result = import_keras_model(model, group=True)
        took = time.perf_counter() - t
        g = result.graph
        top_blocks = [n.name for n in g.nodes.values() if n.is_block]
        result_check = check_graph(g)
        built = build_model(g)
        apply_weights(built, result.weights)
        shape = (1, *model.input_shape[1:])
        x = np.random.default_rng(0).normal(size=shape).astype("float32")
        diff = float(np.max(np.abs(built.predict(x, verbose=0) - model.predict(x, verbose=0))))
        print(
            f"{name}: {len(model.layers)} layers -> {len(g.blocks)} blocks, "
            f"{len(g.nodes)} top-level nodes ({len(top_blocks)} block uses: "
            f"{', '.join(top_blocks)}); check ok={result_check.ok}; "
            f"params {result_check.total_params:,} vs {model.count_params():,}; "
            f"max diff {diff:.2e}; import+group {took:.1f} s"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
