"""Fuzzing the project file reader: every damaged file gives a clean ProjectError or a project.

A seeded mutator (reproducible: the case number is in the failure message) damages valid
project files at two levels:

- bytes: bit flips, truncations, insertions of bytes or JSON tokens, duplicated spans;
- JSON: a value at a random path swapped for another type, a huge or odd number, deep
  nesting, a key removed or an unknown key added.

``Project.load`` must then either return a project that saves again, or raise
:class:`ProjectError` whose message names the file; never another exception, never a hang.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import pytest

from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.project import Project, ProjectError

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261201
BYTE_CASES = 500
JSON_CASES = 700
BUDGET_S = 30.0
FILE = "fuzz.nnstudio"

_TOKENS = [b"{", b"}", b"[", b"]", b",", b":", b'"', b"null", b"true", b"-", b"1e999", b"\\u0000"]
_ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    10**400,
    -(2**63),
    1e308,
    -1e-320,
    "",
    "x" * 5000,
    "\u0000\ud7ff",
    [],
    {},
    [None] * 70,
    {"": None},
    "../../../etc/passwd",
]


def _seed_documents() -> list[dict[str, Any]]:
    b = GraphBuilder()
    x = b.add("Input", shape=(8,))
    h = b.add("Dense", x, units=16, activation="relu")
    y = b.add("Dense", b.add("Dropout", h, rate=0.2), units=3, activation="softmax")
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    own = Project(
        graph=b.graph,
        name="Fuzz",
        data={"kind": "csv", "path": "data.csv", "target_columns": ["y"]},
        training={"epochs": 3, "optimizer": "sgd"},
        runs=[{"id": "run-1", "status": "completed", "history": {"loss": [1.0, 0.5]}}],
    ).to_json()
    v1 = {
        "format_version": 1,
        "name": "Old",
        "layers": [
            {"id": "a", "class": "Input", "config": {"shape": [4]}, "x": 1, "y": 2},
            {"id": "b", "class": "Dense", "config": {"units": 2}},
        ],
        "connections": [{"from": "a", "to": "b", "port": "in"}],
        "outputs": [{"layer": "b", "loss": "mse"}],
    }
    docs = [own, v1, _blocks_document()]
    for folder in ("resources/examples", "resources/templates"):
        for path in sorted((ROOT / folder).glob("*.nnstudio"))[:3]:
            docs.append(json.loads(path.read_text(encoding="utf-8")))
    return docs


def _blocks_document() -> dict[str, Any]:
    """A project with blocks: a nested definition, a repeated use and a two-output block."""
    from nnstudio.core.graph.block_commands import GroupNodes, SetRepeat

    b = GraphBuilder()
    x = b.add("Input", shape=(8,))
    a = b.add("Dense", x, units=8, activation="relu")
    c = b.add("Dense", a, units=8)
    s = b.add("Add", [c, x])
    left = b.add("Dense", s, units=4)
    right = b.add("Dense", s, units=4)
    y = b.add("Dense", b.add("Concatenate", [left, right]), units=1)
    b.output(y)
    g = b.graph
    pair = GroupNodes(g, [a, c], "pair", shapes={})
    pair.redo()
    res = GroupNodes(g, [pair.use_id, s], "res", "residual", shapes={})
    res.redo()
    SetRepeat(g, res.use_id, 2).redo()
    GroupNodes(g, [left, right], "split", shapes={}).redo()
    return Project(graph=g, name="Blocks").to_json()


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if len(here) > 30:  # inside a nesting the mutator made itself
        return out
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*here, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:20]):
            out += _paths(v, (*here, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return doc


def _nest(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = [leaf] if depth % 2 else {"k": leaf}
    return leaf


def _mutate_json(rng: random.Random, doc: dict[str, Any]) -> bytes:
    doc = json.loads(json.dumps(doc))
    for _ in range(rng.randint(1, 3)):
        paths = _paths(doc)
        path = rng.choice(paths)
        kind = rng.randrange(5)
        if kind == 0:
            doc = _set(doc, path, rng.choice(_ODD_VALUES))
        elif kind == 1:
            doc = _set(doc, path, _nest(rng.choice([3, 50, 900, 3000]), 1))
        elif kind == 2 and path:
            parent = doc
            for key in path[:-1]:
                parent = parent[key]
            if isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent.pop(path[-1])
        elif kind == 3:
            target = doc
            for key in path:
                target = target[key]
            if isinstance(target, dict):
                target[rng.choice(["zz_future", "id", "type", "pos", "port"])] = rng.choice(
                    _ODD_VALUES
                )
        else:
            doc = _set(doc, path, rng.choice([10**5000, 2**1024, -(10**300), 1e-300]))
    try:
        return json.dumps(doc).encode("utf-8")
    except (ValueError, RecursionError):  # a number Python itself will not print
        return b'{"format_version": 2, "x": ' + b"9" * 5000 + b"}"


def _mutate_bytes(rng: random.Random, raw: bytes) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(4)
        pos = rng.randrange(len(data) + 1) if data else 0
        if kind == 0 and data:
            i = min(pos, len(data) - 1)
            data[i] ^= 1 << rng.randrange(8)
        elif kind == 1:
            del data[pos:]
            if not data:
                break
        elif kind == 2:
            insert = rng.choice(_TOKENS) if rng.random() < 0.7 else rng.randbytes(4)
            data[pos:pos] = insert
        else:
            end = min(len(data), pos + rng.randint(1, 40))
            data[pos:pos] = data[pos:end] * rng.randint(1, 3)
    return bytes(data)


def _check(tmp_path: Path, content: bytes, case: str) -> None:
    path = tmp_path / FILE
    path.write_bytes(content)
    start = time.perf_counter()
    try:
        project = Project.load(path)
    except ProjectError as exc:
        assert FILE in str(exc), f"{case}: the message does not name the file: {exc}"
        return
    except Exception as exc:  # noqa: BLE001 - the point of the test
        pytest.fail(f"{case}: {type(exc).__name__}: {exc}"[:500])
    finally:
        assert time.perf_counter() - start < 5.0, f"{case}: load took too long"
    try:
        project.save(tmp_path / "again.nnstudio")
        Project.load(tmp_path / "again.nnstudio")
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"{case}: a project that loaded does not save and reload: {exc!r}"[:500])


def test_damaged_bytes_give_a_clean_error(tmp_path) -> None:
    rng = random.Random(SEED)
    docs = [json.dumps(d, indent=1).encode("utf-8") for d in _seed_documents()]
    start = time.perf_counter()
    for i in range(BYTE_CASES):
        _check(tmp_path, _mutate_bytes(rng, rng.choice(docs)), f"byte case {i}")
    assert time.perf_counter() - start < BUDGET_S


def test_damaged_structure_gives_a_clean_error(tmp_path) -> None:
    rng = random.Random(SEED + 1)
    docs = _seed_documents()
    start = time.perf_counter()
    for i in range(JSON_CASES):
        _check(tmp_path, _mutate_json(rng, rng.choice(docs)), f"json case {i}")
    assert time.perf_counter() - start < BUDGET_S


@pytest.mark.parametrize(
    "content",
    [
        b'{"format_version": 2, "graph": {"nodes": [{"id": "a", "type": "Input", "pos": [1e308, '
        + b"1" * 400
        + b"]}]}}",
        b'{"format_version": 2, "graph": {"outputs": [], "nodes": [], "edges": []}, '
        b'"data": {"kind": "csv", "path": "x", "val_fraction": ' + b"9" * 400 + b"}}",
        b'{"format_version": 2, "training": {"epochs": ' + b"9" * 400 + b"}}",
        b'{"format_version": 2, "min_reader_version": 2, "app_version": ' + b"[1]" + b"}",
        b'{"format_version": 9, "min_reader_version": 9, "app_version": {"a": 1}}',
        b'{"format_version": 2, "data": {"kind": "csv", "path": "\\u0000"}}',
        b'{"format_version": 2, "graph": ' + b'{"nodes": ' * 5000 + b"1" + b"}" * 5000 + b"}",
    ],
)
def test_known_hostile_values(tmp_path, content) -> None:
    _check(tmp_path, content, repr(content[:60]))
