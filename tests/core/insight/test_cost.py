"""The cost of every node against hand counts; the liveness peaks; the incremental cache."""

from __future__ import annotations

import pytest

from nnstudio.core.graph import GraphChecker
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import SetParam
from nnstudio.core.insight.cost import CostModel, human_bytes, human_count


@pytest.fixture(scope="module")
def checker() -> GraphChecker:
    return GraphChecker()


def _cost(checker, b: GraphBuilder, node: str):
    result = checker.check(b.graph)
    assert result.ok, [i.message for i in result.errors]
    return CostModel().compute(b.graph, result).nodes[node]


def _one(checker, key, shapes, dtype="float32", ports=None, **params):
    b = GraphBuilder()
    srcs = [b.add("Input", shape=s, dtype=dtype) for s in shapes]
    if ports:
        node = b.add(key, ports=dict(zip(ports, srcs, strict=False)), **params)
    elif len(srcs) > 1:
        node = b.add(key, srcs, **params)
    else:
        node = b.add(key, *srcs, **params)
    b.output(node)
    return _cost(checker, b, node)


def test_dense(checker) -> None:
    c = _one(checker, "Dense", [(8,)], units=16, activation="relu")
    assert c.macs == 8 * 16
    assert c.flops == 2 * 128 + 16 + 16  # bias and relu per output
    assert c.param_bytes == 4 * (8 * 16 + 16)
    assert c.activation_bytes == 16 * 4
    # On a sequence it acts per position; softmax costs 3 per element, no bias.
    c = _one(checker, "Dense", [(5, 8)], units=4, activation="softmax", use_bias=False)
    assert c.macs == 5 * 8 * 4
    assert c.flops == 2 * 160 + 3 * 20


def test_conv2d_stride_and_padding(checker) -> None:
    same = _one(checker, "Conv2D", [(32, 32, 3)], filters=16, strides=(2, 2), padding="same")
    assert same.macs == 16 * 16 * 16 * 3 * 3 * 3
    assert same.flops == 2 * same.macs + 16 * 16 * 16  # bias, linear activation
    valid = _one(checker, "Conv2D", [(32, 32, 3)], filters=16, strides=(2, 2))
    assert valid.macs == 15 * 15 * 16 * 27
    assert valid.activation_bytes == 15 * 15 * 16 * 4
    causal = _one(checker, "Conv1D", [(20, 4)], filters=8, kernel_size=(5,), padding="causal")
    assert causal.macs == 20 * 8 * 5 * 4


def test_depthwise_separable_and_transpose(checker) -> None:
    dw = _one(checker, "DepthwiseConv2D", [(16, 16, 8)], depth_multiplier=2, use_bias=False)
    assert dw.macs == 14 * 14 * 16 * 9
    assert dw.flops == 2 * dw.macs
    sep = _one(checker, "SeparableConv2D", [(16, 16, 8)], filters=32)
    assert sep.macs == 14 * 14 * 8 * 9 + 14 * 14 * 8 * 32
    tr = _one(checker, "Conv2DTranspose", [(8, 8, 4)], filters=6, strides=(2, 2))
    assert tr.macs == 8 * 8 * 4 * 9 * 6


def test_pooling(checker) -> None:
    mp = _one(checker, "MaxPooling2D", [(8, 8, 4)])
    assert (mp.macs, mp.flops) == (0, 4 * 4 * 4 * 4)
    gp = _one(checker, "GlobalAveragePooling2D", [(8, 8, 4)])
    assert (gp.macs, gp.flops, gp.activation_bytes) == (0, 256, 16)


def test_recurrent(checker) -> None:
    lstm = _one(checker, "LSTM", [(10, 8)], units=16)
    assert lstm.macs == 10 * 4 * 16 * (8 + 16)
    assert lstm.flops == 2 * lstm.macs + 10 * 13 * 16
    assert lstm.param_bytes == 4 * 4 * (8 * 16 + 16 * 16 + 16)
    gru = _one(checker, "GRU", [(10, 8)], units=16, return_sequences=True)
    assert gru.macs == 10 * 3 * 16 * 24
    assert gru.activation_bytes == 10 * 16 * 4
    bi = _one(checker, "SimpleRNN", [(10, 8)], units=16, bidirectional=True, merge_mode="sum")
    assert bi.macs == 2 * 10 * 16 * 24
    assert bi.flops == 2 * bi.macs + 2 * 10 * 2 * 16 + 16


def test_attention(checker) -> None:
    ports = ("query", "value")
    mha = _one(checker, "MultiHeadAttention", [(10, 16), (10, 16)], ports=ports, key_dim=8)
    projections = 3 * 10 * 16 * 4 * 8
    scores = 4 * 10 * 10
    assert mha.macs == projections + 2 * scores * 8 + 10 * 4 * 8 * 16
    assert mha.param_bytes == 4 * (3 * (16 * 32 + 32) + 32 * 16 + 16)
    att = _one(checker, "Attention", [(10, 16), (12, 16)], ports=ports)
    assert att.macs == 2 * 10 * 12 * 16
    assert att.flops == 2 * att.macs + 3 * 120


