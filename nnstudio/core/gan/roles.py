"""The two regions of a GAN graph and the issues between them, located on the nodes.

A GAN project's graph has two weakly connected components: the generator (a latent Input,
optionally a class-label Input, to the generated sample) and the discriminator (a
sample-shaped Input, optionally a class-label Input, to one logit).  :func:`split_roles`
finds them (node names from :class:`~nnstudio.core.gan.config.GanConfig` win; unset roles
are detected); :func:`gan_issues` lists what stands in the way of training, as
:class:`~nnstudio.core.graph.validation.Issue` s with codes ``gan-*``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nnstudio.core.gan.config import GanConfig
from nnstudio.core.graph.model import Graph, OutputDecl
from nnstudio.core.graph.validation import Issue


@dataclass(frozen=True)
class GanRoles:
    """Node ids of the two regions and their ends (``*_label``: ``None`` unless conditional)."""

    generator: tuple[str, ...]
    discriminator: tuple[str, ...]
    latent: str
    generator_output: str
    discriminator_input: str
    discriminator_output: str
    label: str | None = None
    discriminator_label: str | None = None

    @property
    def conditional(self) -> bool:
        """True for a conditional GAN (both networks take the class label)."""
        return self.label is not None

    def to_json(self, graph: Graph) -> dict[str, Any]:
        """Node names of every role, and the member names of each region."""

        def name(nid: str | None) -> str | None:
            return graph.nodes[nid].name if nid is not None else None

        return {
            "generator": [name(n) for n in self.generator],
            "discriminator": [name(n) for n in self.discriminator],
            "latent_input": name(self.latent),
            "label_input": name(self.label),
            "generator_output": name(self.generator_output),
            "discriminator_input": name(self.discriminator_input),
            "discriminator_label_input": name(self.discriminator_label),
            "discriminator_output": name(self.discriminator_output),
        }


def _issue(node: str | None, message: str, code: str, hint: str = "") -> Issue:
    return Issue("error", node, message, hint=hint, code=code)


def components(graph: Graph) -> list[list[str]]:
    """The weakly connected components, each in graph order, in order of first node."""
    import networkx as nx

    order = {nid: i for i, nid in enumerate(graph.nodes)}
    comps = [
        sorted(c, key=order.__getitem__)
        for c in nx.weakly_connected_components(graph.to_networkx())
    ]
    return sorted(comps, key=lambda c: order[c[0]])


def _shape(graph: Graph, nid: str, shapes: Mapping[str, Any] | None) -> tuple[Any, ...] | None:
    """The node's output shape without the batch axis (an Input's from its params)."""
    node = graph.nodes[nid]
    if node.spec.is_input:
        shape = node.params.get("shape")
        return tuple(shape) if isinstance(shape, list | tuple) else None
    inferred = (shapes or {}).get(nid)
    shape = getattr(inferred, "shape", None)
    return tuple(shape)[1:] if shape is not None else None


def _units(graph: Graph, nid: str, shapes: Mapping[str, Any] | None) -> int | None:
    shape = _shape(graph, nid, shapes)
    if shape is not None:
        return int(shape[-1]) if len(shape) == 1 and shape[-1] is not None else -1
    node = graph.nodes[nid]
    units = node.params.get("units")
    return units if node.key == "Dense" and isinstance(units, int) else None


def _sink(graph: Graph, comp: list[str]) -> str | None:
    """The component's declared output, else its one node without outgoing edges."""
    members = set(comp)
    declared = [o.node for o in graph.outputs if o.node in members]
    if len(declared) == 1:
        return declared[0]
    sinks = [n for n in comp if not graph.out_edges(n)]
    return sinks[0] if len(sinks) == 1 else None


def _inputs(graph: Graph, comp: list[str]) -> list[str]:
    return [n for n in comp if graph.nodes[n].spec.is_input]


def _is_label(graph: Graph, nid: str) -> bool:
    node = graph.nodes[nid]
    dtype = str(node.params.get("dtype", "float32"))
    return dtype.startswith(("int", "uint")) or "label" in node.name.lower()


