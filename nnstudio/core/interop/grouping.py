"""Imports arrive collapsed: an imported graph grouped into blocks.

Two sources of structure, nested outermost first:

* the nested functional/Sequential sub-models the model was built from (each one a block
  named after the sub-model);
* the structure of the layer names that ``keras.applications`` models follow: a token
  ``block<N>`` (``conv2_block1_1_conv``: stage ``conv2``, block ``conv2_block1``),
  ``block<N><letter>`` (EfficientNet's ``block2a_expand_conv``: stage ``block2``, block
  ``block2a``) or ``block_<N>`` (MobileNetV2's ``block_3_expand``: block ``block_3``).

Groups are made innermost first with :class:`GroupNodes` (ids are kept, so the weights and
the origin of every layer can follow); a group that cannot form a block (a path leaves it
and comes back) is left flat.  The compiled names (:func:`~nnstudio.core.graph.blocks.qualify`)
keep the imported names wherever they already start with their block's name, as
``keras.applications`` names do; the others are re-keyed in the import result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nnstudio.core.graph.block_commands import GroupNodes
from nnstudio.core.graph.blocks import flatten
from nnstudio.core.graph.model import NAME_RE, Graph, GraphError

_BLOCK = re.compile(r"block(\d*)([a-z]?)")
MIN_MEMBERS = 2


@dataclass
class GroupingReport:
    """What grouping did: the definitions made, the groups left flat, the renamed layers."""

    blocks: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)


def name_keys(name: str) -> tuple[str, ...]:
    """The stage and block a ``keras.applications`` layer name belongs to (outermost first),
    ``()`` for a name without that structure."""
    tokens = name.split("_")
    for i, token in enumerate(tokens):
        m = _BLOCK.fullmatch(token)
        if m is None:
            continue
        number, letter = m.groups()
        if not number:
            if i + 1 < len(tokens) and tokens[i + 1].isdigit():
                end = i + 2
            else:
                continue
        else:
            end = i + 1
        if end >= len(tokens):
            return ()  # the name is the block itself: nothing of its own after it
        block = "_".join(tokens[:end])
        stage = "_".join(tokens[:i]) if i else (f"block{number}" if number and letter else "")
        return (stage, block) if stage else (block,)
    return ()


def group_graph(graph: Graph, paths: Mapping[str, tuple[str, ...]]) -> GroupingReport:
    """Group ``graph`` in place; ``paths[node_id]`` is each layer's Keras path (nested model
    names first, then the layer's own name)."""
    from nnstudio.core.graph.check import GraphChecker

    report = GroupingReport()
    chains: dict[str, tuple[str, ...]] = {}
    for nid, path in paths.items():
        if nid in graph.nodes and graph.nodes[nid].key != "Input":
            chain = tuple(path[:-1]) + name_keys(path[-1])
            if chain:
                chains[nid] = chain
    if not chains:
        return report
    shapes: dict[str, Any] = dict(GraphChecker().check(graph).shapes)
    keys = sorted({c[:k] for c in chains.values() for k in range(1, len(c) + 1)}, key=len)
    for key in reversed(keys):
        members = [nid for nid in graph.nodes if chains.get(nid, ())[: len(key)] == key]
        if len(members) < MIN_MEMBERS:
            continue
        name = _free_name(graph, key[-1])
        try:
            cmd = GroupNodes(graph, members, name, shapes=shapes)
        except GraphError as exc:
            report.skipped.append(f"{'/'.join(key)}: {exc}")
            continue
        cmd.redo()
        chains[cmd.use_id] = key
        for port in cmd.definition.output_ports():
            if port in shapes:
                shapes[f"{cmd.use_id}:{port}"] = shapes[port]
        report.blocks.append(name)
    return report


def _free_name(graph: Graph, base: str) -> str:
    base = re.sub(r"[^A-Za-z0-9_.\-]", "_", base) or "block"
    if not NAME_RE.match(base):
        base = f"b_{base}"[:60]
    name, i = base, 1
    while name in graph.blocks:
        name = f"{base}_{i}"
        i += 1
    return name


def group_result(result: Any) -> GroupingReport:
    """Group an :class:`~nnstudio.core.interop.keras_import.ImportResult` in place: its
    graph collapses into blocks, its ``origin`` and ``weights`` follow the compiled names,
    and the graph and each definition are laid out again."""
    from nnstudio.core.layout import apply_positions, layered_layout

    graph = result.graph
    by_name = {n.name: nid for nid, n in graph.nodes.items()}
    paths = {by_name[name]: path for name, path in result.origin.items() if name in by_name}
    names = {nid: n.name for nid, n in graph.nodes.items()}
    report = group_graph(graph, paths)
    if not report.blocks:
        return report
    flat = flatten(graph)
    for fid, node in flat.graph.nodes.items():
        old = names.get(flat.origin[fid].inner)
        if old is not None and old != node.name:
            report.renamed[old] = node.name
    result.origin = {report.renamed.get(k, k): v for k, v in result.origin.items()}
    result.weights = {report.renamed.get(k, k): v for k, v in result.weights.items()}
    for d in graph.blocks.values():
        apply_positions(d.graph, layered_layout(d.graph))
    apply_positions(graph, layered_layout(graph))
    result.warnings.append(
        f"grouped into {len(report.blocks)} block(s) ({', '.join(report.blocks[:5])}"
        + (" …)" if len(report.blocks) > 5 else ")")
    )
    return report
