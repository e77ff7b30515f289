"""Reading a delimited text file's bytes: encoding, delimiter and header detection."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections import Counter
from dataclasses import dataclass

from nnstudio.core.data.config import DELIMITERS
from nnstudio.core.data.memory import available_memory, format_bytes
from nnstudio.core.data.report import ProblemLog

SAMPLE_BYTES = 64 * 1024
SAMPLE_RECORDS = 200
# byte-oriented encodings where b"\n" and ASCII delimiters are single bytes
ASCII_COMPATIBLE = {"ascii", "utf-8", "utf-8-sig", "latin-1", "iso8859-1", "cp1252"}

_NON_SPACE = re.compile(rb"\S")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def delimiter_name(delimiter: str) -> str:
    name = _DELIMITER_NAMES.get(delimiter)
    return (
        f'"{delimiter}" ({name})'
        if name and delimiter != "\t"
        else ("tab" if delimiter == "\t" else f'"{delimiter}"')
    )


@dataclass
class TextFile:
    """A text file's bytes, its encoding (a Python codec name) and its sha256
    (filled in by the reader, which hashes beside the parsing)."""

    path: str
    data: bytes
    encoding: str
    sha256: str
    _text: str | None = None

    @property
    def ascii_compatible(self) -> bool:
        return codecs.lookup(self.encoding).name in ASCII_COMPATIBLE

    def text(self) -> str:
        if self._text is None:
            self._text = self.data.decode(self.encoding)
        return self._text

    def sample(self) -> str:
        """The first ~64 KiB as text, cut after the last complete line."""
        if self._text is not None:
            head = self._text[:SAMPLE_BYTES]
        else:
            head = self.data[:SAMPLE_BYTES].decode(self.encoding, errors="ignore")
        if len(head) >= SAMPLE_BYTES - 4:
            cut = max(head.rfind("\n"), head.rfind("\r"))
            if cut > 0:
                head = head[: cut + 1]
        return head


def _line_of_offset(data: bytes, offset: int, encoding: str) -> int:
    prefix = data[:offset].decode(encoding, errors="replace")
    return prefix.count("\n") + 1


def _line_text(data: bytes, offset: int, encoding: str) -> str:
    start = data.rfind(b"\n", 0, offset) + 1
    end = data.find(b"\n", offset)
    line = data[start : end if end >= 0 else len(data)].decode(encoding, errors="replace").strip()
    return line if len(line) <= 60 else line[:57] + "..."


def read_text_file(
    path: str, encoding: str | None, log: ProblemLog, where: str = ""
) -> TextFile | None:
    """Read ``path`` and settle its encoding; log located problems.

    ``encoding`` ``None`` detects: a byte-order mark, else UTF-8, else
    Windows-1252 / Latin-1 with a warning pointing at the first non-UTF-8 byte.
    Returns ``None`` (with an error logged) when the file cannot be used.
    """
    data = _read_bytes(path, log, where or os.path.basename(path))
    if data is None:
        return None
    if encoding is not None:
        return _decode_as(path, data, encoding, log, where)
    return _decode_detected(path, data, log, where)


def _read_bytes(path: str, log: ProblemLog, loc: str) -> bytes | None:
    """The file's bytes, when they fit in memory and are not all blank."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        log.error(loc, f"cannot read the file: {exc.strerror or exc}")
        return None
    avail = available_memory()
    if avail is not None and size * 3 > avail:
        log.error(
            loc,
            f"the file is {format_bytes(size)}; reading it needs about {format_bytes(size * 3)} "
            f"of memory but only {format_bytes(avail)} is available",
        )
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        log.error(loc, f"cannot read the file: {exc.strerror or exc}")
        return None
    if not _NON_SPACE.search(data):
        log.error(loc, "the file is empty")
        return None
    return data


def _decode_as(
    path: str, data: bytes, encoding: str, log: ProblemLog, where: str
) -> TextFile | None:
    """The text in the encoding the user chose (a UTF-8 byte-order mark is skipped)."""
    digest = ""  # computed by the caller, beside the parsing
    enc = codecs.lookup(encoding).name
    if enc == "utf-8" and data.startswith(codecs.BOM_UTF8):
        enc = "utf-8-sig"
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as exc:
        line = _line_of_offset(data, exc.start, enc)
        byte = data[exc.start : exc.start + 1].hex().upper()
        log.error(
            _loc(where, line),
            f"byte 0x{byte} cannot be read as {encoding}; the file uses another text "
            "encoding (choose it, for example latin-1 or cp1252)",
        )
        return None
    return TextFile(path, data, enc, digest, text)


def _decode_detected(path: str, data: bytes, log: ProblemLog, where: str) -> TextFile | None:
    """The text in the encoding its bytes show: a byte-order mark, UTF-8 (or
    UTF-16 without a mark), else Windows-1252 / Latin-1 with a warning."""
    digest = ""  # computed by the caller, beside the parsing
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError as exc:
                log.error(
                    _loc(where, _line_of_offset(data, exc.start, enc)),
                    f"the file starts with a {enc} byte-order mark but is not valid {enc}",
                )
                return None
            return TextFile(path, data, enc, digest, text)
    if data.isascii():
        if b"\x00" in data:
            return _utf16_without_bom(path, data, digest, log, where)
        return TextFile(path, data, "utf-8", digest)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if b"\x00" in data:
            return _utf16_without_bom(path, data, digest, log, where)
        return _decode_legacy(path, data, exc.start, log, where)
    if "\x00" in text:
        return _utf16_without_bom(path, data, digest, log, where)
    return TextFile(path, data, "utf-8", digest, text)


