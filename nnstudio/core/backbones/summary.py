"""The layers of a backbone node, grouped by stage, for the read-only layers view."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nnstudio.core.backbones.architectures import get, stages
from nnstudio.core.backbones.build import application, apply_trainable


@dataclass(frozen=True)
class LayerRow:
    """One layer of the application."""

    stage: int
    name: str
    kind: str
    shape: tuple[int | None, ...]
    params: int
    trainable: bool


@dataclass(frozen=True)
class StageRow:
    """One stage: its layers and their totals."""

    stage: int
    layers: tuple[LayerRow, ...]

    @property
    def params(self) -> int:
        """Parameters of the stage's layers."""
        return sum(r.params for r in self.layers)

    @property
    def trainable(self) -> str:
        """``all``, ``none`` or ``some`` of the stage's weighted layers train."""
        flags = {r.trainable for r in self.layers if r.params}
        return "all" if flags == {True} else "none" if flags <= {False} else "some"


def layer_stages(params: Mapping[str, Any]) -> list[StageRow]:
    """Build the application symbolically (no weights initialised) and list its layers by
    stage, with the trainability the node's mode gives them."""
    import keras

    arch = get(params["architecture"])
    with keras.StatelessScope():
        app = application(params)
        apply_trainable(
            app, arch, params["trainable"], int(params["unfreeze_from"]), params["batchnorm"]
        )
        rows: list[LayerRow] = []
        names = [layer.name for layer in app.layers]
        for layer, stage in zip(app.layers, stages(arch, names), strict=True):
            out = layer.output
            shape = tuple(out.shape) if hasattr(out, "shape") else ()
            count = sum(math.prod(w.shape) for w in layer.weights)
            on = bool(layer.trainable and app.trainable) and count > 0
            rows.append(LayerRow(stage, layer.name, type(layer).__name__, shape, count, on))
    groups: dict[int, list[LayerRow]] = {}
    for row in rows:
        groups.setdefault(row.stage, []).append(row)
    return [StageRow(s, tuple(rs)) for s, rs in sorted(groups.items())]
