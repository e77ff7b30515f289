"""What a sweep varies and how: :class:`ParamSpec` (one parameter's values) and
:class:`SweepConfig` (the parameters, the search strategy, the budget, the metric).

A parameter is named ``node.param`` for a layer parameter (``hidden_1.units``) or by the
training setting's own name (``learning_rate``, ``batch_size``, ``optimizer``...).  Its
values are written as in the command line (``NAME=SPEC``):

* ``a,b,c`` — choices (numbers, ``true``/``false``, ``none``, or words);
* ``lo..hi`` — an integer range when both ends are whole numbers, else a float range;
* ``lo..hi:log`` — the same on a log scale.

Parsing checks the form only; :func:`nnstudio.core.sweeps.targets.resolve_specs` checks each
spec against the project (the layer exists, the catalog's type and bounds).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from nnstudio.core.objectives import metric_mode

KINDS = ("choice", "int", "float")
STRATEGIES = ("grid", "random", "bayes")
PRUNERS = ("median", "hyperband", "none")
#: how many values a float range (or a wide int range) takes in a grid
GRID_POINTS = 3
#: the most values an int range gives a grid before it is thinned to GRID_POINTS
GRID_MAX_INTS = 10
#: trials of a random or Bayesian sweep given no budget at all
DEFAULT_TRIALS = 10

_NAME = re.compile(r"^[A-Za-z_][\w\-.]*$")


class SweepError(ValueError):
    """A sweep that cannot run as described; the message names the parameter or setting."""


Value = Any  # None, bool, int, float or str


@dataclass(frozen=True)
class ParamSpec:
    """The values one parameter takes: ``choices`` (kind ``"choice"``), or the range
    ``low..high`` (kind ``"int"`` or ``"float"``, on a log scale when ``log``)."""

    name: str
    kind: str = "choice"
    choices: tuple[Value, ...] = ()
    low: float | None = None
    high: float | None = None
    log: bool = False

    def __post_init__(self) -> None:
        _check(self)

    def to_text(self) -> str:
        """The SPEC form of the command line (``a,b,c``, ``lo..hi``, ``lo..hi:log``)."""
        if self.kind == "choice":
            return ",".join(_value_text(v) for v in self.choices)
        text = f"{_value_text(self.low)}..{_value_text(self.high)}"
        return text + (":log" if self.log else "")

    def to_json(self) -> dict[str, Any]:
        """Plain data (``from_json`` reads it back)."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind == "choice":
            out["choices"] = list(self.choices)
        else:
            out.update(low=self.low, high=self.high, log=self.log)
        return out

    @classmethod
    def from_json(cls, data: Any) -> ParamSpec:
        """Read :meth:`to_json` output (:class:`SweepError` naming what is wrong)."""
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise SweepError("a sweep parameter must be an object with a name")
        try:
            return cls(
                name=data["name"],
                kind=data.get("kind", "choice"),
                choices=tuple(data.get("choices", ())),
                low=data.get("low"),
                high=data.get("high"),
                log=bool(data.get("log", False)),
            )
        except TypeError:
            raise SweepError(f"{data['name']}: unreadable sweep values") from None

    def grid_values(self) -> list[Value]:
        """The values a grid search tries (see :data:`GRID_POINTS`)."""
        if self.kind == "choice":
            return list(self.choices)
        assert self.low is not None and self.high is not None
        if self.kind == "int":
            lo, hi = int(self.low), int(self.high)
            if hi - lo + 1 <= GRID_MAX_INTS and not self.log:
                return list(range(lo, hi + 1))
            points = _points(lo, hi, self.log)
            return sorted({int(round(p)) for p in points})
        return [float(f"{p:.6g}") for p in _points(self.low, self.high, self.log)]


def _points(lo: float, hi: float, log: bool) -> list[float]:
    n = GRID_POINTS
    if log:
        a, b = math.log(lo), math.log(hi)
        return [math.exp(a + (b - a) * i / (n - 1)) for i in range(n)]
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