def _by_name(graph: Graph, config: GanConfig, issues: list[Issue]) -> dict[str, str]:
    """The roles the config names, as node ids (a missing name is an issue)."""
    named: dict[str, str] = {}
    for role in (
        "latent_input",
        "label_input",
        "generator_output",
        "discriminator_input",
        "discriminator_label_input",
        "discriminator_output",
    ):
        name = getattr(config, role)
        if name is None:
            continue
        node = graph.node_by_name(name)
        if node is None:
            issues.append(
                _issue(
                    None,
                    f"GAN {role.replace('_', ' ')}: no node is named '{name}'",
                    "gan-role-missing",
                    "Choose the node in the GAN settings.",
                )
            )
        else:
            named[role] = node.id
    return named


def split_roles(
    graph: Graph, config: GanConfig, shapes: Mapping[str, Any] | None = None
) -> tuple[GanRoles | None, list[Issue]]:
    """The generator and discriminator of ``graph`` (``None`` when they cannot be told
    apart) and the issues found on the way.  ``shapes``: a check's per-node shapes, which
    make the detection surer (without them Input params and Dense units are used)."""
    issues: list[Issue] = []
    if not graph.nodes:
        return None, [_issue(None, "A GAN needs a generator and a discriminator.", "gan-roles")]
    named = _by_name(graph, config, issues)
    comps = components(graph)
    comp_of = {n: i for i, c in enumerate(comps) for n in c}
    disc_i = _find_discriminator(graph, comps, comp_of, named, shapes)
    if disc_i is None:
        issues.append(
            _issue(
                None,
                "A GAN needs two separate networks: a generator and a discriminator that ends "
                "in one unit.",
                "gan-roles",
                "Build the discriminator as its own graph from a sample-shaped Input to a "
                "Dense(1), or name the roles in the GAN settings.",
            )
        )
        return None, issues
    gen_i = _find_generator(graph, comps, comp_of, named, disc_i)
    if gen_i is None:
        issues.append(
            _issue(
                None,
                "A GAN needs a generator: a graph from a latent (noise) Input to a sample.",
                "gan-roles",
                "Add an Input of the latent size and layers up to the sample shape.",
            )
        )
        return None, issues
    gen, disc = comps[gen_i], comps[disc_i]
    roles = _ends(graph, gen, disc, named, issues)
    return roles, issues


def _find_discriminator(
    graph: Graph,
    comps: list[list[str]],
    comp_of: dict[str, int],
    named: dict[str, str],
    shapes: Mapping[str, Any] | None,
) -> int | None:
    for role in ("discriminator_output", "discriminator_input"):
        if role in named:
            return comp_of[named[role]]
    candidates = []
    for i, comp in enumerate(comps):
        sink = _sink(graph, comp)
        if sink is not None and _inputs(graph, comp) and _units(graph, sink, shapes) == 1:
            candidates.append(i)
    if len(candidates) > 1:  # prefer the one whose input is not a flat latent vector
        ranked = [
            i
            for i in candidates
            if any(len(_shape(graph, n, shapes) or ()) > 1 for n in _inputs(graph, comps[i]))
        ]
        candidates = ranked or candidates[-1:]
    return candidates[0] if candidates else None


def _find_generator(
    graph: Graph,
    comps: list[list[str]],
    comp_of: dict[str, int],
    named: dict[str, str],
    disc_i: int,
) -> int | None:
    for role in ("latent_input", "generator_output", "label_input"):
        if role in named:
            return comp_of[named[role]]
    others = [i for i, c in enumerate(comps) if i != disc_i and _inputs(graph, c)]
    return others[0] if others else None


