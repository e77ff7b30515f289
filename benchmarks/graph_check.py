"""Validation + shape inference of a ~200-node graph against Keras' own symbolic construction.

Builds a ResNet-50 layout (177 layers) from the catalog, then times
  * Keras: constructing the same model symbolically with plain ``keras.layers`` calls,
  * NN Studio: a full check (structure + shapes + parameter counts) with a fresh checker,
  * NN Studio: an incremental re-check after one parameter change.
Prints the medians and the ratios.  Targets: full check <= 1x Keras; re-check < 50 ms.

Then a synthetic graph of about ``--nodes`` nodes (5,000: residual blocks of small dense
layers, issue 17's "thousands of nodes"): a full check with a fresh checker and the re-check
after one parameter edit and its undo (target < 50 ms), with the time of each stage of the
re-check (structure, shapes, sorting) so the slow one is named.

    python benchmarks/graph_check.py [--repeats 5] [--nodes 5000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

Add = Callable[..., Any]


def resnet50(add: Add) -> Any:
    """The ResNet-50 layout expressed through ``add(key, inputs, **params)``."""

    def conv_bn(x, filters, k, s=1, relu=True):
        x = add("Conv2D", [x], filters=filters, kernel_size=(k, k), strides=(s, s), padding="same")
        x = add("BatchNormalization", [x], epsilon=1.001e-5)
        return add("Activation", [x], activation="relu") if relu else x

    def block(x, filters, s, shortcut_conv):
        short = conv_bn(x, 4 * filters, 1, s, relu=False) if shortcut_conv else x
        y = conv_bn(x, filters, 1, s)
        y = conv_bn(y, filters, 3)
        y = conv_bn(y, 4 * filters, 1, relu=False)
        y = add("Add", [short, y])
        return add("Activation", [y], activation="relu")

    x = add("Input", [], shape=(224, 224, 3))
    x = add("ZeroPadding2D", [x], padding=(3, 3, 3, 3))
    x = add("Conv2D", [x], filters=64, kernel_size=(7, 7), strides=(2, 2))
    x = add("BatchNormalization", [x], epsilon=1.001e-5)
    x = add("Activation", [x], activation="relu")
    x = add("ZeroPadding2D", [x], padding=(1, 1, 1, 1))
    x = add("MaxPooling2D", [x], pool_size=(3, 3), strides=(2, 2))
    for filters, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        x = block(x, filters, stride, True)
        for _ in range(blocks - 1):
            x = block(x, filters, 1, False)
    x = add("GlobalAveragePooling2D", [x])
    return add("Dense", [x], units=1000, activation="softmax")


def build_graph():
    from nnstudio.core.graph.builder import GraphBuilder

    b = GraphBuilder()

    def add(key, inputs, **params):
        if key == "Add":
            return b.add(key, list(inputs), **params)
        return b.add(key, *inputs, **params)

    out = resnet50(add)
    b.output(out, "sparse_categorical_crossentropy", ["accuracy"])
    return b.graph


def synthetic_graph(nodes: int):
    """Input, then residual blocks (Dense, BatchNormalization, Activation, Dense, Add, ReLU:
    six nodes each) until ``nodes``, then a Dense head."""
    from nnstudio.core.graph.builder import GraphBuilder

    b = GraphBuilder()
    h = b.add("Dense", b.add("Input", name="x", shape=(16,)), name="stem", units=16)
    for i in range(max(1, (nodes - 3) // 6)):
        r = b.add("Dense", h, name=f"b{i}_dense_a", units=16)
        r = b.add("BatchNormalization", r, name=f"b{i}_bn")
        r = b.add("Activation", r, name=f"b{i}_relu_a", activation="relu")
        r = b.add("Dense", r, name=f"b{i}_dense_b", units=16)
        h = b.add("Add", [h, r], name=f"b{i}_add")
        h = b.add("Activation", h, name=f"b{i}_out", activation="relu")
    y = b.add("Dense", h, name="head", units=1)
    b.output(y, "mse", [])
    return b.graph


def big_graph_check(nodes: int, repeats: int) -> None:
    """Full check and one-edit re-check of a synthetic graph of ``nodes`` nodes."""
    from nnstudio.core.graph import GraphChecker
    from nnstudio.core.graph.commands import History, SetParam
    from nnstudio.core.graph.validation import check_structure

    graph = synthetic_graph(nodes)
    checker = GraphChecker()
    t = time.perf_counter()
    result = checker.check(graph)
    full = time.perf_counter() - t
    assert result.ok, result.errors[:3]
    middle = graph.node_by_name(f"b{len(graph.nodes) // 12}_dense_b")
    history = History()
    inc, structure, shapes = [], [], []
    for _ in range(repeats):
        for value in (32, 16):  # breaks the Add's join (16 vs 32 units), then mends it
            history.push(SetParam(graph, middle.id, "units", value))
            t = time.perf_counter()
            res = checker.check(graph)
            inc.append(time.perf_counter() - t)
            assert res.ok == (value == 16)
            t = time.perf_counter()
            check_structure(graph)
            structure.append(time.perf_counter() - t)
            t = time.perf_counter()
            checker.inference.infer(graph)
            shapes.append(time.perf_counter() - t)
    med = statistics.median
    print(f"\nsynthetic graph: {len(graph.nodes)} nodes, {len(graph.edges)} edges")
    print(f"NN Studio full check (fresh): {full * 1000:8.1f} ms")
    print(
        f"NN Studio re-check (1 edit):  {med(inc) * 1000:8.1f} ms  median, worst "
        f"{max(inc) * 1000:.1f} ms (target < 50 ms)"
    )
    print(
        f"  a whole-graph re-check would cost: structure {med(structure) * 1000:.1f} ms + "
        f"shapes (memoised) {med(shapes) * 1000:.1f} ms (medians, each stage timed alone)"
    )


def keras_construct() -> int:
    import keras
    from keras import layers

    inputs: list[Any] = []

    def add(key, ins, **params):
        if key == "Input":
            t = keras.Input(shape=params["shape"])
            inputs.append(t)
            return t
        if key == "ZeroPadding2D":
            t, bt, left, r = params["padding"]
            return layers.ZeroPadding2D(((t, bt), (left, r)))(ins[0])
        layer = getattr(layers, key)(**params)
        return layer(list(ins)) if key == "Add" else layer(ins[0])

    out = resnet50(add)
    model = keras.Model(inputs[0], out)
    return len(model.layers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--nodes", type=int, default=5000, help="the synthetic graph (0: none)")
    args = parser.parse_args()
    import keras  # noqa: F401  (imported once, outside the timings)

    from nnstudio.core.graph import GraphChecker
    from nnstudio.core.graph.commands import History, SetParam

    graph = build_graph()
    keras_times, full_times, inc_times = [], [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        n_layers = keras_construct()
        keras_times.append(time.perf_counter() - t)

        checker = GraphChecker()
        t = time.perf_counter()
        result = checker.check(graph)
        full_times.append(time.perf_counter() - t)
        assert result.ok, result.errors[:3]

        conv = [n for n in graph.nodes.values() if n.key == "Conv2D"][20]
        history = History()
        original = conv.params["filters"]
        for value in (original * 2, original):  # an edit that changes shapes, then undo it
            history.push(SetParam(graph, conv.id, "filters", value))
            t = time.perf_counter()
            checker.check(graph)
            inc_times.append(time.perf_counter() - t)
    k, f, i = (statistics.median(v) for v in (keras_times, full_times, inc_times))
    print(
        f"graph: {len(graph.nodes)} nodes ({n_layers} Keras layers), "
        f"{result.total_params:,} parameters"
    )
    print(f"Keras symbolic construction: {k * 1000:8.1f} ms (median of {args.repeats})")
    print(
        f"NN Studio full check:        {f * 1000:8.1f} ms  ratio {f / k:.2f}x Keras "
        f"(target <= 1.00x)"
    )
    print(
        f"NN Studio re-check (1 edit): {i * 1000:8.1f} ms  median, worst "
        f"{max(inc_times) * 1000:.1f} ms (target < 50 ms)"
    )
    if args.nodes:
        big_graph_check(args.nodes, args.repeats)


if __name__ == "__main__":
    main()
