"""Write the built-in blocks to resources/blocks (run after changing
nnstudio/core/block_builtins.py; the output is deterministic)."""

from pathlib import Path

from nnstudio.core.block_builtins import BUILTINS, builtin_definition
from nnstudio.core.block_library import save_block
from nnstudio.core.graph import Graph

OUT = Path(__file__).resolve().parent.parent / "resources" / "blocks"

if __name__ == "__main__":
    for name in BUILTINS:
        holder = Graph()
        holder._set_block(name, builtin_definition(name))
        print(save_block(OUT, holder, name))
