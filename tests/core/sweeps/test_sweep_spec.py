"""Sweep specs: ``NAME=SPEC`` parsing (good and bad), the grid, defaults for "Sweep this",
the config's budget, direction and JSON."""

from __future__ import annotations

import pytest

from nnstudio.core.catalog import get
from nnstudio.core.objectives.settings import BY_NAME
from nnstudio.core.sweeps import ParamSpec, SweepConfig, SweepError, default_spec, parse_param


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hidden_1.units=16,32,64", ParamSpec("hidden_1.units", "choice", (16, 32, 64))),
        ("hidden_1.units=16..128", ParamSpec("hidden_1.units", "int", low=16, high=128)),
        ("dropout.rate=0.1..0.5", ParamSpec("dropout.rate", "float", low=0.1, high=0.5)),
        (
            "learning_rate=1e-4..1e-1:log",
            ParamSpec("learning_rate", "float", low=1e-4, high=0.1, log=True),
        ),
        (" optimizer = adam, sgd ", ParamSpec("optimizer", "choice", ("adam", "sgd"))),
        ("hidden_1.use_bias=true,false", ParamSpec("hidden_1.use_bias", "choice", (True, False))),
        ("dropout.seed=none,3", ParamSpec("dropout.seed", "choice", (None, 3))),
    ],
)
def test_a_spec_is_parsed_and_written_back(text, expected) -> None:
    spec = parse_param(text)
    assert spec == expected
    assert parse_param(f"{spec.name}={spec.to_text()}") == spec
    assert ParamSpec.from_json(spec.to_json()) == spec


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("hidden_1.units", "write NAME=SPEC"),
        ("=1,2", "write NAME=SPEC"),
        ("hidden_1.units=", "no values"),
        ("hidden_1.units=64..16", "hidden_1.units: the range 64..16 is empty"),
        ("hidden_1.units=a..9", "hidden_1.units: 'a' is not a number"),
        ("learning_rate=0..1:log", "learning_rate: a log range needs a low end above 0"),
        ("optimizer=adam,sgd:log", "optimizer: ':log' belongs to a range"),
        ("hidden_1.units=16,16", "hidden_1.units: a value is given twice"),
        ("9x.units=1,2", "named node.param"),
        ("learning_rate=1..inf", "learning_rate: 'inf' is not a number"),
    ],
)
def test_a_bad_spec_is_refused_naming_the_parameter(text, why) -> None:
    with pytest.raises(SweepError, match=why.replace(".", r"\.").replace("(", r"\(")):
        parse_param(text)


def test_grid_values_of_each_kind() -> None:
    assert parse_param("a.b=1..4").grid_values() == [1, 2, 3, 4]
    assert parse_param("a.b=1..100").grid_values() == [1, 50, 100]
    assert parse_param("a.b=1..100:log").grid_values() == [1, 10, 100]
    assert parse_param("lr=1e-3..1e-1:log").grid_values() == pytest.approx([1e-3, 1e-2, 1e-1])
    assert parse_param("a.b=x,y").grid_values() == ["x", "y"]


def test_default_specs_for_sweep_this() -> None:
    dense = get("Dense")
    units = default_spec(dense.param("units"), 64, name="hidden_1.units")
    assert (units.name, units.kind, units.low, units.high, units.log) == (
        "hidden_1.units",
        "int",
        32,
        128,
        True,  # a factor of four: a log range
    )
    assert default_spec(dense.param("use_bias"), True).choices == (True, False)
    activation = default_spec(dense.param("activation"), "relu")
    assert activation.kind == "choice" and "relu" in activation.choices
    lr = default_spec(BY_NAME["learning_rate"].param, 1e-3)
    assert lr.log and lr.low == pytest.approx(1e-4) and lr.high == pytest.approx(1e-2)
    rate = default_spec(get("Dropout").param("rate"), 0.2)
    assert rate.kind == "float" and not rate.log and 0 < rate.low < 0.2 < rate.high < 1
    with pytest.raises(SweepError, match="cannot be swept"):
        default_spec(get("Input").param("shape"), (4,))


def test_a_config_reads_its_budget_and_direction() -> None:
    grid = SweepConfig((parse_param("a.b=1,2,3"), parse_param("lr=0.1..1")), strategy="grid")
    assert grid.grid_size() == 9 and grid.budget() == 9
    assert grid.replace(trials=4).budget() == 4
    assert SweepConfig(grid.params).budget() == 10  # random, no budget: the default
    assert SweepConfig(grid.params, time_limit_s=60).budget() is None
    assert SweepConfig(grid.params).direction == "minimize"
    assert SweepConfig(grid.params, metric="val_accuracy").direction == "maximize"
    config = SweepConfig(grid.params, strategy="bayes", trials=5, seed=3, pruner="hyperband")
    assert SweepConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"params": ()}, "at least one parameter"),
        ({"strategy": "anneal"}, "strategy"),
        ({"pruner": "asha"}, "pruner"),
        ({"trials": 0}, "trials"),
        ({"time_limit_s": -1.0}, "time limit"),
        ({"seed": -2}, "seed"),
        ({"params": (parse_param("a.b=1,2"), parse_param("a.b=3,4"))}, "a.b: swept twice"),
    ],
)
def test_a_bad_config_names_its_setting(changes, why) -> None:
    base = {"params": (parse_param("a.b=1,2"),)}
    with pytest.raises(SweepError, match=why):
        SweepConfig(**{**base, **changes})
