"""GanConfig: JSON round trip, located errors, and how TrainingConfig carries it."""

from __future__ import annotations

import pytest

from nnstudio.core.gan.config import GanConfig
from nnstudio.core.training.config import ConfigError, TrainingConfig


def test_round_trip_keeps_every_setting_and_unknown_keys() -> None:
    data = {
        "mode": "wgan-gp",
        "critic_steps": 3,
        "gp_weight": 5.0,
        "generator": {"learning_rate": 1e-4, "beta_1": 0.0, "beta_2": 0.9},
        "discriminator": {"learning_rate": 3e-4, "beta_1": 0.5, "beta_2": 0.99},
        "latent_input": "z",
        "discriminator_output": "logit",
        "grid": 4,
        "noise_seed": 7,
        "future_key": [1, 2],
    }
    cfg = GanConfig.from_json(data)
    assert cfg.is_wgan and cfg.samples == 16 and cfg.generator.beta_2 == 0.9
    assert cfg.extra == {"future_key": [1, 2]}
    again = GanConfig.from_json(cfg.to_json())
    assert again == cfg and again.to_json()["future_key"] == [1, 2]


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"mode": "vanilla"}, "training.gan.mode"),
        ({"critic_steps": 0}, "training.gan.critic_steps"),
        ({"gp_weight": -1}, "training.gan.gp_weight"),
        ({"generator": {"learning_rate": 0}}, "training.gan.generator.learning_rate"),
        ({"discriminator": {"beta_1": 1.0}}, "training.gan.discriminator.beta_1"),
        ({"discriminator": "fast"}, "training.gan.discriminator"),
        ({"latent_input": 3}, "training.gan.latent_input"),
        ({"grid": 99}, "training.gan.grid"),
    ],
)
def test_bad_values_are_refused_with_their_location(data, where) -> None:
    with pytest.raises(ConfigError) as info:
        TrainingConfig.from_json({"gan": data})
    assert str(info.value).startswith(where + ":"), str(info.value)


def test_an_ordinary_project_has_no_gan_key_and_reads_unchanged() -> None:
    plain = TrainingConfig.from_json({"epochs": 3})
    assert plain.gan is None and "gan" not in plain.to_json()
    with_gan = TrainingConfig.from_json({"epochs": 3, "gan": {"grid": 5}})
    assert isinstance(with_gan.gan, GanConfig) and with_gan.gan.grid == 5
    back = TrainingConfig.from_json(with_gan.to_json())
    assert back.gan == with_gan.gan and back.replace(epochs=4).gan == with_gan.gan
