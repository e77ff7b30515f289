"""A damaged model.keras in a run folder is a clean ExportError, not a zlib traceback."""

from __future__ import annotations

import json
import zipfile

import pytest

from nnstudio.core.export.report import ExportError
from nnstudio.core.export.source import read_archive_config


def _corrupt_deflate(path) -> None:
    config = json.dumps(
        {"class_name": "Functional", "config": {"layers": []}} | {"pad": "x" * 4000}
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", config)
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("config.json")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 2, start + 40):
        data[i] ^= 0xA5
    path.write_bytes(bytes(data))


def test_a_corrupt_deflate_stream_in_a_run_archive_is_an_export_error(tmp_path) -> None:
    path = tmp_path / "model.keras"
    _corrupt_deflate(path)
    with pytest.raises(ExportError) as caught:
        read_archive_config(path)
    assert caught.value.args[0].startswith("model.keras: ")