def _check(spec: ParamSpec) -> None:
    name = spec.name
    if not isinstance(name, str) or not _NAME.match(name):
        raise SweepError(f"{name!r}: a sweep parameter is named node.param or a training setting")
    if spec.kind not in KINDS:
        raise SweepError(f"{name}: kind must be one of {', '.join(KINDS)}; got {spec.kind!r}")
    if spec.kind == "choice":
        if not spec.choices:
            raise SweepError(f"{name}: give at least one value")
        for v in spec.choices:
            if v is not None and not isinstance(v, bool | int | float | str):
                raise SweepError(f"{name}: {v!r} is not a plain value")
        if len(set(map(repr, spec.choices))) != len(spec.choices):
            raise SweepError(f"{name}: a value is given twice")
        return
    lo, hi = spec.low, spec.high
    for end, v in (("low", lo), ("high", hi)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise SweepError(f"{name}: the range's {end} end must be a finite number; got {v!r}")
        if spec.kind == "int" and not float(v).is_integer():
            raise SweepError(f"{name}: an integer range needs whole numbers; got {v!r}")
    assert lo is not None and hi is not None
    if lo >= hi:
        raise SweepError(f"{name}: the range {lo}..{hi} is empty (write lo..hi with lo < hi)")
    if spec.log and lo <= 0:
        raise SweepError(f"{name}: a log range needs a low end above 0; got {lo}")


def _value_text(v: Value) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v) if not v.is_integer() or abs(v) >= 1e16 else f"{v:.1f}"
    return str(v)


def parse_value(text: str) -> Value:
    """One value as written on the command line: a number, a flag, ``none`` or a word."""
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    if re.fullmatch(r"[+-]?\d+", t):
        return int(t)
    try:
        value = float(t)
    except ValueError:
        return t
    return value if math.isfinite(value) else t


def parse_param(text: str) -> ParamSpec:
    """``"NAME=SPEC"`` -> :class:`ParamSpec` (:class:`SweepError` naming what is wrong)."""
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name:
        raise SweepError(f"{text!r}: write NAME=SPEC, e.g. hidden_1.units=16,32,64")
    if not spec:
        raise SweepError(f"{name}: no values after '='")
    log = False
    if spec.endswith(":log"):
        log, spec = True, spec[: -len(":log")].strip()
    if ".." in spec:
        lo_text, _, hi_text = spec.partition("..")
        lo, hi = parse_value(lo_text), parse_value(hi_text)
        for v, t in ((lo, lo_text), (hi, hi_text)):
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise SweepError(f"{name}: {t.strip()!r} is not a number (write lo..hi)")
        kind = "int" if isinstance(lo, int) and isinstance(hi, int) else "float"
        if kind == "float":
            lo, hi = float(lo), float(hi)
        return ParamSpec(name, kind, low=lo, high=hi, log=log)
    if log:
        raise SweepError(f"{name}: ':log' belongs to a range (lo..hi:log)")
    parts = [p for p in (s.strip() for s in spec.split(",")) if p]
    if not parts:
        raise SweepError(f"{name}: no values after '='")
    return ParamSpec(name, "choice", tuple(parse_value(p) for p in parts))


