"""Training errors name the layer as the user named it and the cause in plain words."""

from __future__ import annotations

from types import SimpleNamespace

import keras
import numpy as np
from training_helpers import blobs

from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.training.config import TrainingConfig
from nnstudio.core.training.data import TrainingData
from nnstudio.core.training.failures import locate_layer, plain_cause
from nnstudio.core.training.run import prepare_model, run_training

GRAPH_ERROR = (
    "Graph execution error:\n\n"
    "Detected at node hidden_1_1/Relu defined at (most recent call last):\n"
    '  File "train.py", line 3, in <module>\n\n'
    "Matrix size-incompatible: In[0]: [16,4], In[1]: [8,16]\n"
    "\t [[{{node hidden_1_1/Relu}}]] [Op:__inference_one_step_on_iterator_1234]"
)


def three_dense_graph():
    b = GraphBuilder()
    x = b.add("Input", name="features", shape=(4,))
    h = b.add("Dense", x, name="hidden", units=8, activation="relu")
    h1 = b.add("Dense", h, name="hidden_1", units=8, activation="relu")
    y = b.add("Dense", h1, name="out", units=3, activation="softmax")
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    return b.graph


def fake_model(*names: str, kind: str = "Dense"):
    cls = type(kind, (), {})
    layers = []
    for name in names:
        layer = cls()
        layer.name = name
        layers.append(layer)
    return SimpleNamespace(name="model", layers=layers)


def test_a_graph_node_with_tensorflow_suffixes_is_the_users_layer() -> None:
    model = fake_model("features", "hidden", "hidden_1", "out")
    assert locate_layer(GRAPH_ERROR, model) == "hidden_1"
    assert locate_layer("{{node model_1/out_3/MatMul}} failed", model) == "out"
    assert locate_layer("{{node model_1/hidden_2/MatMul}}", model) == "hidden"


def test_the_graph_error_cause_is_kept_in_plain_words() -> None:
    cause = plain_cause(RuntimeError(GRAPH_ERROR))
    assert "matrix sizes do not fit" in cause and "[16,4]" in cause and "[8,16]" in cause
    assert "\n" not in cause and "Graph execution error" not in cause


def test_an_unknown_message_keeps_its_reason_line_not_the_framing() -> None:
    text = "Exception encountered when calling Dense.call().\n\n\x1b[1mNegative units\x1b[0m"
    assert plain_cause(ValueError(text)) == "ValueError: Negative units"


def test_a_failing_layer_in_eager_and_graph_mode_is_named_with_the_cause() -> None:
    x, y = blobs(64)
    data = TrainingData.from_arrays(x, y)
    config = TrainingConfig(epochs=1, batch_size=16)
    for eager in (False, True):
        model = prepare_model(three_dense_graph(), config, data)
        out = model.get_layer("out")  # weights that no longer fit the 8 features coming in
        object.__setattr__(out, "_kernel", keras.Variable(np.zeros((5, 3), "float32")))
        model.run_eagerly = eager
        result = run_training(model, data, config)
        assert result.status == "failed"
        assert "in layer 'out'" in result.message, result.message
        assert "sizes do not" in result.message  # "do not fit" (eager), "do not match"
        assert "[16,8]" in result.message and "[5,3]" in result.message
        assert "\n" not in result.message and "Dense.call()" not in result.message
        assert "Traceback" in result.traceback


def test_a_graph_error_raised_during_the_run_names_the_layer(blob_data, make_model) -> None:
    config = TrainingConfig(epochs=1, batch_size=16)
    model = make_model(config, blob_data)

    class GraphFailure(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise RuntimeError(GRAPH_ERROR.replace("hidden_1_1", "hidden_1"))

    result = run_training(model, blob_data, config, callbacks=[GraphFailure()])
    assert "in layer 'hidden'" in result.message
    assert "matrix sizes do not fit" in result.message
