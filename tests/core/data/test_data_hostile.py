"""Hostile NumPy files: damaged member headers and sparse giants get one clean error."""

from __future__ import annotations

import io
import struct
import time
import zipfile

import numpy as np
import pytest
from data_helpers import find, inspect

from nnstudio.core.data import DataError, config_for_path, inspect_source
from nnstudio.core.data.hashing import file_sha256
from nnstudio.core.data.numpy_source import npz_infos


def _token_error_npy() -> bytes:
    """A .npy whose header dict opens a string it never closes (numpy: TokenError)."""
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (3, '''\n"
    header = header.ljust(118) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\0" * 24


def test_damaged_npz_member_header_is_a_clean_error_naming_file_and_member(tmp_path):
    path = tmp_path / "bad.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.npy", _token_error_npy())
        zf.writestr("y.npy", _token_error_npy())
    with pytest.raises(DataError) as info:
        npz_infos(str(path))
    assert info.value.location == 'bad.npz["x"]'
    assert "header is corrupt" in info.value.message
    report = inspect(path)
    assert not report.ok
    find(report, "header is corrupt", "error")


def _sparse_npy(path, shape=(10**10, 10)):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    with open(path, "wb") as fh:
        fh.write(buf.getvalue())
        fh.truncate(len(buf.getvalue()) + 8 * int(np.prod(shape, dtype=object)))
    return path


def test_sparse_npy_declaring_800_gb_is_refused_before_hashing(tmp_path):
    x = _sparse_npy(tmp_path / "x.npy")
    np.save(tmp_path / "y.npy", np.zeros(3))
    start = time.monotonic()
    report = inspect_source(config_for_path(str(x)))
    assert time.monotonic() - start < 10
    problem = find(report, "sparse file", "error")
    assert problem.location == "x.npy"
    assert report.content_hash is None  # never read through the 800 GB


def test_hash_of_a_file_over_the_cap_is_sampled_with_progress(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(np.random.default_rng(0).bytes(3 << 20))
    seen = []

    class State:
        def report(self, done, total, force=False):
            seen.append((done, total))

    full = file_sha256(str(path))
    sampled = file_sha256(str(path), State(), cap=1 << 20)
    assert sampled != full and seen and seen[-1][0] == seen[-1][1]
    assert sampled == file_sha256(str(path), cap=1 << 20)  # deterministic
