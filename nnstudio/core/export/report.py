"""What an export produced: one :class:`FormatResult` per format, with its verification."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ExportError(Exception):
    """An export that cannot be made or failed; the message says why in one line."""


@dataclass
class Verification:
    """The export reloaded with its own runtime and compared with the in-app model.

    ``max_abs_diff`` is the largest absolute difference over every output on the sample
    batch (``per_output`` by output name).  ``tolerance`` is ``None`` for quantized formats,
    which are not held to float agreement; for those ``accuracy`` (or ``mae`` for
    regression) on the validation split is reported beside the in-app model's
    ``reference_accuracy`` (``reference_mae``).
    """

    runtime: str
    samples: int
    max_abs_diff: float
    per_output: dict[str, float]
    tolerance: float | None
    seconds: float = 0.0
    accuracy: float | None = None
    reference_accuracy: float | None = None
    mae: float | None = None
    reference_mae: float | None = None
    validation_samples: int = 0
    note: str = ""

    @property
    def passed(self) -> bool:
        """Within tolerance (always true for quantized formats, which report instead)."""
        return self.tolerance is None or self.max_abs_diff <= self.tolerance

    def to_json(self) -> dict[str, Any]:
        """JSON data (for the model card and ``--json`` output)."""
        out: dict[str, Any] = {
            "runtime": self.runtime,
            "samples": self.samples,
            "max_abs_diff": _finite_or_none(self.max_abs_diff),
            "per_output": {k: _finite_or_none(v) for k, v in self.per_output.items()},
            "tolerance": self.tolerance,
            "passed": self.passed,
            "seconds": round(self.seconds, 3),
        }
        for key in ("accuracy", "reference_accuracy", "mae", "reference_mae"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.validation_samples:
            out["validation_samples"] = self.validation_samples
        if self.note:
            out["note"] = self.note
        return out

    def summary(self) -> str:
        """One line: the difference and, for quantized formats, the accuracy."""
        text = f"max abs diff {self.max_abs_diff:.2e}"
        if self.tolerance is not None:
            text += " (ok)" if self.passed else f" (over the tolerance {self.tolerance:.0e})"
        if self.accuracy is not None:
            text += (
                f"; validation accuracy {self.accuracy:.2%} (in-app {self.reference_accuracy:.2%})"
            )
        elif self.mae is not None:
            text += f"; validation MAE {self.mae:.4g} (in-app {self.reference_mae:.4g})"
        if self.note:
            text += f"; {self.note}"
        return text


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


@dataclass
class FormatResult:
    """One format's outcome: where it went and how it verified, or why it failed."""

    format: str
    path: Path
    card_path: Path | None = None
    verification: Verification | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Written and verified."""
        return self.error is None and self.verification is not None and self.verification.passed

    def to_json(self) -> dict[str, Any]:
        """JSON data for ``nnstudio export --json``."""
        return {
            "format": self.format,
            "path": str(self.path),
            "ok": self.ok,
            "card": str(self.card_path) if self.card_path else None,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "verification": self.verification.to_json() if self.verification else None,
        }


@dataclass
class ExportReport:
    """All formats of one export, plus warnings that concern the whole model."""

    results: list[FormatResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        """Every format written and verified."""
        return bool(self.results) and all(r.ok for r in self.results) and not self.cancelled

    def to_json(self) -> dict[str, Any]:
        """JSON data."""
        return {
            "ok": self.ok,
            "warnings": list(self.warnings),
            "cancelled": self.cancelled,
            "results": [r.to_json() for r in self.results],
        }
