"""Errors raised by model import: each carries the list of problems it found."""

from __future__ import annotations

from collections.abc import Sequence


class ModelImportError(ValueError):
    """A model file or object that cannot be imported; ``problems`` lists every reason."""

    def __init__(self, summary: str, problems: Sequence[str] = ()) -> None:
        self.summary = summary
        self.problems = list(problems)
        text = summary
        if self.problems:
            shown = self.problems[:25]
            text += "\n" + "\n".join(f"- {p}" for p in shown)
            if len(self.problems) > len(shown):
                text += f"\n… and {len(self.problems) - len(shown)} more"
        super().__init__(text)


class UnsafeModelError(ModelImportError):
    """The file holds something that would run code or exhaust memory: refused unread."""


class UnsupportedModelError(ModelImportError):
    """A plain Keras model that uses layers or settings NN Studio cannot represent."""
