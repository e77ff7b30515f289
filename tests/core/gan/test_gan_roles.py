"""The split of a GAN graph into generator and discriminator, and the GAN issues."""

from __future__ import annotations

import pytest

from nnstudio.core.gan.config import GanConfig
from nnstudio.core.gan.roles import gan_issues, split_roles, subgraph
from nnstudio.core.gan.template import dcgan
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.project import Project, project_issues


def _mlp_gan(sample: int = 8, disc_in: int = 8, disc_units: int = 1) -> GraphBuilder:
    b = GraphBuilder()
    z = b.add("Input", name="z", shape=(4,))
    g = b.add("Dense", z, name="g_hidden", units=16, activation="relu")
    g = b.add("Dense", g, name="fake", units=sample, activation="sigmoid")
    b.output(g)
    x = b.add("Input", name="x", shape=(disc_in,))
    d = b.add("Dense", x, name="d_hidden", units=16, activation="relu")
    d = b.add("Dense", d, name="score", units=disc_units)
    b.output(d)
    return b


def _names(graph, ids) -> list[str]:
    return [graph.nodes[n].name for n in ids]


@pytest.fixture(scope="module")
def dcgan_shapes():
    from nnstudio.core.graph import check_graph

    graph = dcgan().graph
    return graph, check_graph(graph).shapes


def test_the_dcgan_template_splits_into_its_two_networks(dcgan_shapes) -> None:
    graph, shapes = dcgan_shapes
    for given in (shapes, None):  # detected with and without inferred shapes
        roles, issues = split_roles(graph, GanConfig(), given)
        assert issues == [] and roles is not None
        named = roles.to_json(graph)
        assert named["latent_input"] == "noise" and named["generator_output"] == "generated"
        assert named["discriminator_input"] == "sample"
        assert named["discriminator_output"] == "real_or_fake"
        assert "up_28" in named["generator"] and "d_conv_1" in named["discriminator"]
        assert not set(named["generator"]) & set(named["discriminator"])
    assert gan_issues(graph, GanConfig(), shapes) == []


def test_a_sample_shape_mismatch_is_located_on_both_ends() -> None:
    from nnstudio.core.graph import check_graph

    graph = _mlp_gan(sample=8, disc_in=9).graph
    # the generator's output shape needs inference: a check's shapes give it

    issues = gan_issues(graph, GanConfig(), check_graph(graph).shapes)
    shape_issues = [i for i in issues if i.code == "gan-sample-shape"]
    assert {graph.nodes[i.node].name for i in shape_issues} == {"fake", "x"}
    assert "(8)" in shape_issues[0].message and "(9)" in shape_issues[0].message


def test_the_discriminator_must_end_in_one_unit_and_roles_can_be_named() -> None:
    graph = _mlp_gan(disc_units=3).graph
    roles, issues = split_roles(graph, GanConfig())
    assert roles is None and issues[0].code == "gan-roles"  # nothing ends in one unit
    cfg = GanConfig(discriminator_output="score", latent_input="z")
    issues = gan_issues(graph, cfg)
    units = [i for i in issues if i.code == "gan-discriminator-units"]
    assert len(units) == 1 and graph.nodes[units[0].node].name == "score"
    missing = gan_issues(graph, GanConfig(discriminator_output="nope"))
    assert any(i.code == "gan-role-missing" and "'nope'" in i.message for i in missing)


def test_subgraph_keeps_ids_names_and_only_inner_edges() -> None:
    graph = _mlp_gan().graph
    roles, _ = split_roles(graph, GanConfig())
    sub = subgraph(graph, roles.generator, [roles.generator_output])
    assert _names(sub, sub.nodes) == ["z", "g_hidden", "fake"]
    assert all(e.src in sub.nodes and e.dst in sub.nodes for e in sub.edges)
    assert [o.node for o in sub.outputs] == [roles.generator_output]


def test_project_issues_carry_the_gan_issues_only_for_a_gan_project() -> None:
    graph = _mlp_gan(disc_units=3).graph
    project = Project(graph=graph, name="g")
    assert project_issues(project) == []
    project.training = {"gan": {"discriminator_output": "score"}}
    codes = [i.code for i in project_issues(project)]
    assert "gan-discriminator-units" in codes


def test_the_template_places_the_generator_above_the_discriminator() -> None:
    from nnstudio.core.graph.model import NODE_H
    from nnstudio.core.templates import build_template

    graph = build_template("dcgan").graph
    roles, _ = split_roles(graph, GanConfig())
    gen_bottom = max(graph.nodes[n].pos[1] for n in roles.generator) + NODE_H
    disc_top = min(graph.nodes[n].pos[1] for n in roles.discriminator)
    assert disc_top - gen_bottom >= 100  # room for both frames and the lower one's title
