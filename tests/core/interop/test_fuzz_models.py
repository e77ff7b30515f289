"""Fuzzing the model readers: thousands of damaged files, each a clean error or an import.

A seeded mutator (reproducible: the failing case names its seed) damages a small ``.keras``
archive, a legacy ``.h5`` model and their ``config.json`` in the ways files break and
attackers break them: bit flips, truncations, insertions and deletions of bytes; in the
JSON, values swapped for other types, huge and non-finite numbers, deep nesting, deleted
and duplicated keys.  Every case must end in a successful import or a
:class:`ModelImportError` raised on purpose (``unexpected is None``: not the entry point's
last-resort catch of a reader that failed to check what it read), and within a time limit.
"""

from __future__ import annotations

import copy
import json
import os
import random
import signal
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from interop_helpers import small_cnn

from nnstudio.core.interop import ModelImportError, import_config, import_model_file

CASE_SECONDS = 20  # far above any case's real time: a hang, not a slow case
# NNSTUDIO_FUZZ_SCALE=10 runs ten times as many cases (new seeds) for a deeper search.
SCALE = max(1, int(os.environ.get("NNSTUDIO_FUZZ_SCALE", "1")))


@contextmanager
def _deadline(seconds: int, what: str) -> Iterator[None]:
    def expired(signum: int, frame: Any) -> None:
        raise AssertionError(f"{what}: still running after {seconds} s (a hang)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


class Cases:
    """Runs the cases of one file kind; collects every failure, reported at the end."""

    def __init__(self) -> None:
        self.outcomes: set[str] = set()
        self.failures: list[str] = []

    def run(self, what: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """One case: an import, or a :class:`ModelImportError` raised on purpose."""
        with _deadline(CASE_SECONDS, what):
            try:
                call(*args, **kwargs)
            except ModelImportError as exc:
                if exc.unexpected is not None or not str(exc).strip():
                    self.failures.append(f"{what}: a reader let through: {exc}")
                self.outcomes.add("refused")
                return
            except Exception as exc:  # the failure being looked for
                self.failures.append(f"{what}: {type(exc).__name__}: {exc}")
                return
        self.outcomes.add("ok")

    def check(self, *expected: str) -> None:
        """No failure, and each expected outcome was seen (the mutations reach both)."""
        shown = "\n".join(self.failures[:10])
        assert not self.failures, f"{len(self.failures)} unclean cases:\n{shown}"
        assert set(expected) <= self.outcomes, self.outcomes


# -- byte-level mutations ------------------------------------------------------------------


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """One to a few damages of the kinds real files suffer."""
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 3))):
        kind = rng.choice(("flip", "flip", "byte", "truncate", "insert", "delete", "zero"))
        if not out:
            break
        at = rng.randrange(len(out))
        if kind == "flip":
            out[at] ^= 1 << rng.randrange(8)
        elif kind == "byte":
            out[at] = rng.randrange(256)
        elif kind == "truncate":
            del out[at:]
        elif kind == "insert":
            out[at:at] = rng.randbytes(rng.choice((1, 4, 64)))
        elif kind == "delete":
            del out[at : at + rng.choice((1, 4, 64))]
        else:
            out[at : at + 16] = bytes(min(16, len(out) - at))
    return bytes(out)


# -- JSON-level mutations ------------------------------------------------------------------

_ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**31,
    10**400,
    -(10**300),
    1e308,
    float("inf"),
    float("nan"),
    "",
    "x" * 300,
    "relu",
    [],
    [None],
    [[1, 2], [3]],
    {},
    {"class_name": "Dense"},
    {"class_name": "__keras_tensor__", "config": {"keras_history": ["x", -1, -1]}},
    {"config": "float16"},
    ["probs", 0, 5],
]