def _decode_legacy(path: str, data: bytes, bad: int, log: ProblemLog, where: str) -> TextFile:
    """Not UTF-8 (first bad byte at ``bad``): read as Windows-1252, else Latin-1."""
    for enc, label in (("cp1252", "Windows-1252"), ("latin-1", "Latin-1")):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        line = _line_of_offset(data, bad, enc)
        byte = data[bad : bad + 1].hex().upper()
        log.warning(
            _loc(where, line),
            f"the file is not UTF-8 (byte 0x{byte}); read it as {label}, which gives "
            f'"{_line_text(data, bad, enc)}" here. Choose the encoding if that looks wrong',
        )
        return TextFile(path, data, enc, "", text)
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _utf16_without_bom(
    path: str, data: bytes, digest: str, log: ProblemLog, where: str
) -> TextFile | None:
    head = data[:4096]
    odd_zeros = head[1::2].count(0) / max(1, len(head[1::2]))
    even_zeros = head[0::2].count(0) / max(1, len(head[0::2]))
    for enc, score in (("utf-16-le", odd_zeros), ("utf-16-be", even_zeros)):
        if score > 0.9 and len(data) % 2 == 0:
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            log.info(where or os.path.basename(path), f"read as {enc.upper()} (no byte-order mark)")
            return TextFile(path, data, enc, digest, text)
    offset = data.find(b"\x00")
    log.error(
        _loc(where, data.count(b"\n", 0, offset) + 1),
        "the file contains NUL bytes: it is not a text CSV file (or it uses an encoding "
        "such as UTF-16 that must be chosen)",
    )
    return None


def _loc(where: str, line: int) -> str:
    return f"{where}, line {line}" if where else f"line {line}"


@dataclass
class Dialect:
    delimiter: str
    header: bool
    header_fields: list[str]
    n_fields: int


def _records(sample: str, delimiter: str, limit: int = SAMPLE_RECORDS) -> list[list[str]]:
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def _consistency(rows: list[list[str]]) -> tuple[float, int]:
    if not rows:
        return 0.0, 0
    counts = Counter(len(r) for r in rows)
    modal, freq = counts.most_common(1)[0]
    return freq / len(rows), modal


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def detect_dialect(
    sample: str,
    delimiter: str | None,
    header: bool | None,
    path: str,
    log: ProblemLog,
    where: str = "",
) -> Dialect | None:
    """Settle the delimiter and whether line 1 is a header, from the sample."""
    loc = where or os.path.basename(path)
    scored = []
    for cand in DELIMITERS:
        consistency, modal = _consistency(_records(sample, cand))
        scored.append((cand, consistency, modal))
    usable = [s for s in scored if s[2] > 1]
    if delimiter is None:
        if not usable:
            log.error(
                loc,
                "found only one column: the lines are not split by a comma, semicolon, tab or "
                "vertical bar. Choose the delimiter, or check that this is a CSV/TSV file",
            )
            return None
        # ties go to the rarer character: a semicolon file with decimal commas
        # splits evenly at both, a comma file rarely has a semicolon on every line
        prefer = ["\t", ";", "|", ","]
        best = max(usable, key=lambda s: (round(s[1], 2), -prefer.index(s[0])))
        delimiter = best[0]
    else:
        chosen = next((s for s in scored if s[0] == delimiter), None)
        modal = chosen[2] if chosen else _consistency(_records(sample, delimiter))[1]
        if modal <= 1:
            others = [s for s in usable if s[0] != delimiter and s[1] >= 0.9]
            hint = (
                f"; the file seems to use {delimiter_name(others[0][0])}: choose it as the "
                "delimiter"
                if others
                else ""
            )
            log.error(
                loc,
                f"split at {delimiter_name(delimiter)} every line has a single column{hint}",
            )
            return None

    rows = _records(sample, delimiter)
    if not rows:
        log.error(loc, "the file has no rows")
        return None
    first = rows[0]
    if header is None:
        header = _looks_like_header(rows)
    n_fields = len(first) if header else Counter(len(r) for r in rows).most_common(1)[0][0]
    return Dialect(delimiter, header, [f.strip() for f in first] if header else [], n_fields)


def _looks_like_header(rows: list[list[str]]) -> bool:
    """Line 1 is data only when it is numeric wherever the later lines mostly are;
    a file of text columns is taken to have a header."""
    if len(rows) < 2:
        return True
    first, rest = rows[0], rows[1:]
    numeric_cols = 0
    for j, cell in enumerate(first):
        values = [r[j] for r in rest if j < len(r) and r[j].strip()]
        if not values:
            continue
        if sum(is_number(v) for v in values) > 0.5 * len(values):
            numeric_cols += 1
            if not is_number(cell):
                return True
    return numeric_cols == 0


def column_names(header_fields: list[str], n_fields: int, header: bool) -> list[str]:
    """Unique column names: the header's (empty ones and repeats renamed), or
    ``column_1`` ... ``column_n`` without a header."""
    if not header:
        return [f"column_{i + 1}" for i in range(n_fields)]
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(header_fields):
        name = raw if raw else f"Unnamed: {i}"
        base = name
        while name in seen:
            seen[base] += 1
            name = f"{base}.{seen[base]}"
        seen.setdefault(name, 0)
        names.append(name)
    return names