def test_embedding_is_a_lookup(checker) -> None:
    c = _one(checker, "Embedding", [(12,)], dtype="int32", input_dim=1000, output_dim=64)
    assert (c.macs, c.flops) == (0, 0)
    assert c.param_bytes == 1000 * 64 * 4
    assert c.activation_bytes == 12 * 64 * 4


def test_merges(checker) -> None:
    assert _one(checker, "Add", [(8,), (8,), (8,)]).flops == 2 * 8
    assert _one(checker, "Average", [(8,), (8,)]).flops == 2 * 8
    cat = _one(checker, "Concatenate", [(8,), (4,)])
    assert (cat.macs, cat.flops, cat.activation_bytes) == (0, 0, 12 * 4)


def _branchy():
    """x(100) -> a(200) -> b(100), c(100) -> Add -> d(100): bytes 400, 800, 400, 400, 400."""
    b = GraphBuilder()
    x = b.add("Input", shape=(100,))
    a = b.add("Dense", x, units=200)
    left = b.add("Dense", a, units=100)
    right = b.add("Dense", a, units=100)
    d = b.add("Add", [left, right])
    b.output(d)
    return b, right


def test_liveness_peak_on_a_branchy_graph(checker) -> None:
    b, right = _branchy()
    report = CostModel().compute(b.graph, checker.check(b.graph))
    # Running "right": a (needed by it), left (needed by Add) and right are alive; the
    # input was freed after "a" ran.  A chain-only or sum-only model gives another figure.
    assert report.peak_activation_bytes == 800 + 400 + 400
    assert report.peak_node == right
    assert report.total_activation_bytes == 2400
    assert report.inference_peak(4) == 4 * 1600
    # Training keeps every activation, plus one node's output and input gradients.
    assert report.training_peak(32) == 32 * (2400 + 1200)
    assert report.total_macs == 100 * 200 + 2 * 200 * 100


def test_dangling_output_is_freed_at_once(checker) -> None:
    b = GraphBuilder()
    x = b.add("Input", shape=(100,))
    b.add("Dense", x, units=1000)  # not consumed, not an output: freed right away
    y = b.add("Dense", x, units=10)
    b.output(y)
    report = CostModel().compute(b.graph, checker.check(b.graph))
    assert report.peak_activation_bytes == 400 + 4000


def test_small_cnn_hand_count(checker) -> None:
    b = GraphBuilder()
    x = b.add("Input", shape=(28, 28, 1))
    x = b.add("Conv2D", x, filters=8, activation="relu")
    x = b.add("MaxPooling2D", x)
    x = b.add("Flatten", x)
    y = b.add("Dense", x, units=10)
    b.output(y)
    result = checker.check(b.graph)
    report = CostModel().compute(b.graph, result)
    assert report.total_macs == 26 * 26 * 8 * 9 + 13 * 13 * 8 * 10
    assert report.total_param_bytes == 4 * result.total_params
    assert report.peak_activation_bytes == (26 * 26 * 8 + 13 * 13 * 8) * 4  # conv + pool


def test_cache_recomputes_only_what_changed(checker) -> None:
    b = GraphBuilder()
    x = b.add("Input", shape=(32,))
    h1 = b.add("Dense", x, units=64)
    h2 = b.add("Dense", h1, units=32)
    out = b.add("Dense", h2, units=10)
    b.output(out)
    model = CostModel()
    model.compute(b.graph, checker.check(b.graph))
    assert model.computed == 4
    model.compute(b.graph, checker.check(b.graph))
    assert model.computed == 4  # nothing changed: all from the cache
    SetParam(b.graph, out, "activation", "relu").redo()
    report = model.compute(b.graph, checker.check(b.graph))
    assert model.computed == 5  # the edited node only
    assert report.nodes[out].flops == 2 * 320 + 10 + 10
    SetParam(b.graph, h1, "units", 48).redo()
    report = model.compute(b.graph, checker.check(b.graph))
    assert model.computed == 7  # the edited node and the one whose input shape changed
    assert report.nodes[h2].macs == 48 * 32


def test_the_same_check_of_an_unchanged_graph_is_one_computation(checker) -> None:
    b = GraphBuilder()
    out = b.add("Dense", b.add("Input", shape=(8,)), units=4)
    b.output(out)
    model = CostModel()
    result = checker.check(b.graph)
    first = model.compute(b.graph, result)
    assert model.compute(b.graph, result) is first  # a second view of the same check
    SetParam(b.graph, out, "units", 6).redo()
    assert model.compute(b.graph, result) is not first  # the graph changed since


def test_unknown_axes_count_as_one_and_are_marked(checker) -> None:
    c = _one(checker, "LSTM", [(None, 8)], units=4)
    assert c.approximate
    assert c.macs == 4 * 4 * (8 + 4)


def test_human_units() -> None:
    assert human_count(0) == "0"
    assert human_count(950) == "950"
    assert human_count(12_345) == "12.3 k"
    assert human_count(4_090_000_000) == "4.09 G"
    assert human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(9.19 * 2**20) == "9.19 MiB"
