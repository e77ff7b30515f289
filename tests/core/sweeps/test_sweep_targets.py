"""Swept names checked against the project (catalog specs and training settings), and a
trial's values applied to a copy of the project or as edits for "Apply to the project"."""

from __future__ import annotations

import pytest

from nnstudio.core.sweeps import SweepConfig, SweepError, parse_param, trial_changes
from nnstudio.core.sweeps.targets import TrialBuilder, resolve_specs


def _resolve(project, *texts):
    return resolve_specs(project, SweepConfig(tuple(parse_param(t) for t in texts))).params


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("hidden_9.units=8,16", "hidden_9.units: the model has no layer named 'hidden_9'"),
        ("hidden_1.width=8,16", "hidden_1.width: Dense has no parameter 'width'"),
        ("hidden_1.units=0..64", "hidden_1.units: units must be at least 1; got 0"),
        ("hidden_1.activation=relu,sparkle", "hidden_1.activation: activation must be one of"),
        ("hidden_1.activation=1..3", "hidden_1.activation: a range needs a numeric parameter"),
        ("hidden_1.units=8.5..64.0", "hidden_1.units: units is a whole number"),
        ("dropout.rate=0.1..1.5", "dropout.rate: rate must be at most 0.99"),
        ("learning_rate=0..0.1", "learning_rate: learning_rate must be at least"),
        ("optimizer=adam,lion", "optimizer: optimizer must be one of"),
        ("device=cpu,gpu", "device: not a training setting a sweep can vary"),
        ("batch_size=0..8", "batch_size: batch_size must be at least 1"),
    ],
)
def test_a_spec_that_does_not_fit_the_project_names_the_parameter(project, text, why) -> None:
    with pytest.raises(SweepError, match=why.replace(".", r"\.").replace("(", r"\(")):
        _resolve(project, text)


def test_specs_take_the_type_of_their_parameter(project) -> None:
    rate, units, lr = _resolve(
        project, "dropout.rate=0..0.5", "hidden_1.units=16.0,32", "epochs=1,2"
    )
    assert (rate.kind, rate.low, rate.high) == ("float", 0.0, 0.5)
    assert units.choices == (16, 32) and all(type(v) is int for v in units.choices)
    assert lr.choices == (1, 2)


def test_a_trial_is_a_copy_of_the_project_with_its_values(project) -> None:
    config = SweepConfig((parse_param("hidden_1.units=8,16"),), epochs=3)
    builder = TrialBuilder(project, config)
    params = {"hidden_1.units": 8, "dropout.rate": 0.4, "learning_rate": 0.05, "optimizer": "sgd"}
    project_json, training = builder.build(params)
    nodes = {n["name"]: n for n in project_json["graph"]["nodes"]}
    assert nodes["hidden_1"]["params"]["units"] == 8
    assert nodes["dropout"]["params"]["rate"] == 0.4
    assert training["learning_rate"] == 0.05 and training["optimizer"] == "sgd"
    assert training["epochs"] == 3 and project_json["training"] == training
    assert project_json["runs"] == []
    assert project.graph.node_by_name("hidden_1").params["units"] == 64  # untouched


def test_trial_changes_are_validated_edits(project) -> None:
    hidden = project.graph.node_by_name("hidden_1")
    nodes, training = trial_changes(
        project, {"hidden_1.units": 16, "learning_rate": 0.02, "hidden_1.use_bias": False}
    )
    assert nodes == [(hidden.id, "units", 16), (hidden.id, "use_bias", False)]
    assert training == {"learning_rate": 0.02}
    with pytest.raises(SweepError, match="hidden_1.units: units must be at least 1"):
        trial_changes(project, {"hidden_1.units": -3})
    with pytest.raises(SweepError, match="momentum"):
        trial_changes(project, {"momentum": 1.0})
    with pytest.raises(SweepError, match="gone.units: the model has no layer"):
        trial_changes(project, {"gone.units": 3})