def _ends(
    graph: Graph, gen: list[str], disc: list[str], named: dict[str, str], issues: list[Issue]
) -> GanRoles | None:
    """The four ends (and labels) of the two regions; issues for what is ambiguous."""
    gen_inputs = _inputs(graph, gen)
    latent = named.get("latent_input") or next(
        (n for n in gen_inputs if not _is_label(graph, n)), None
    )
    label = named.get("label_input") or next(
        (n for n in gen_inputs if n != latent and _is_label(graph, n)), None
    )
    gen_out = named.get("generator_output") or _sink(graph, gen)
    disc_inputs = _inputs(graph, disc)
    disc_in = named.get("discriminator_input") or next(
        (n for n in disc_inputs if not _is_label(graph, n)), None
    )
    disc_label = named.get("discriminator_label_input") or next(
        (n for n in disc_inputs if n != disc_in and _is_label(graph, n)), None
    )
    disc_out = named.get("discriminator_output") or _sink(graph, disc)
    missing = [
        (latent, gen[0], "the generator's latent (noise) Input"),
        (gen_out, gen[-1], "the generator's output (one node that ends the generator)"),
        (disc_in, disc[0], "the discriminator's sample Input"),
        (disc_out, disc[-1], "the discriminator's output (one node that ends it)"),
    ]
    for value, where, what in missing:
        if value is None:
            issues.append(
                _issue(
                    where,
                    f"GAN: cannot tell {what}",
                    "gan-role-missing",
                    "Name it in the GAN settings.",
                )
            )
    if (label is None) != (disc_label is None):
        at = label or disc_label
        issues.append(
            _issue(
                at,
                "A conditional GAN feeds the class label to both networks: only one has a "
                "label Input",
                "gan-label",
            )
        )
    if latent is None or gen_out is None or disc_in is None or disc_out is None:
        return None
    return GanRoles(tuple(gen), tuple(disc), latent, gen_out, disc_in, disc_out, label, disc_label)


def gan_issues(
    graph: Graph, config: GanConfig, shapes: Mapping[str, Any] | None = None
) -> list[Issue]:
    """Every GAN issue of ``graph``: missing roles, the generator's output shape against
    the discriminator's input shape, the discriminator's one unit, extra components."""
    roles, issues = split_roles(graph, config, shapes)
    if roles is None:
        return issues
    gen_shape = _shape(graph, roles.generator_output, shapes)
    disc_shape = _shape(graph, roles.discriminator_input, shapes)
    if gen_shape is not None and disc_shape is not None and gen_shape != disc_shape:
        text = (
            f"The generator makes samples of shape {_dims(gen_shape)} but the discriminator "
            f"takes {_dims(disc_shape)}"
        )
        hint = "Make the generator's output and the discriminator's Input the same shape."
        issues.append(_issue(roles.generator_output, text, "gan-sample-shape", hint))
        issues.append(_issue(roles.discriminator_input, text, "gan-sample-shape", hint))
    units = _units(graph, roles.discriminator_output, shapes)
    if units is not None and units != 1:
        issues.append(
            _issue(
                roles.discriminator_output,
                "The discriminator must end in one unit (one logit per sample)",
                "gan-discriminator-units",
                "End the discriminator with Dense(1) and no activation.",
            )
        )
    if roles.latent and len(_shape(graph, roles.latent, shapes) or ()) != 1:
        issues.append(
            _issue(
                roles.latent,
                "The latent Input must be a flat vector (shape (latent size,))",
                "gan-latent-shape",
            )
        )
    used = set(roles.generator) | set(roles.discriminator)
    stray = [n for n in graph.nodes if n not in used]
    if stray:
        issues.append(
            Issue(
                "warning",
                stray[0],
                f"{len(stray)} node(s) belong to neither the generator nor the discriminator",
                code="gan-stray",
            )
        )
    return issues


def _dims(shape: tuple[Any, ...]) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


def subgraph(graph: Graph, node_ids: tuple[str, ...] | list[str], outputs: list[str]) -> Graph:
    """The nodes ``node_ids`` of ``graph`` (same ids and names) with the edges between them,
    declaring ``outputs`` (keeping their loss settings when ``graph`` declares them)."""
    members = set(node_ids)
    sub = Graph()
    sub.nodes = {nid: graph.nodes[nid].copy() for nid in graph.nodes if nid in members}
    sub.edges = [e for e in graph.edges if e.src in members and e.dst in members]
    decls = []
    for nid in outputs:
        decl = graph.output_decl(nid)
        decls.append(decl.copy() if decl is not None else OutputDecl(nid))
    sub.outputs = decls
    sub._next_id = graph._next_id
    return sub


def gan_project_issues(project: Any, shapes: Mapping[str, Any] | None = None) -> list[Issue]:
    """The GAN issues of a project (``[]`` for an ordinary one)."""
    gan = getattr(project.training, "gan", None)
    if gan is None:
        return []
    if shapes is None and "keras" in sys.modules:  # never the first Keras import
        from nnstudio.core.graph.shapes import ShapeInference

        shapes = ShapeInference().infer(project.graph).nodes
    return gan_issues(project.graph, gan, shapes)
