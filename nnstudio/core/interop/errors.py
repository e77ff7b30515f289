"""Errors raised by model import: each carries the list of problems it found."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager


class ModelImportError(ValueError):
    """A model file or object that cannot be imported; ``problems`` lists every reason.

    ``unexpected`` names the Python exception an entry point caught as a last resort (a
    reader that failed to check what it read); ``None`` for every error raised on purpose.
    """

    def __init__(
        self, summary: str, problems: Sequence[str] = (), unexpected: str | None = None
    ) -> None:
        self.summary = summary
        self.unexpected = unexpected
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


@contextmanager
def reading_untrusted(where: str) -> Iterator[None]:
    """Entry points of import: any failure to read ``where`` becomes a
    :class:`ModelImportError` naming it (never a traceback)."""
    try:
        yield
    except ModelImportError:
        raise
    except RecursionError:
        raise UnsafeModelError(f"{where}: the model config is nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 - the last line of defence for a damaged file
        text = " ".join(str(exc).split())[:200]
        raise ModelImportError(
            f"{where}: the file is damaged or not a Keras model ({type(exc).__name__}: {text})",
            unexpected=type(exc).__name__,
        ) from None
