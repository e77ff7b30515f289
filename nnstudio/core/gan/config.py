"""GanConfig: how a GAN project trains, stored as ``TrainingConfig.gan`` (``None``: no GAN).

The roles name nodes of the project's one graph (by node name); a role left unset is found
by :func:`nnstudio.core.gan.roles.split_roles`.  Errors raise
:class:`~nnstudio.core.training.config.ConfigError` located as ``training.gan.<field>``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from nnstudio.core.setting_checks import ConfigError, check_number, check_whole

MODES = {"standard": "Standard (non-saturating)", "wgan-gp": "WGAN-GP"}
ROLE_FIELDS = (
    "latent_input",
    "label_input",
    "generator_output",
    "discriminator_input",
    "discriminator_label_input",
    "discriminator_output",
)
MAX_GRID = 16
MAX_CRITIC_STEPS = 20


def _error(name: str, message: str) -> Exception:
    return ConfigError(f"gan.{name}", message)


@dataclass
class GanOptimizer:
    """Adam settings of one of the two networks (DCGAN defaults: 2e-4, 0.5, 0.999)."""

    learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999

    def validate(self, prefix: str) -> None:
        """Raise ``ConfigError`` naming ``<prefix>.<field>`` for a bad value."""
        check_number(f"gan.{prefix}.learning_rate", self.learning_rate, 0.0, 10.0, low_open=True)
        check_number(f"gan.{prefix}.beta_1", self.beta_1, 0.0, 1.0, high_open=True)
        check_number(f"gan.{prefix}.beta_2", self.beta_2, 0.0, 1.0, high_open=True)

    def to_json(self) -> dict[str, float]:
        """Plain JSON."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any, prefix: str) -> GanOptimizer:
        """Read :meth:`to_json` output (missing keys take defaults)."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise _error(prefix, f"expected an object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        out = cls(**{k: v for k, v in data.items() if k in known})
        out.validate(prefix)
        return out


@dataclass
class GanConfig:
    """The GAN settings of a project.

    ``mode``: ``"standard"`` (non-saturating loss) or ``"wgan-gp"`` (``critic_steps``
    discriminator steps per generator step, gradient penalty weighted ``gp_weight``).
    ``generator`` / ``discriminator``: each network's Adam settings.  The role fields name
    nodes (``None``: detected).  ``grid``: the sample grid is ``grid`` x ``grid`` images of a
    fixed noise batch drawn with ``noise_seed``.  ``sample_every``: epochs between grids.
    """

    mode: str = "standard"
    critic_steps: int = 5
    gp_weight: float = 10.0
    generator: GanOptimizer = field(default_factory=GanOptimizer)
    discriminator: GanOptimizer = field(default_factory=GanOptimizer)
    latent_input: str | None = None
    label_input: str | None = None
    generator_output: str | None = None
    discriminator_input: str | None = None
    discriminator_label_input: str | None = None
    discriminator_output: str | None = None
    grid: int = 8
    noise_seed: int = 1234
    sample_every: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    @property
    def is_wgan(self) -> bool:
        """True in WGAN-GP mode."""
        return self.mode == "wgan-gp"

    @property
    def samples(self) -> int:
        """Images in the sample grid."""
        return self.grid * self.grid

    def validate(self) -> None:
        """Raise ``ConfigError`` (``training.gan.<field>``) for the first bad setting."""
        if self.mode not in MODES:
            raise _error("mode", f"one of {', '.join(MODES)}; got {self.mode!r}")
        check_whole("gan.critic_steps", self.critic_steps, 1, MAX_CRITIC_STEPS)
        check_number("gan.gp_weight", self.gp_weight, 0.0, 1e4)
        for name in ("generator", "discriminator"):
            opt = getattr(self, name)
            if not isinstance(opt, GanOptimizer):
                raise _error(name, "expected the optimizer settings")
            opt.validate(name)
        for name in ROLE_FIELDS:
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise _error(name, f"a node name or null; got {value!r}")
        check_whole("gan.grid", self.grid, 1, MAX_GRID)
        check_whole("gan.noise_seed", self.noise_seed, 0, 2**32 - 1)
        check_whole("gan.sample_every", self.sample_every, 1, 10_000)
        if not isinstance(self.extra, dict):
            raise _error("extra", "must be an object")

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (unknown keys read earlier are written back)."""
        out: dict[str, Any] = dict(self.extra)
        for f in dataclasses.fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            out[f.name] = value.to_json() if isinstance(value, GanOptimizer) else value
        return out

    @classmethod
    def from_json(cls, data: Any) -> GanConfig:
        """Read :meth:`to_json` output; missing keys take defaults; bad values raise
        ``ConfigError`` located as ``training.gan.<field>``."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise _error("", f"expected an object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        kwargs = {k: v for k, v in data.items() if k in known}
        for name in ("generator", "discriminator"):
            kwargs[name] = GanOptimizer.from_json(kwargs.get(name), name)
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**kwargs, extra=extra)

    def replace(self, **changes: Any) -> GanConfig:
        """A checked copy with some settings changed."""
        return dataclasses.replace(self, **changes)
