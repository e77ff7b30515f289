"""Write the built-in blocks to resources/blocks and the example of a 6-layer transformer built
from a repeated block to resources/examples/transformer_blocks.nnstudio (run after changing
nnstudio/core/block_builtins.py; the output is deterministic)."""

from pathlib import Path

from nnstudio.core.block_builtins import BUILTINS, builtin_definition, transformer_stack
from nnstudio.core.block_library import save_block
from nnstudio.core.graph import Graph
from nnstudio.core.project import Project
from nnstudio.core.templates import SAMPLES, sample_data

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
OUT = RESOURCES / "blocks"
EXAMPLE = RESOURCES / "examples" / "transformer_blocks.nnstudio"


def transformer_example() -> Project:
    """Six transformer encoder layers (one block, repeat 6) on the shipped token sample."""
    project = Project(
        graph=transformer_stack(layers=6),
        name="Example: a 6-layer transformer from a repeated block",
        description="The transformer encoder layer block, repeated 6 times with separate "
        "weights; open the block to see (and edit) one layer, or change repeat in the "
        "inspector.",
    )
    project.data = sample_data("transformer", SAMPLES)
    project.training = {"epochs": 5}
    return project


if __name__ == "__main__":
    for name in BUILTINS:
        holder = Graph()
        holder._set_block(name, builtin_definition(name))
        print(save_block(OUT, holder, name))
    print(transformer_example().save(EXAMPLE))