def default_spec(param: Any, current: Value, name: str | None = None) -> ParamSpec:
    """A sensible range for "Sweep this": ``param`` is the catalog's (or the training
    settings') :class:`~nnstudio.core.catalog.spec.Param`, ``current`` its value now.

    Choices and flags: every choice; a whole number: from half to twice the value (a log
    range when that spans a factor of four or more); a number: a tenth to ten times the
    value on a log range, or half to twice it for a share bounded by 1 (a rate).
    """
    name = name or param.name
    kind = param.kind
    if kind == "bool":
        return ParamSpec(name, "choice", (True, False))
    if kind == "choice":
        return ParamSpec(name, "choice", tuple(param.choices or (current,)))
    lo_bound = -math.inf if param.min is None else param.min
    hi_bound = math.inf if param.max is None else param.max
    if kind == "int":
        v = int(current) if isinstance(current, int | float) else int(param.default or 1)
        lo: float
        hi: float
        lo, hi = max(lo_bound, v // 2), min(hi_bound, max(v * 2, v + 2))
        if lo >= hi:
            lo, hi = max(lo_bound, v - 2), min(hi_bound, v + 2)
        if lo >= hi:
            raise SweepError(f"{name}: the parameter allows one value only")
        log = lo >= 1 and hi / lo >= 4
        return ParamSpec(name, "int", low=int(lo), high=int(hi), log=log)
    if kind == "float":
        f = float(current) if isinstance(current, int | float) else float(param.default or 0)
        if hi_bound <= 1 or f <= 0:
            top = min(hi_bound, max(f * 2, 0.5 if hi_bound >= 0.5 else hi_bound))
            low = max(lo_bound, f / 2) if f > 0 else max(lo_bound, 0.0)
            high = top * 0.99 if top == hi_bound and hi_bound != math.inf else top
            return ParamSpec(name, "float", low=float(low), high=float(high))
        lo_f, hi_f = max(lo_bound, f / 10), min(hi_bound, f * 10)
        return ParamSpec(name, "float", low=lo_f, high=hi_f, log=lo_f > 0)
    raise SweepError(f"{name}: a {kind} parameter cannot be swept (only numbers and choices)")


@dataclass(frozen=True)
class SweepConfig:
    """A sweep: its parameters, the search strategy, the budget (``trials`` and/or
    ``time_limit_s``), the metric (its direction read from its name), the sampler's seed,
    the pruner, and the ``epochs``/``batch_size`` every trial trains with (``None``: the
    project's, unless a parameter varies them).  ``evaluate`` also evaluates each trial's
    kept weights (as a plain run does; off by default: it costs a sweep about a tenth of its
    time, and the validation metrics of every epoch are the trial's results anyway)."""

    params: tuple[ParamSpec, ...]
    strategy: str = "random"
    trials: int | None = None
    time_limit_s: float | None = None
    metric: str = "val_loss"
    seed: int = 0
    pruner: str = "median"
    epochs: int | None = None
    batch_size: int | None = None
    evaluate: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", tuple(self.params))
        self.validate()

    def validate(self) -> None:
        """Raise :class:`SweepError` naming the first setting that cannot be used."""
        if not self.params:
            raise SweepError("a sweep needs at least one parameter (--param NAME=SPEC)")
        names = [p.name for p in self.params]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise SweepError(f"{twice[0]}: swept twice")
        if self.strategy not in STRATEGIES:
            raise SweepError(f"strategy: one of {', '.join(STRATEGIES)}; got {self.strategy!r}")
        if self.pruner not in PRUNERS:
            raise SweepError(f"pruner: one of {', '.join(PRUNERS)}; got {self.pruner!r}")
        _whole_or_none("trials", self.trials, 1)
        _whole_or_none("epochs", self.epochs, 1)
        _whole_or_none("batch_size", self.batch_size, 1)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise SweepError(f"seed: a whole number from 0; got {self.seed!r}")
        t = self.time_limit_s
        if t is not None and (
            isinstance(t, bool) or not isinstance(t, int | float) or not t > 0 or math.isinf(t)
        ):
            raise SweepError(f"time limit: a number of seconds above 0; got {t!r}")
        if not isinstance(self.evaluate, bool):
            raise SweepError(f"evaluate: true or false; got {self.evaluate!r}")
        if not isinstance(self.metric, str) or not self.metric:
            raise SweepError("metric: name the metric to optimise, e.g. val_loss")

    @property
    def direction(self) -> Literal["minimize", "maximize"]:
        """``"minimize"`` for loss-like metrics, ``"maximize"`` for accuracy-like ones."""
        return "maximize" if metric_mode(self.metric) == "max" else "minimize"

    def grid_size(self) -> int:
        """The number of points of the full grid."""
        return math.prod(len(p.grid_values()) for p in self.params)

    def budget(self) -> int | None:
        """The number of trials to run (``None``: until the time limit)."""
        if self.strategy == "grid":
            full = self.grid_size()
            return full if self.trials is None else min(self.trials, full)
        if self.trials is None and self.time_limit_s is None:
            return DEFAULT_TRIALS
        return self.trials

    def param(self, name: str) -> ParamSpec:
        """The spec called ``name`` (``KeyError`` if none)."""
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def replace(self, **changes: Any) -> SweepConfig:
        """A checked copy with some fields changed."""
        import dataclasses

        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """Plain data (``from_json`` reads it back; unknown keys survive)."""
        return {
            **self.extra,
            "params": [p.to_json() for p in self.params],
            "strategy": self.strategy,
            "trials": self.trials,
            "time_limit_s": self.time_limit_s,
            "metric": self.metric,
            "seed": self.seed,
            "pruner": self.pruner,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "evaluate": self.evaluate,
        }

    @classmethod
    def from_json(cls, data: Any) -> SweepConfig:
        """Read :meth:`to_json` output (:class:`SweepError` naming what is wrong)."""
        if not isinstance(data, dict):
            raise SweepError("a sweep must be a JSON object")
        params = data.get("params")
        if not isinstance(params, list):
            raise SweepError("params: expected a list")
        known = ("strategy", "trials", "time_limit_s", "metric", "seed", "pruner")
        kwargs = {k: data[k] for k in (*known, "epochs", "batch_size", "evaluate") if k in data}
        extra = {k: v for k, v in data.items() if k not in (*kwargs, "params")}
        return cls(params=tuple(ParamSpec.from_json(p) for p in params), **kwargs, extra=extra)

    def same_search(self, other: SweepConfig) -> bool:
        """True when ``other`` searches the same space the same way (a resume may change
        the budget only)."""
        keys = ("params", "strategy", "metric", "seed", "pruner", "epochs", "batch_size")
        return all(getattr(self, k) == getattr(other, k) for k in keys)


def _whole_or_none(name: str, value: Any, low: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SweepError(f"{name}: a whole number from {low}; got {value!r}")


def names(specs: Iterable[ParamSpec]) -> list[str]:
    """The names of ``specs``, in order."""
    return [s.name for s in specs]
