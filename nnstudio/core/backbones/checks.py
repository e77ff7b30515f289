"""What the graph check says about a backbone node's parameters (no Keras involved)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.core.backbones.weights import cache_dir, file_problem, resolve

RANDOM_HINT = (
    "Pick the architecture's include_top=False weights file (.weights.h5 or .h5) in the "
    "inspector, or put the standard *_notop.h5 file into {cache}. Frozen, a randomly "
    "initialised backbone gives almost constant features (the head cannot learn); set "
    "trainable to all to train it from scratch instead."
)


def param_issues(params: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``[(severity, message, hint)]``: a weights file that cannot be used is an error; no
    weights at all (random initialisation) is a warning."""
    hint = RANDOM_HINT.format(cache=cache_dir())
    if params["weights"] == "none":
        return [("warning", "randomly initialised (weights = none).", hint)]
    path = resolve(params)
    if path is None:
        return [
            (
                "warning",
                f"randomly initialised: no weights file is chosen and the Keras cache has "
                f"none for {params['architecture']}.",
                hint,
            )
        ]
    problem = file_problem(path)
    if problem:
        return [("error", problem + ".", "Choose another weights file in the inspector.")]
    return []
