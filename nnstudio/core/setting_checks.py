"""The checks of a training setting's value, shared by the training and GAN settings: one
:class:`ConfigError` naming the setting (``training.<name>``) and the rule it breaks."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["ConfigError", "check_number", "check_whole"]


class ConfigError(ValueError):
    """A training setting that cannot be used; ``field`` names it (``training.<field>``)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"training.{field_name}: {message}")
        self.field = field_name


def check_whole(name: str, value: Any, low: int, high: int) -> None:
    """``value`` is an int (not a bool) in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(name, f"a whole number from {low} to {high}; got {value!r}")


def check_number(
    name: str,
    value: Any,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """``value`` is a real number (not a bool, not NaN) within the bounds, each open or closed."""
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ConfigError(name, f"a number; got {value!r}")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ConfigError(name, f"must lie in {left}{low:g}, {high:g}{right}; got {value!r}")
