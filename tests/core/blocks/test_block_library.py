"""The block library: built-ins that compile, save/list/load/delete, drop into a project."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnstudio.core import block_library as lib
from nnstudio.core.block_builtins import BUILTINS, builtin_definition, transformer_stack
from nnstudio.core.compiler import build_model
from nnstudio.core.graph import Graph, check_graph
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.commands import Connect, History, SetOutput


def test_the_shipped_files_are_the_built_ins():
    listing = lib.list_blocks(None)
    assert not listing.problems
    assert sorted(b.name for b in listing.blocks) == sorted(BUILTINS)
    for block in listing.blocks:
        assert block.builtin and block.description
        expected = builtin_definition(block.name).graph.to_json(with_blocks=False)
        assert block.definition.graph.to_json(with_blocks=False) == expected


def _use_alone(block: lib.LibraryBlock) -> tuple[Graph, str]:
    """A graph feeding the block from Inputs shaped like its ports, its outputs declared."""
    g = Graph()
    h = History()
    h.push(lib.place_command(g, block, (0.0, 0.0)))
    use = next(iter(g.nodes))
    d = g.blocks[block.name]
    for port in d.input_ports():
        inner = d.graph.nodes[port]
        b = GraphBuilder(g)
        x = b.add("Input", shape=inner.params["shape"], dtype=inner.params["dtype"])
        h.push(Connect(g, x, use, port))
    for port in d.output_ports():
        h.push(SetOutput(g, use, port=port))
    return g, use


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_each_built_in_compiles_and_passes_its_shape_checks(name):
    block = lib.list_blocks(None).get(name)
    g, use = _use_alone(block)
    result = check_graph(g)
    assert result.ok, [i.message for i in result.issues]
    assert not result.issues  # no warnings either
    model = build_model(g)
    assert model.count_params() == result.total_params > 0
    for port, out in zip(g.blocks[name].output_ports(), model.outputs, strict=True):
        assert result.flat.port_shape(use, port).shape == tuple(out.shape)


def test_save_list_load_and_delete_a_users_block(tmp_path):
    g = transformer_stack(layers=2, seq_len=8, vocab=50)
    folder = tmp_path / "blocks"
    path = lib.save_block(folder, g, "transformer_encoder_layer", "my encoder")
    assert path.name == "transformer_encoder_layer.nnblock"
    listing = lib.list_blocks(folder)
    mine = listing.get("transformer_encoder_layer")
    assert not mine.builtin and mine.description == "my encoder"
    assert mine.inputs == ["x"] and mine.outputs == ["norm_2"] and mine.layer_count == 7
    lib.delete_block(folder, "transformer_encoder_layer")
    assert lib.list_blocks(folder).get("transformer_encoder_layer").builtin
    with pytest.raises(lib.LibraryError, match="no block called"):
        lib.delete_block(folder, "transformer_encoder_layer")


def test_a_selection_saves_as_a_block_and_the_graph_is_unchanged(tmp_path):
    b = GraphBuilder()
    x = b.add("Input", shape=(4,))
    d = b.add("Dense", x, units=3, name="d")
    b.output(b.add("Dense", d, units=1))
    before = b.graph.to_json()
    lib.save_selection(tmp_path, b.graph, [d], "mine", "one dense", shapes={})
    assert b.graph.to_json() == before
    block = lib.load_block(tmp_path / "mine.nnblock")
    assert block.layer_count == 1 and block.description == "one dense"


def test_dropping_reuses_an_equal_definition_and_renames_a_different_one(tmp_path):
    block = lib.list_blocks(None).get("residual_block")
    g = Graph()
    h = History()
    h.push(lib.place_command(g, block, (0.0, 0.0)))
    h.push(lib.place_command(g, block, (300.0, 0.0)))
    assert list(g.blocks) == ["residual_block"] and len(g.nodes) == 2
    other = lib.list_blocks(None).get("squeeze_excitation")
    other.name = "residual_block"
    other.definition.name = "residual_block"
    cmd = lib.place_command(g, other, (600.0, 0.0))
    h.push(cmd)
    assert list(g.blocks) == ["residual_block", "residual_block_1"]
    assert g.nodes[cmd.node_id].params["definition"] == "residual_block_1"
    h.undo()
    assert list(g.blocks) == ["residual_block"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"{", "not valid JSON"),
        (b"[]", "kind: not an NN Studio block file"),
        (json.dumps({"kind": lib.KIND, "format_version": 99}).encode(), "format_version"),
        (
            json.dumps(
                {"kind": lib.KIND, "format_version": 1, "name": "a", "blocks": {"a": {"graph": 3}}}
            ).encode(),
            "file.blocks.a.graph: expected an object",
        ),
    ],
)
def test_a_damaged_block_file_is_one_located_error(tmp_path, content, needle):
    path = tmp_path / "bad.nnblock"
    path.write_bytes(content)
    with pytest.raises(lib.LibraryError, match="bad.nnblock") as info:
        lib.load_block(path)
    assert needle in str(info.value)
    listing = lib.list_blocks(tmp_path)
    assert len(listing.problems) == 1 and len(listing.blocks) == len(BUILTINS)


def test_a_six_layer_transformer_from_a_repeated_block_trains():
    g = transformer_stack(layers=6, seq_len=8, vocab=50, dim=8, heads=2)
    use = next(n for n in g.nodes.values() if n.is_block)
    assert use.params["repeat"] == 6
    result = check_graph(g)
    assert result.ok, [i.message for i in result.issues]
    model = build_model(g, seed=0)
    assert model.count_params() == result.total_params
    # eagerly: tracing six attention layers into a graph costs ~25 s on the CI's 2 cores
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=True)
    names = [layer.name for layer in model.layers]
    assert "transformer_encoder_layer_6_self_attention" in names
    assert len(names) == 3 + 6 * 7 + 2 - 1
    rng = np.random.default_rng(0)
    x = rng.integers(0, 50, size=(64, 8)).astype("int32")
    y = (x[:, 0] > 25).astype("int32")
    history = model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"][0])
