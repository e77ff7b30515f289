"""Exceptions of the data layer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nnstudio.core.data.report import Report


class DataError(Exception):
    """A blocking problem with the data, in plain words, with where it is.

    ``location`` names the file, line, column, image or array at fault (or is
    ``None`` for problems of the whole source); ``report`` carries the full
    inspection report when the error comes from one.
    """

    def __init__(self, message: str, location: str | None = None, report: Report | None = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.report = report

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.location, self.report))


class Cancelled(Exception):
    """The caller asked a scan or a preparation to stop."""

    def __init__(self, message: str = "cancelled"):
        super().__init__(message)
