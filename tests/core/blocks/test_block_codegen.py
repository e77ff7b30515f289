"""Code generation through blocks: one function per definition, the same model rebuilt."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.compiler import build_model
from nnstudio.core.graph.block_commands import GroupNodes, SetRepeat
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.interop import generate_code


@pytest.fixture(scope="module")
def blocked():
    """A nested, repeated residual block and a two-output block feeding a merge."""
    b = GraphBuilder()
    x = b.add("Input", shape=(6,))
    a = b.add("Dense", x, units=6, activation="relu", name="a")
    c = b.add("Dense", a, units=6, name="c")
    s = b.add("Add", [c, x], name="s")
    left = b.add("Dense", s, units=3, name="left")
    right = b.add("Dense", s, units=2, name="right")
    y = b.add("Dense", b.add("Concatenate", [left, right], name="cat"), units=1, name="y")
    b.output(y)
    g = b.graph
    pair = GroupNodes(g, [a, c], "pair", "two dense layers", shapes={})
    pair.redo()
    res = GroupNodes(g, [pair.use_id, s], "res", shapes={})
    res.redo()
    SetRepeat(g, res.use_id, 3).redo()
    GroupNodes(g, [left, right], "split", shapes={}).redo()
    return g


def test_one_function_per_definition_called_where_used(blocked):
    code = generate_code(blocked)
    assert code == generate_code(blocked)  # deterministic
    for fn in ("def block_pair(", "def block_res(", "def block_split("):
        assert code.count(fn) == 1
    assert code.index("def block_pair(") < code.index("def block_res(")  # dependencies first
    assert "for i in range(3):" in code
    assert 'block_res(res, f"res_{i + 1}")' in code
    assert 'block_pair(in_, _name(prefix, "pair"))' in code
    assert "split_1, split_2 = block_split(" in code
    compile(code, "generated.py", "exec")


def test_the_generated_code_rebuilds_the_same_model(blocked):
    ours = build_model(blocked, seed=1)
    namespace: dict = {}
    exec(compile(generate_code(blocked), "generated.py", "exec"), namespace)
    theirs = namespace["build_model"]()
    assert [layer.name for layer in theirs.layers] == [layer.name for layer in ours.layers]
    assert theirs.count_params() == ours.count_params()
    for layer in ours.layers:
        theirs.get_layer(layer.name).set_weights(layer.get_weights())
    x = np.random.default_rng(0).normal(size=(4, 6)).astype("float32")
    np.testing.assert_allclose(theirs.predict(x, verbose=0), ours.predict(x, verbose=0), atol=1e-6)


def test_a_backbone_beside_blocks_is_written_as_the_flat_model():
    """A graph with blocks and a pretrained backbone: the code rebuilds the same layers."""
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(32, 32, 3))
    h = b.add(
        "PretrainedBackbone",
        x,
        name="backbone",
        architecture="MobileNetV2",
        alpha=0.35,
        input_size=32,
        weights="none",
    )
    f = b.add("Dense", h, units=8, activation="relu", name="f")
    d = b.add("Dropout", f, rate=0.1, name="d")
    y = b.add("Dense", d, units=3, name="y")
    b.output(y)
    g = b.graph
    GroupNodes(g, [f, d], "head", shapes={}).redo()
    code = generate_code(g)
    assert "keras.applications" in code and "def block_head(" not in code
    namespace: dict = {}
    exec(compile(code, "generated.py", "exec"), namespace)
    ours = build_model(g, seed=1)
    theirs = namespace["build_model"]()
    assert [layer.name for layer in theirs.layers] == [layer.name for layer in ours.layers]
    assert theirs.count_params() == ours.count_params()
