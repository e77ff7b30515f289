"""Fuzz the data readers with a seeded mutator: every damaged file gives a
report or a DataError, never another exception, never a hang.

Mutations: bit flips, truncations, insertions, byte swaps, huge numbers, deep
nesting. Each case is bounded by an alarm; the whole file runs in well under
a minute.
"""

from __future__ import annotations

import contextlib
import io
import random
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.data import DataError, config_for_path, inspect_source
from nnstudio.core.data.report import Report

CASE_SECONDS = 10


@contextlib.contextmanager
def _bounded(seconds: int = CASE_SECONDS):
    """Fail the case (instead of hanging the suite) after ``seconds``."""

    def _timeout(signum, frame):
        raise AssertionError(f"a reader ran past {seconds} s: a hang")

    old = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random damage of ``data``."""
    b = bytearray(data)
    kind = rng.choice(("flip", "truncate", "insert", "swap", "huge", "nest", "zero"))
    if not b:
        return bytes(rng.getrandbits(8) for _ in range(16))
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del b[rng.randrange(len(b)) :]
    elif kind == "insert":
        i = rng.randrange(len(b) + 1)
        b[i:i] = rng.choice((b'"', b"\n", b",,,", b"\x00" * 7, b"\xff\xfe", b"'''", b"(" * 50))
    elif kind == "swap":
        i, j = rng.randrange(len(b)), rng.randrange(len(b))
        b[i], b[j] = b[j], b[i]
    elif kind == "huge":
        i = rng.randrange(len(b) + 1)
        b[i:i] = rng.choice((b"1e999", b"9" * 5000, b"-1e308", b"nan", b"99999999999999999999"))
    elif kind == "nest":
        i = rng.randrange(len(b) + 1)
        b[i:i] = b"[" * 2000 + b"(" * 2000
    else:
        i = rng.randrange(len(b))
        b[i : i + 64] = b"\x00" * min(64, len(b) - i)
    return bytes(b)


def _check(path: Path, **options) -> None:
    """The reader must answer with a Report; building a config may refuse."""
    try:
        config = config_for_path(str(path), **options)
    except DataError:
        return
    with _bounded():
        report = inspect_source(config)
    assert isinstance(report, Report)
    assert report.path == str(path)
    for p in report.errors:
        assert p.message


def _csv_bytes() -> bytes:
    rows = ["a,b,c,label"] + [f"{i},{i * 0.5},{'x' if i % 3 else 'y'},{i % 2}" for i in range(40)]
    return ("\n".join(rows) + "\n").encode()


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _npz_bytes(compressed: bool) -> bytes:
    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    saver = np.savez_compressed if compressed else np.savez
    saver(buf, x=rng.random((20, 3)), y=np.arange(20) % 2)
    return buf.getvalue()


def _image_bytes(fmt: str) -> bytes:
    from PIL import Image

    arr = np.random.default_rng(1).integers(0, 256, (8, 8, 3), np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr, "RGB").save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_fuzz_csv(tmp_path, suffix):
    rng = random.Random(11)
    base = _csv_bytes()
    if suffix == ".tsv":
        base = base.replace(b",", b"\t")
    for i in range(60):
        path = tmp_path / f"f{i}{suffix}"
        path.write_bytes(mutate(base, rng))
        _check(path)


def test_fuzz_npy_pairs(tmp_path):
    rng = random.Random(12)
    x = _npy_bytes(np.random.default_rng(0).random((20, 3)))
    y = _npy_bytes(np.arange(20) % 2)
    for i in range(60):
        folder = tmp_path / str(i)
        folder.mkdir()
        (folder / "x.npy").write_bytes(mutate(x, rng))
        (folder / "y.npy").write_bytes(mutate(y, rng) if i % 2 else y)
        _check(folder / "x.npy")
        _check(folder / "x.npy", targets="inputs")


@pytest.mark.parametrize("compressed", [False, True])
def test_fuzz_npz(tmp_path, compressed):
    rng = random.Random(13 + compressed)
    base = _npz_bytes(compressed)
    for i in range(60):
        path = tmp_path / f"a{i}.npz"
        path.write_bytes(mutate(base, rng))
        _check(path)


def test_fuzz_npz_member_headers(tmp_path):
    """Damage inside a member's .npy header (the zip itself stays valid)."""
    rng = random.Random(14)
    x = _npy_bytes(np.random.default_rng(0).random((20, 3)))
    y = _npy_bytes(np.arange(20) % 2)
    for i in range(60):
        path = tmp_path / f"m{i}.npz"
        damaged = bytearray(x)
        head = bytearray(mutate(bytes(damaged[:128]), rng))
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("x.npy", bytes(head) + bytes(damaged[128:]))
            zf.writestr("y.npy", y)
        _check(path)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_fuzz_image_folders(tmp_path, fmt):
    rng = random.Random(15 if fmt == "PNG" else 16)
    base = _image_bytes(fmt)
    ext = ".png" if fmt == "PNG" else ".jpg"
    for i in range(12):
        root = tmp_path / f"imgs{i}"
        for cls in ("a", "b"):
            (root / cls).mkdir(parents=True)
            for j in range(4):
                data = mutate(base, rng) if (j + i) % 2 else base
                (root / cls / f"{j}{ext}").write_bytes(data)
        _check(root)


def _cli(path: Path) -> subprocess.CompletedProcess:
    code = "import sys; from nnstudio.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, "inspect", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[3],
    )


def test_inspect_cli_on_damaged_files_never_prints_a_traceback(tmp_path):
    """Damaged files: exit 1 with the report (or 2 for an unusable path), no traceback."""
    rng = random.Random(17)
    (tmp_path / "x.npy").write_bytes(b"\x93NUMPY\x01\x00" + b"\xff" * 40)
    (tmp_path / "y.npy").write_bytes(_npy_bytes(np.zeros(3)))
    (tmp_path / "a.npz").write_bytes(mutate(_npz_bytes(True), rng)[:200])
    (tmp_path / "t.csv").write_bytes(b'a,b\n1,"2\n3,4,5\n')
    for name in ("x.npy", "a.npz", "t.csv"):
        proc = _cli(tmp_path / name)
        assert proc.returncode == 1, (name, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr + proc.stdout
        assert "NOT ready to train" in proc.stdout
    proc = _cli(tmp_path / "missing.csv")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
