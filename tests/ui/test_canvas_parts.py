"""Small parts of the editor: node labels, value parsing, edge routing, the merge, the guard."""

from __future__ import annotations

import textwrap
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF

from nnstudio.core import catalog
from nnstudio.core.graph.commands import MoveNodes, SetParam
from nnstudio.core.graph.model import Graph
from nnstudio.core.layout import NODE_H, NODE_W
from nnstudio.ui.canvas.items import route
from nnstudio.ui.canvas.labels import key_params_text, params_count_text, shape_text
from nnstudio.ui.param_editors import parse_scalar, parse_tuple, range_text
from nnstudio.ui.undo import CoreCommand

pytest_plugins = ("pytester",)


def test_node_labels():
    conv = catalog.get("Conv2D")
    params = {**conv.defaults(), "filters": 32, "activation": "relu"}
    assert key_params_text(conv, params) == "32 filters · 3×3 · relu"
    params["strides"] = (2, 2)
    assert key_params_text(conv, params) == "32 filters · 3×3 · stride 2×2 · relu"
    lstm = catalog.get("LSTM")
    units = lstm.defaults()["units"]
    assert key_params_text(lstm, {**lstm.defaults(), "return_sequences": True}) == (
        f"{units} units · sequences"
    )
    assert key_params_text(lstm, {**lstm.defaults(), "bidirectional": True}) == (
        f"{units} units · bidirectional"
    )
    assert params_count_text(0) == "no params"
    assert params_count_text(650) == "650 params"
    assert params_count_text(9216) == "9.22k params"
    assert params_count_text(25_636_712) == "25.6M params"
    assert shape_text((None, 28, 28, 16)) == "28×28×16"
    assert shape_text((None, None, 8)) == "?×8"
    assert shape_text(None) == "?"


def test_value_parsing_for_editors():
    assert parse_scalar("12", "int") == 12
    assert parse_scalar("1e3", "int") == 1000
    assert parse_scalar("0.25", "float") == 0.25
    assert parse_scalar("", "float") is None
    assert parse_scalar("many", "int") == "many"  # the core's validation explains it
    assert parse_tuple("28, 28, 1", "ints") == [28, 28, 1]
    assert parse_tuple("3x3", "ints") == [3, 3]
    assert parse_tuple("(none, 64)", "ints") == [None, 64]
    assert parse_tuple("", "ints") == []
    assert range_text(catalog.get("Dropout").param("rate")) == "0 – 0.99"


def test_long_edges_are_routed_around_nodes():
    nodes = [QRectF(x, 0.0, NODE_W, NODE_H) for x in (260.0, 520.0, 780.0)]

    def blocked(x1, x2, y):
        lane = QRectF(x1, y - 10, x2 - x1, 20)
        return any(r.intersects(lane) for r in nodes)

    def band(x1, x2):
        return 0.0, NODE_H

    start, end = QPointF(180.0, NODE_H / 2), QPointF(1040.0, NODE_H / 2)
    path = route(start, end, blocked, band)
    assert path.pointAtPercent(0.0) == start and path.pointAtPercent(1.0) == end
    # The middle of the path runs above the row of nodes, not through them.
    for t in (0.3, 0.5, 0.7):
        assert path.pointAtPercent(t).y() < 0.0
    # A short edge is a plain curve between the two ports.
    short = route(QPointF(180.0, 42.0), QPointF(260.0, 42.0), blocked, band)
    assert all(0.0 <= short.pointAtPercent(t).y() <= NODE_H for t in (0.25, 0.5, 0.75))


def test_undo_wrapper_merges_only_what_the_core_merges_and_quickly():
    graph = Graph()
    from nnstudio.core.graph.commands import AddNode

    add = AddNode(graph, "Dense", (0.0, 0.0))
    add.redo()
    nid = add.node.id
    first = CoreCommand(SetParam(graph, nid, "units", 5))
    first.redo()
    second = CoreCommand(SetParam(graph, nid, "units", 6))
    second.redo()
    assert first.id() == second.id() >= 0
    assert first.mergeWith(second)
    other = CoreCommand(SetParam(graph, nid, "activation", "relu"))
    assert not first.mergeWith(other)
    late = CoreCommand(SetParam(graph, nid, "units", 7))
    late._stamp += 5.0  # five seconds later: a separate step
    assert not first.mergeWith(late)
    first.undo()
    assert graph.nodes[nid].params["units"] == 64
    move = CoreCommand(MoveNodes(graph, {nid: (10.0, 0.0)}))
    assert not move.changes_model and first.changes_model


