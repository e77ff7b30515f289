"""Fixtures of the training tests: synthetic blobs and a compiled MLP."""

from __future__ import annotations

import pytest
from training_helpers import blobs, mlp_graph


@pytest.fixture
def blob_data():
    """TrainingData of 192 training and 64 validation samples of 3 blobs."""
    from nnstudio.core.training.data import TrainingData

    x, y = blobs(256)
    return TrainingData.from_arrays(x[:192], y[:192], val=(x[192:], y[192:]))


@pytest.fixture
def make_model():
    """``make_model(config, data, graph=None)``: a compiled MLP for the blobs."""
    from nnstudio.core.training.run import prepare_model

    def make(config, data, graph=None):
        return prepare_model(graph or mlp_graph(), config, data)

    return make
