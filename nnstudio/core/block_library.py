"""The library of blocks: named, described block definitions saved as files, to drop into any
project.  Built-in blocks ship in ``resources/blocks``; the user's own go into a folder the
caller names (the app passes ``<user data folder>/blocks``; :func:`default_folder`).

A block file (``<name>.nnblock``) is JSON: ``kind``, ``format_version``, ``name``,
``description`` and ``blocks``, the definitions as a project stores them (the block itself
and every definition it uses).  Reading one goes through the project's graph reader, so a
damaged file is one located :class:`LibraryError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnstudio.core.atomic import atomic_write_text
from nnstudio.core.graph import FormatError, Graph, graph_from_json
from nnstudio.core.graph.block_commands import GroupNodes, PlaceBlock, check_block_name
from nnstudio.core.graph.blocks import definitions_used
from nnstudio.core.graph.model import BLOCK_KEY, BlockDefinition, GraphError

KIND = "nnstudio-block"
FORMAT_VERSION = 1
SUFFIX = ".nnblock"
MAX_FILE_BYTES = 8 * 2**20
BUILTIN_FOLDER = Path(__file__).resolve().parents[2] / "resources" / "blocks"


class LibraryError(ValueError):
    """A block file that cannot be read or written (the message names the file and place)."""


@dataclass
class LibraryBlock:
    """A block from the library: its definition and the definitions it uses."""

    name: str
    description: str
    definition: BlockDefinition
    requires: dict[str, BlockDefinition] = field(default_factory=dict)
    path: Path | None = None
    builtin: bool = False

    @property
    def inputs(self) -> list[str]:
        """Labels of the input ports."""
        return [self.definition.port_label(p) for p in self.definition.input_ports()]

    @property
    def outputs(self) -> list[str]:
        """Labels of the output ports."""
        return [self.definition.port_label(p) for p in self.definition.output_ports()]

    @property
    def layer_count(self) -> int:
        """Layers in the definition (not counting its Input ports)."""
        return sum(1 for n in self.definition.graph.nodes.values() if n.key != "Input")


@dataclass
class Listing:
    """The library's blocks (built-ins first, then the user's, by name) and the files that
    could not be read (one located message each)."""

    blocks: list[LibraryBlock] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def get(self, name: str) -> LibraryBlock | None:
        """The block called ``name`` (a user's block hides a built-in of the same name)."""
        found = [b for b in self.blocks if b.name == name]
        return next((b for b in found if not b.builtin), found[0] if found else None)


def default_folder() -> Path:
    """``blocks`` in NN Studio's user data folder (``NNSTUDIO_DATA_DIR`` overrides)."""
    from nnstudio.core.training.runs import user_data_dir

    return user_data_dir() / "blocks"


def file_name(name: str) -> str:
    """The file a block called ``name`` is saved as."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", name) + SUFFIX


# -- writing ------------------------------------------------------------------------------


def block_json(graph: Graph, name: str, description: str | None = None) -> dict[str, Any]:
    """The file content of definition ``name`` of ``graph`` (with what it uses)."""
    if name not in graph.blocks:
        raise GraphError(f"no block called {name!r}")
    d = graph.blocks[name]
    holder = Graph()
    holder.blocks = graph.blocks
    holder.nodes = {"use": _use_node(name)}
    names = definitions_used(holder)
    blocks = graph.to_json()["blocks"]
    text = d.description if description is None else description
    out = {n: blocks[n] for n in names}
    out[name] = {**out[name], "description": text}
    return {
        "kind": KIND,
        "format_version": FORMAT_VERSION,
        "name": name,
        "description": text,
        "blocks": out,
    }


def save_block(folder: str | Path, graph: Graph, name: str, description: str | None = None) -> Path:
    """Save definition ``name`` of ``graph`` into ``folder`` (atomically; replaces a block of
    the same name)."""
    data = block_json(graph, name, description)
    target = Path(folder) / file_name(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return target


def save_selection(
    folder: str | Path,
    graph: Graph,
    node_ids: Iterable[str],
    name: str,
    description: str = "",
    shapes: Any = None,
) -> Path:
    """Save a selection of ``graph`` as the block ``name`` (the graph is left unchanged)."""
    scratch = graph.copy()
    scratch.blocks.pop(name, None)
    cmd = GroupNodes(scratch, node_ids, name, description, shapes=shapes)
    cmd.redo()
    return save_block(folder, scratch, name, description)


def delete_block(folder: str | Path, name: str) -> None:
    """Delete the user's block ``name`` (built-ins cannot be deleted)."""
    path = Path(folder) / file_name(name)
    if not path.is_file():
        raise LibraryError(f"there is no block called {name!r} in {Path(folder)}")
    path.unlink()


# -- reading ------------------------------------------------------------------------------


def load_block(path: str | Path, builtin: bool = False) -> LibraryBlock:
    """Read a block file; :class:`LibraryError` (naming the file and place) if it is damaged."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise LibraryError(f"{path.name}: larger than {MAX_FILE_BYTES // 2**20} MiB")
        data = json.loads(path.read_text(encoding="utf-8"))
    except LibraryError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise LibraryError(f"{path.name}: cannot read it ({exc})") from None
    except (ValueError, RecursionError) as exc:
        raise LibraryError(f"{path.name}: not valid JSON ({str(exc)[:100]})") from None
    try:
        block = block_from_json(data)
    except FormatError as exc:
        raise LibraryError(f"{path.name}: {exc}") from None
    block.path, block.builtin = path, builtin
    return block


def block_from_json(data: Any) -> LibraryBlock:
    """A block from parsed file content (:class:`FormatError` naming the place)."""
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise FormatError("kind", f"not an NN Studio block file (kind {KIND!r} expected)")
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise FormatError(
            "format_version", f"this version reads block files up to {FORMAT_VERSION}"
        )
    name, description = data.get("name"), data.get("description", "")
    if not isinstance(name, str):
        raise FormatError("name", "expected text")
    if not isinstance(description, str):
        raise FormatError("description", "expected text")
    blocks = data.get("blocks")
    if not isinstance(blocks, dict) or name not in blocks:
        raise FormatError("blocks", f"expected an object holding the definition {name!r}")
    graph = graph_from_json({"nodes": [], "blocks": blocks}, "file")
    definition = graph.blocks[name]
    return LibraryBlock(
        name,
        description,
        definition,
        {n: d for n, d in graph.blocks.items() if n != name},
    )


def list_blocks(folder: str | Path | None, builtin_folder: str | Path | None = None) -> Listing:
    """Every block of the library: the built-ins, then the user's ``folder`` (may be absent)."""
    listing = Listing()
    sources = [(Path(builtin_folder) if builtin_folder else BUILTIN_FOLDER, True)]
    if folder is not None:
        sources.append((Path(folder), False))
    for where, builtin in sources:
        if not where.is_dir():
            continue
        for path in sorted(where.glob(f"*{SUFFIX}")):
            try:
                listing.blocks.append(load_block(path, builtin))
            except LibraryError as exc:
                listing.problems.append(str(exc))
    return listing


# -- into a project -----------------------------------------------------------------------


def place_command(graph: Graph, block: LibraryBlock, pos: tuple[float, float]) -> PlaceBlock:
    """The command that drops ``block`` into ``graph`` at ``pos`` (one undo step).

    A definition already in the graph with the same content is reused; one with the same
    name but other content is kept, and the library's comes in under a free name.
    """
    mapping: dict[str, str] = {}
    current = {n: _content(d) for n, d in graph.blocks.items()}
    every = {**block.requires, block.name: block.definition}
    for name in [*block.requires, block.name]:
        renamed = _with_names(every[name], mapping)
        if name in graph.blocks and current[name] == _content(renamed):
            mapping[name] = name
            continue
        new, stem, i = name, re.sub(r"_\d+$", "", name), 1
        while new in graph.blocks or new in mapping.values():
            new = f"{stem}_{i}"
            i += 1
        mapping[name] = new
    defs = {
        mapping[n]: _with_names(every[n], mapping, mapping[n])
        for n in [*block.requires, block.name]
        if mapping[n] not in graph.blocks
    }
    top = mapping[block.name]
    check_block_name(Graph(), top)
    requires = {n: d for n, d in defs.items() if n != top}
    return PlaceBlock(graph, top, pos, defs.get(top), requires)


def _content(d: BlockDefinition) -> str:
    return json.dumps(d.graph.to_json(with_blocks=False), sort_keys=True)


def _with_names(
    d: BlockDefinition, mapping: dict[str, str], name: str | None = None
) -> BlockDefinition:
    out = d.copy()
    out.name = name or d.name
    for node in out.graph.nodes.values():
        if node.key == BLOCK_KEY:
            old = str(node.params.get("definition"))
            node.params = {**node.params, "definition": mapping.get(old, old)}
            node._spec = None
    return out


def _use_node(name: str) -> Any:
    from nnstudio.core.graph.model import Node

    return Node("use", BLOCK_KEY, "use", {"definition": name, "repeat": 1})
