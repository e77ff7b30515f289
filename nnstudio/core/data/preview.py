"""Small previews of a source for the Data panel (Qt-free): the first rows of a
CSV, example files per class of an image folder."""

from __future__ import annotations

import csv
import io
import os

from nnstudio.core.data.report import Report

PREVIEW_BYTES = 256 * 1024


def table_preview(
    report: Report, rows: int = 50, delimiter: str | None = None
) -> tuple[list[str], list[list[str]]]:
    """Column names and the first ``rows`` rows of a CSV as text, read with the
    delimiter, encoding and header the inspection settled on (guessed when the
    inspection stopped early, so a broken file can still be looked at)."""
    details = report.details
    encoding = details.get("encoding") or "utf-8"
    header = bool(details.get("header", True))
    try:
        with open(report.path, "rb") as fh:
            head = fh.read(PREVIEW_BYTES)
    except OSError:
        return [], []
    text = head.decode(encoding, errors="replace")
    delimiter = details.get("delimiter") or delimiter or _guess_delimiter(text)
    out: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for record in reader:
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            out.append(record)
            if len(out) > rows:
                break
    except csv.Error:
        pass
    names = list(details.get("columns") or [])
    if header and out:
        out = out[1:]
    if not names and out:
        names = [f"column_{i + 1}" for i in range(max(len(r) for r in out))]
    return names, out[:rows]


def _guess_delimiter(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:16384], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def image_examples(report: Report) -> list[tuple[str, str]]:
    """``(class name, absolute path)`` of a few usable images per class."""
    examples = report.details.get("examples") or {}
    return [
        (name, os.path.join(report.path, *rel.split("/")))
        for name, rels in examples.items()
        for rel in rels
    ]
