"""Code generation through blocks: one Python function per block definition, called where
the block is used (a ``for`` loop for a repeated use).

Each function takes the block's inputs and a ``prefix`` (the use's name) and names its
layers ``_name(prefix, "dense")``, exactly as the compiler names the inlined layers
(:func:`nnstudio.core.graph.blocks.qualify`), so the generated model has the same layer names
and the same weights file fits both.
"""

from __future__ import annotations

import keyword
import re
import textwrap
from collections.abc import Mapping

from nnstudio.core.graph.blocks import definitions_used
from nnstudio.core.graph.model import BLOCK_KEY, OUT_PORT, Edge, Graph, Node
from nnstudio.core.interop import codegen as cg

_HELPER = [
    "def _name(prefix, name):",
    f'{cg.INDENT}"""A layer\'s name inside a block: the name of the block use first."""',
    f'{cg.INDENT}return name if name.startswith(prefix + "_") else f"{{prefix}}_{{name}}"',
]


class _View:
    """A graph whose edges name a block's output as ``use:port`` (the codegen reads edges)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.nodes = graph.nodes

    def in_edges(self, node_id: str, port: str | None = None) -> list[Edge]:
        return [
            Edge(_token(e.src, e.src_port), e.dst, e.port)
            for e in self.graph.in_edges(node_id, port)
        ]


def _token(node_id: str, port: str) -> str:
    return node_id if port == OUT_PORT else f"{node_id}:{port}"


def function_name(definition: str) -> str:
    """The Python function generated for a block definition."""
    return "block_" + re.sub(r"\W", "_", definition)


def block_code(
    graph: Graph,
    *,
    weights_file: str | None,
    model_name: str,
    optimizer: str,
    learning_rate: float | None,
) -> str:
    """The generated file of a (checked) graph that uses blocks."""
    from nnstudio.core.compiler import used_node_ids

    functions: list[str] = [*_HELPER, "", ""]
    for name in definitions_used(graph):
        functions += [*_function(graph, name), "", ""]
    ids = used_node_ids(graph)
    names = _names(graph, ids)
    body: list[str] = []
    inputs: list[str] = []
    for nid in ids:
        node = graph.nodes[nid]
        if node.key == "Input":
            inputs.append(names[nid])
        body.extend(_node_lines(graph, node, names, None, cg.INDENT))
    outputs = [names[_token(o.node, o.port)] for o in graph.outputs]
    body.append(
        cg._call_text(
            f"{cg.INDENT}model = ",
            "keras.Model",
            [
                f"inputs={cg._one_or_list(inputs)}",
                f"outputs={cg._one_or_list(outputs)}",
                f"name={cg._str(model_name)}",
            ],
            "",
        )
    )
    body.extend(cg._compile_lines(graph, optimizer, learning_rate))
    text = cg._assemble(body, weights_file, model_name)
    at = text.index("\ndef build_model") + 1
    return text[:at] + "\n".join(functions) + "\n" + text[at:]


def _names(graph: Graph, ids: list[str]) -> dict[str, str]:
    """Variables per node id and per ``use:port`` (a block's outputs)."""
    names = cg._variable_names(graph, ids)
    for nid, var in list(names.items()):
        if var in ("prefix", "_name") or var.startswith("block_"):
            names[nid] = f"{var}_"
    taken = set(names.values())
    for nid in ids:
        node = graph.nodes[nid]
        if node.key != BLOCK_KEY:
            continue
        ports = graph.blocks[str(node.params["definition"])].output_ports()
        for i, port in enumerate(ports):
            var = names[nid] if len(ports) == 1 else f"{names[nid]}_{i + 1}"
            while var in taken and len(ports) > 1:
                var += "_"
            taken.add(var)
            names[f"{nid}:{port}"] = var
    return names


def _function(graph: Graph, name: str) -> list[str]:
    from nnstudio.core.compiler import used_node_ids

    definition = graph.blocks[name]
    inner = definition.graph
    ids = used_node_ids(inner)
    ports = definition.input_ports()
    ids = [*ports, *(i for i in ids if i not in ports)]
    names = _names(inner, ids)
    params = [names[p] for p in ports]
    text = " ".join(definition.description.split())
    safe = text.isprintable() and '"""' not in text and "\\" not in text
    doc = [f'{cg.INDENT}"""Block {name}.']
    if text and safe:
        doc += [
            "",
            *textwrap.wrap(text, cg.WIDTH, initial_indent=cg.INDENT, subsequent_indent=cg.INDENT),
        ]
    doc[-1] += '"""' if len(doc) == 1 else ""
    if len(doc) > 1:
        doc.append(f'{cg.INDENT}"""')
    lines = [f"def {function_name(name)}({', '.join([*params, 'prefix'])}):", *doc]
    for nid in ids:
        node = inner.nodes[nid]
        if node.key == "Input":
            continue
        lines.extend(_node_lines(inner, node, names, "prefix", cg.INDENT))
    outs = [names[_token(o.node, o.port)] for o in inner.outputs]
    lines.append(f"{cg.INDENT}return {', '.join(outs)}")
    return lines


def _node_lines(
    graph: Graph, node: Node, names: Mapping[str, str], prefix: str | None, indent: str
) -> list[str]:
    if node.key == BLOCK_KEY:
        return _use_lines(graph, node, names, prefix, indent)
    text = "\n".join(cg._layer_lines(_View(graph), node, names))  # type: ignore[arg-type]
    if prefix is not None:
        for n in (node.name, node.name + "_cell"):
            text = text.replace(f"name={cg._str(n)}", f"name=_name({prefix}, {cg._str(n)})")
    return text.split("\n")


def _use_lines(
    graph: Graph, use: Node, names: Mapping[str, str], prefix: str | None, indent: str
) -> list[str]:
    name = str(use.params["definition"])
    definition = graph.blocks[name]
    fn = function_name(name)
    args = []
    for port in definition.input_ports():
        e = graph.in_edges(use.id, port)[0]
        args.append(names[_token(e.src, e.src_port)])
    outs = [names[f"{use.id}:{p}"] for p in definition.output_ports()]
    label = cg._str(use.name) if prefix is None else f"_name({prefix}, {cg._str(use.name)})"
    repeat = int(use.params.get("repeat", 1))
    if repeat == 1:
        return cg._call_text(f"{indent}{', '.join(outs)} = ", fn, [*args, label], "").split("\n")
    copy_label = (
        f'f"{use.name}_{{i + 1}}"'
        if prefix is None and _plain(use.name)
        else f'{label} + f"_{{i + 1}}"'
    )
    body = cg._call_text(f"{indent}{cg.INDENT}{', '.join(outs)} = ", fn, [*outs, copy_label], "")
    return [
        f"{indent}{', '.join(outs)} = {', '.join(args)}",
        f"{indent}for i in range({repeat}):",
        *body.split("\n"),
    ]


def _plain(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9_.\-]+", text)) and not keyword.iskeyword(text)
