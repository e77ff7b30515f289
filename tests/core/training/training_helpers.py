"""Small graphs and synthetic data shared by the training tests (a few hundred samples)."""

from __future__ import annotations

import numpy as np

from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.model import Graph


def mlp_graph(features: int = 4, classes: int = 3, units: int = 16) -> Graph:
    """Input -> Dense(relu) -> Dense(softmax), sparse cross-entropy with accuracy."""
    b = GraphBuilder()
    x = b.add("Input", name="features", shape=(features,))
    h = b.add("Dense", x, name="hidden", units=units, activation="relu")
    y = b.add("Dense", h, name="out", units=classes, activation="softmax")
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    return b.graph


def blobs(
    n: int = 240, features: int = 4, classes: int = 3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Separable Gaussian blobs: ``classes`` clusters in ``features`` dimensions."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, size=n)
    centres = rng.normal(scale=3.0, size=(classes, features))
    x = centres[y] + rng.normal(size=(n, features))
    return x.astype("float32"), y.astype("int64")