def _paths(value: Any) -> list[tuple[Any, ...]]:
    """Every key path into ``value`` (iterative)."""
    out: list[tuple[Any, ...]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        v, prefix = stack.pop()
        out.append(prefix)
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
        stack.extend((child, (*prefix, k)) for k, child in items)
    return out


def _nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def mutate_json(config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A copy of ``config`` with one to three values replaced, removed or duplicated."""
    out = copy.deepcopy(config)
    for _ in range(rng.choice((1, 1, 2, 3))):
        paths = [p for p in _paths(out) if p]
        path = rng.choice(paths)
        parent = out
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        kind = rng.choice(("swap", "swap", "swap", "delete", "nest", "duplicate"))
        if kind == "swap":
            parent[key] = copy.deepcopy(rng.choice(_ODD_VALUES))
        elif kind == "delete":
            del parent[key]
        elif kind == "nest":
            parent[key] = _nested(rng.choice((5, 60, 199, 250, 3000)))
            break  # later mutations would have to walk (and copy) the deep value
        elif isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        else:
            parent[f"{key}_copy"] = copy.deepcopy(parent[key])
    return out


def _dumps(config: Any) -> str:
    try:
        return json.dumps(config)
    except RecursionError:
        return "[" * 100_000 + "]" * 100_000


# -- the files -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("originals")
    model = small_cnn()
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    keras_path, h5_path = folder / "cnn.keras", folder / "cnn.h5"
    model.save(keras_path)
    model.save(h5_path)
    with zipfile.ZipFile(keras_path) as zf:
        members = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    return {
        "keras": keras_path.read_bytes(),
        "h5": h5_path.read_bytes(),
        "members": members,
        "config": json.loads(members["config.json"]),
    }


def _archive(path: Path, members: dict[str, bytes], rng: random.Random) -> Path:
    method = rng.choice((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED))
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_fuzz_keras_archive_bytes(originals, tmp_path) -> None:
    """Whole-archive damage: zip headers, the central directory, deflate streams."""
    cases = Cases()
    for seed in range(250 * SCALE):
        rng = random.Random(seed)
        data = originals["keras"]
        if seed % 2:  # a deflated copy, so that damage lands in deflate streams too
            rebuilt = _archive(tmp_path / "deflated.keras", originals["members"], rng)
            data = rebuilt.read_bytes()
        path = tmp_path / f"m{seed % 4}.keras"
        path.write_bytes(mutate_bytes(data, rng))
        weights = seed % 5 == 0  # the weights step needs Keras: a fifth of the cases
        cases.run(f"keras bytes seed {seed}", import_model_file, path, weights=weights)
    cases.check("ok", "refused")


def test_fuzz_keras_members(originals, tmp_path) -> None:
    """Damage inside one member (config.json, metadata.json, model.weights.h5), the zip
    itself intact: the readers behind the zip, not zipfile, meet the damage."""
    cases = Cases()
    for seed in range(150 * SCALE):
        rng = random.Random(1000 + seed)
        members = dict(originals["members"])
        name = rng.choice(sorted(members))
        members[name] = mutate_bytes(members[name], rng)
        path = _archive(tmp_path / f"m{seed % 4}.keras", members, rng)
        weights = name == "model.weights.h5" and seed % 3 == 0
        cases.run(
            f"keras member {name} seed {1000 + seed}",
            import_model_file,
            path,
            weights=weights,
        )
    cases.check("refused")


def test_fuzz_config_json(originals, tmp_path) -> None:
    """Type swaps, huge numbers, deep nesting, deleted and duplicated keys in config.json,
    through the archive reader and through :func:`import_config`."""
    cases = Cases()
    for seed in range(400 * SCALE):
        rng = random.Random(5000 + seed)
        config = mutate_json(originals["config"], rng)
        what = f"config.json seed {5000 + seed}"
        if seed % 4 == 0:
            members = {**originals["members"], "config.json": _dumps(config).encode()}
            members.pop("model.weights.h5")
            path = _archive(tmp_path / "c.keras", members, rng)
            cases.run(what, import_model_file, path)
        else:
            cases.run(what, import_config, config)
    cases.check("ok", "refused")


def test_fuzz_h5_model_bytes(originals, tmp_path) -> None:
    """Legacy .h5 models: damaged superblocks, object headers, heaps and attributes."""
    cases = Cases()
    for seed in range(120 * SCALE):
        rng = random.Random(9000 + seed)
        path = tmp_path / f"m{seed % 4}.h5"
        path.write_bytes(mutate_bytes(originals["h5"], rng))
        weights = seed % 6 == 0
        cases.run(f"h5 seed {9000 + seed}", import_model_file, path, weights=weights)
    cases.check("refused")


def test_fuzz_h5_model_config_attribute(originals, tmp_path) -> None:
    """A structurally sound .h5 whose model_config attribute holds a mutated config."""
    import h5py

    source = tmp_path / "source.h5"
    source.write_bytes(originals["h5"])
    cases = Cases()
    for seed in range(60 * SCALE):
        rng = random.Random(12000 + seed)
        path = tmp_path / f"m{seed % 4}.h5"
        path.write_bytes(originals["h5"])
        with h5py.File(path, "r+") as f:
            raw = f.attrs["model_config"]
            config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
            f.attrs["model_config"] = _dumps(mutate_json(config, rng))
        cases.run(f"h5 config seed {12000 + seed}", import_model_file, path, weights=False)
    cases.check("refused")
