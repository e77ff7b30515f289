"""TrainingConfig: JSON round trip, defaults, located errors; optimizers and schedules."""

from __future__ import annotations

import pytest

from nnstudio.core.training.config import (
    ConfigError,
    TrainingConfig,
    metric_mode,
    suggest_loss_and_metrics,
)


def test_round_trip_keeps_values_and_unknown_keys() -> None:
    config = TrainingConfig(
        optimizer="sgd",
        momentum=0.8,
        nesterov=True,
        schedule="cosine",
        batch_size=64,
        epochs=7,
        early_stopping=True,
        monitor="val_accuracy",
        class_weight={"0": 1.0, "2": 3.5},
        seed=None,
        device="gpu:1",
    )
    data = config.to_json()
    data["future_option"] = {"x": 1}
    again = TrainingConfig.from_json(data)
    assert again.to_json() == data
    assert again.class_weight == {"0": 1.0, "2": 3.5}
    assert again.extra == {"future_option": {"x": 1}}


def test_missing_keys_take_defaults() -> None:
    assert TrainingConfig.from_json({}) == TrainingConfig()
    assert TrainingConfig.from_json(None) == TrainingConfig()
    assert TrainingConfig.from_json({"epochs": 3}).epochs == 3


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"optimizer": "adadelta"}, "optimizer", "one of sgd, adam"),
        ({"learning_rate": 0}, "learning_rate", "(0, 10]"),
        ({"learning_rate": float("nan")}, "learning_rate", "a number"),
        ({"batch_size": 0}, "batch_size", "whole number from 1"),
        ({"epochs": 2.5}, "epochs", "whole number"),
        ({"nesterov": "yes"}, "nesterov", "true or false"),
        ({"device": "tpu"}, "device", "auto, cpu or gpu:N"),
        ({"class_weight": "heavy"}, "class_weight", "none, balanced"),
        ({"class_weight": {"a": 1.0}}, "class_weight", "class indices"),
        ({"probe_budget": 0.9}, "probe_budget", "[0, 0.5]"),
        ({"momentum": 1.0}, "momentum", "[0, 1)"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(changes, field, words) -> None:
    data = {**TrainingConfig().to_json(), **changes}
    with pytest.raises(ConfigError) as info:
        TrainingConfig.from_json(data)
    assert info.value.field == field
    assert str(info.value).startswith(f"training.{field}: ")
    assert words in str(info.value)


def test_not_an_object_is_refused() -> None:
    with pytest.raises(ConfigError, match="expected an object"):
        TrainingConfig.from_json([1, 2])


def test_metric_modes_and_suggestions() -> None:
    assert metric_mode("val_loss") == "min" and metric_mode("mae") == "min"
    assert metric_mode("val_accuracy") == "max" and metric_mode("auc") == "max"
    assert metric_mode("val_mean_squared_error") == "min"
    assert suggest_loss_and_metrics("classification", 10) == (
        "sparse_categorical_crossentropy",
        ["accuracy"],
    )
    assert suggest_loss_and_metrics("classification", 1)[0] == "binary_crossentropy"
    assert (
        suggest_loss_and_metrics("classification", 4, one_hot=True)[0] == "categorical_crossentropy"
    )
    assert suggest_loss_and_metrics("regression", 2) == ("mse", ["mae"])


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam"])
def test_every_optimizer_is_built(name) -> None:
    from nnstudio.core.training.optimizers import current_learning_rate, make_optimizer

    opt = make_optimizer(
        TrainingConfig(
            optimizer=name, learning_rate=0.02, momentum=0.5, nesterov=True, weight_decay=0.1
        )
    )
    assert type(opt).__name__.lower() == name
    assert current_learning_rate(opt) == pytest.approx(0.02)
    if name == "sgd":
        assert opt.momentum == 0.5 and opt.nesterov
    if name == "adamw":
        assert opt.weight_decay == pytest.approx(0.1)


def test_plateau_schedule_gives_a_callback_watching_the_right_metric() -> None:
    from nnstudio.core.training.optimizers import make_learning_rate, plateau_callback

    config = TrainingConfig(schedule="plateau", decay_factor=0.2, plateau_patience=4)
    assert make_learning_rate(config, 10) == pytest.approx(config.learning_rate)
    cb = plateau_callback(config, has_validation=False)
    assert cb.monitor == "loss" and cb.factor == pytest.approx(0.2) and cb.patience == 4
    assert plateau_callback(config, has_validation=True).monitor == "val_loss"
    assert plateau_callback(TrainingConfig(), True) is None