def test_the_qthread_guard_fails_a_test_that_leaves_a_thread_running(pytester):
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text())
    pytester.makepyfile(
        textwrap.dedent("""
        import threading
        from PySide6.QtCore import QThread

        STOP = threading.Event()

        class Busy(QThread):
            def run(self):
                STOP.wait(1.5)  # still running at teardown; ends soon after

        def test_leaks(qapp):
            Busy(qapp).start()

        def test_after():
            STOP.set()
    """)
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*the test left QThreads running: Busy*"])
    result.assert_outcomes(passed=2, errors=1)


def test_layer_search_finds_layers_by_their_other_names():
    from nnstudio.core import catalog
    from nnstudio.ui.search import ranked

    def first(text):
        return ranked(list(catalog.all_specs()), text)[0].key

    assert first("fully connected") == "Dense"
    assert first("fc") == "Dense"
    assert first("linear") == "Dense"
    assert first("deconvolution") == "Conv2DTranspose"
    assert first("transposed") == "Conv2DTranspose"
    assert first("upsample") == "UpSampling2D"
    rnn = {s.key for s in ranked(list(catalog.all_specs()), "rnn")}
    assert {"SimpleRNN", "LSTM", "GRU"} <= rnn
    assert "MultiHeadAttention" in {s.key for s in ranked(list(catalog.all_specs()), "attention")}
    norms = {s.key for s in ranked(list(catalog.all_specs()), "norm")}
    assert {"BatchNormalization", "LayerNormalization", "GroupNormalization"} <= norms


def test_node_names_fit_without_eliding_at_low_zoom(qapp):
    from nnstudio.core.layout import NODE_H, NODE_W
    from nnstudio.ui.canvas.namefit import fit_name

    for lod in (0.31, 0.45):
        fitted = fit_name("self_attention", NODE_W - 8, NODE_H - 6, lod, screen_px=11.0)
        assert not fitted.elided
        assert "".join(fitted.lines).replace(" ", "") == "self_attention"


def test_names_never_break_inside_a_word(qapp):
    from nnstudio.core.templates import TEMPLATES
    from nnstudio.ui.canvas.namefit import break_points, fit_name

    assert break_points("embedding") == []
    assert break_points("residual_1") == []  # a counter is no word of its own
    assert break_points("self_attention") == [5]
    assert break_points("denseBlock") == [5]
    names = {"embedding", "residual_1", "self_attention", "conv2d_transpose_12"}
    for _, _, build in TEMPLATES.values():
        names |= {n.name for n in build().graph.nodes.values()}
    for lod in (0.15, 0.2, 0.27, 0.31, 0.39):  # name-only level of detail
        for name in names:
            fitted = fit_name(name, NODE_W - 8, NODE_H - 6, lod, screen_px=11.0)
            if len(fitted.lines) == 2:
                assert len(fitted.lines[0]) in break_points(name), (name, lod, fitted.lines)
            if fitted.elided:
                assert len(fitted.lines) == 1 and fitted.lines[0] != name
            else:
                assert "".join(fitted.lines).replace(" ", "") == name.replace(" ", "")


def test_template_names_show_whole_on_one_line_at_27_percent(qapp):
    from nnstudio.ui.canvas.namefit import MIN_SCREEN_PX, fit_name

    for name in ("embedding", "residual_1", "norm_1", "tokens"):
        fitted = fit_name(name, NODE_W - 8, NODE_H - 6, 0.27, screen_px=11.0)
        assert fitted.lines == (name,) and not fitted.elided, fitted.lines
    # Shrinking comes before eliding; eliding only when even the floor size cannot hold it.
    long = "an_extraordinarily_long_layer_name_indeed"
    fitted = fit_name(long, NODE_W - 8, NODE_H - 6, 0.2, screen_px=11.0)
    assert fitted.elided and "…" in fitted.lines[0]
    assert fitted.font.pixelSize() * 0.2 < MIN_SCREEN_PX  # it tried smaller fonts first
    # Elided, a name keeps its last words, which tell a block's layers apart.
    for name, tail, lod in (("block1_conv_a", "…conv_a", 0.22), ("block1_bn_b", "…bn_b", 0.2)):
        fitted = fit_name(name, NODE_W - 8, NODE_H - 6, lod, screen_px=11.0)
        assert fitted.lines == (tail,) and fitted.elided


def test_connection_shape_problem_reads_the_specs_hints(qapp):
    from nnstudio.core.graph.builder import GraphBuilder
    from nnstudio.ui.canvas.scene import GraphScene
    from nnstudio.ui.canvas.shape_check import connection_shape_problem

    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(8,))
    b.add("Input", name="img", shape=(28, 28, 3))
    b.add("Dense", x, name="d", units=10)
    b.add("Conv2D", name="conv", filters=4)
    b.add("Dense", name="e", units=4)
    wide = b.add("Dense", x, name="wide", units=20)
    b.add("Add", [wide], name="add")
    b.add("RepeatVector", name="repeat")
    g = b.graph
    ids = {n.name: n.id for n in g.nodes.values()}
    shapes = {ids["d"]: (None, 10), ids["wide"]: (None, 20), ids["img"]: (None, 28, 28, 3)}

    def problem(src, dst):
        return connection_shape_problem(g, shapes.get, ids[src], ids[dst], "in")

    text = problem("d", "conv")
    assert 'Conv 2D "conv" expects a 4-D input' in text and '(batch, 10) from "d"' in text
    assert "Reshape" in text
    assert problem("img", "e") is None  # Dense takes any rank
    assert problem("d", "e") is None
    assert "Flatten" in problem("img", "repeat")  # too many axes for a 2-D input
    assert "same shape" in problem("d", "add")  # (batch, 10) against the (batch, 20) there
    assert connection_shape_problem(g, lambda _: None, ids["d"], ids["conv"], "in") is None
    # Before shapes are inferred the scene still knows an Input's own shape.
    scene = GraphScene(g)
    try:
        assert scene.output_shape(ids["img"]) == (None, 28, 28, 3)
        assert scene.output_shape(ids["d"]) is None
    finally:
        scene.detach()
