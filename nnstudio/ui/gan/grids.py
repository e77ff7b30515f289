"""The sample grids of a GAN run, as files, and what their diversity says (no Qt).

A run keeps its grids in ``<run folder>/samples/``: ``epoch_0003.png`` at the end of epoch
3 and ``epoch_0003_batch_0012.png`` for one asked for during epoch 3 (the core's
:func:`nnstudio.core.gan.samples.grid_name`).  :func:`list_grids` finds them in order;
:func:`collapse_hint` turns a falling diversity into a plain-words warning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["COLLAPSE_DROP", "Grid", "collapse_hint", "grid_from_path", "list_grids"]

SAMPLES_DIR = "samples"
_NAME = re.compile(r"^epoch_(\d{1,6})(?:_batch_(\d{1,7}))?\.png$")
COLLAPSE_DROP = 0.5  # diversity at or under half of its best so far reads as a collapse


@dataclass(frozen=True)
class Grid:
    """One grid file: ``epoch`` and ``batch`` count from 1 (``batch`` None: the epoch's
    end); ``diversity`` when the run reported it."""

    path: Path
    epoch: int
    batch: int | None = None
    diversity: float | None = None

    @property
    def label(self) -> str:
        """``Epoch 3`` or ``Epoch 3, batch 12 (on demand)``."""
        if self.batch is None:
            return f"Epoch {self.epoch}"
        return f"Epoch {self.epoch}, batch {self.batch} (on demand)"

    @property
    def order(self) -> tuple[int, float]:
        """Sort key: an epoch's on-demand grids come before its end-of-epoch grid."""
        return (self.epoch, math.inf if self.batch is None else float(self.batch))


def grid_from_path(path: str | Path, diversity: float | None = None) -> Grid | None:
    """The grid a file name describes (``None``: not a grid's name)."""
    p = Path(path)
    match = _NAME.match(p.name)
    if match is None:
        return None
    batch = int(match.group(2)) if match.group(2) else None
    return Grid(p, int(match.group(1)), batch, diversity)


def list_grids(run_folder: str | Path, diversity: Sequence[float] = ()) -> list[Grid]:
    """The grids in a run folder in order (``[]`` when it has none or cannot be read).

    ``diversity``: the run's per-epoch diversity (its history), attached to the
    end-of-epoch grids."""
    folder = Path(run_folder) / SAMPLES_DIR
    try:
        names = [p for p in folder.iterdir() if p.is_file()]
    except OSError:
        return []
    grids = []
    for path in names:
        grid = grid_from_path(path)
        if grid is None:
            continue
        if grid.batch is None and 0 < grid.epoch <= len(diversity):
            value = diversity[grid.epoch - 1]
            if isinstance(value, int | float) and math.isfinite(value):
                grid = Grid(grid.path, grid.epoch, None, float(value))
        grids.append(grid)
    return sorted(grids, key=lambda g: g.order)


def collapse_hint(values: Sequence[float]) -> str | None:
    """A warning when the latest diversity has fallen sharply from its best so far
    (``None`` otherwise)."""
    finite = [float(v) for v in values if isinstance(v, int | float) and math.isfinite(v)]
    if len(finite) < 2:
        return None
    best = max(finite[:-1])
    latest = finite[-1]
    if best <= 0 or latest > COLLAPSE_DROP * best:
        return None
    share = 100 * (1 - latest / best)
    return (
        f"The samples look more alike: their diversity fell {share:.0f} % below its best "
        f"({latest:.3f} against {best:.3f}). The generator may be making the same few "
        "images whatever the noise (mode collapse). Try a lower generator learning rate, "
        "WGAN-GP mode, or more dropout in the discriminator."
    )
