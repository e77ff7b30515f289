"""Evaluation (confusion matrix, per-class scores, residuals), probes, NaN checks, budgets."""

from __future__ import annotations

import json

import numpy as np
import pytest
from training_helpers import blobs

from nnstudio.core.data.classes import balanced_class_weight
from nnstudio.core.training.config import TrainingConfig
from nnstudio.core.training.data import TrainingData, class_indices
from nnstudio.core.training.evaluation import (
    confusion_matrix,
    evaluate,
    per_class_scores,
    predicted_classes,
)
from nnstudio.core.training.probes import (
    ActivationProbe,
    LayerActivation,
    LayerWeights,
    activations_from_event,
    summarize,
    weight_stats,
    weights_from_event,
)
from nnstudio.core.training.watch import Cadence, check_arrays, first_non_finite


def test_confusion_matrix_and_per_class_scores() -> None:
    true = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    pred = np.array([0, 0, 1, 1, 2, 2, 2, 2, 0])
    cm = confusion_matrix(true, pred, 3)
    assert cm.tolist() == [[2, 1, 0], [0, 1, 1], [1, 0, 3]]
    scores = per_class_scores(cm, ["a", "b", "c"])
    assert scores[0] == pytest.approx(
        {"class": "a", "precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "support": 3}
    )
    assert scores[1]["precision"] == pytest.approx(0.5) and scores[1]["recall"] == 0.5
    assert scores[2]["precision"] == pytest.approx(0.75) and scores[2]["recall"] == 0.75
    empty = per_class_scores(np.zeros((2, 2), np.int64), ["x", "y"])
    assert empty[0]["f1"] == 0.0


def test_predicted_classes_for_softmax_and_sigmoid() -> None:
    cls, conf = predicted_classes(np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]]))
    assert cls.tolist() == [1, 0] and conf == pytest.approx([0.7, 0.6])
    cls, conf = predicted_classes(np.array([[0.9], [0.2]]))
    assert cls.tolist() == [1, 0] and conf == pytest.approx([0.9, 0.8])
    assert class_indices(np.eye(3)[[2, 0]]).tolist() == [2, 0]
    assert class_indices(np.array([[1.0], [0.0]])).tolist() == [1, 0]


def test_balanced_class_weight() -> None:
    assert balanced_class_weight([10, 30, 0]) == pytest.approx({0: 2.0, 1: 2 / 3})


def test_classification_evaluation_lists_misclassified_samples(blob_data, make_model) -> None:
    from nnstudio.core.training.run import run_training

    config = TrainingConfig(epochs=2, batch_size=32, learning_rate=0.003)
    model = make_model(config, blob_data)
    run_training(model, blob_data, config)
    x, y = blobs(96, seed=5)
    data = TrainingData.from_arrays(*blob_data.train, test=(x, y), class_names=["a", "b", "c"])
    ev = evaluate(model, data)
    assert ev.split == "test" and ev.task == "classification" and ev.samples == 96
    assert ev.class_names == ["a", "b", "c"]
    guess = np.argmax(model.predict(x, verbose=0), axis=-1)
    assert ev.confusion.sum() == 96
    assert np.trace(ev.confusion) == int((guess == y).sum())
    assert ev.metrics["accuracy"] == pytest.approx((guess == y).mean(), abs=1e-6)
    assert np.allclose(ev.confusion_normalized.sum(axis=1)[ev.confusion.sum(axis=1) > 0], 1)
    wrong = [m.index for m in ev.misclassified]
    expected = set(np.flatnonzero(guess != y).tolist())
    assert expected and len(wrong) == min(len(expected), 48) and set(wrong) <= expected
    confidences = [m.confidence for m in ev.misclassified]
    assert confidences == sorted(confidences, reverse=True)
    for m in ev.misclassified:
        assert m.true == y[m.index] and m.pred == guess[m.index]
        assert np.array_equal(m.x, x[m.index])
    summary = ev.to_json()
    assert summary["per_class"][0]["class"] == "a" and "misclassified" not in summary


def test_regression_evaluation_has_residuals(make_model) -> None:
    from nnstudio.core.graph.builder import GraphBuilder
    from nnstudio.core.training.run import run_training

    rng = np.random.default_rng(0)
    x = rng.normal(size=(160, 3)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5]) + 0.1).astype("float32")[:, None]
    b = GraphBuilder()
    b.output(b.add("Dense", b.add("Input", shape=(3,)), units=1), "mse", ["mae"])
    data = TrainingData.from_arrays(x[:128], y[:128], val=(x[128:], y[128:]))
    assert data.task == "regression"
    config = TrainingConfig(epochs=3, batch_size=16, learning_rate=0.05)
    model = make_model(config, data, b.graph)
    run_training(model, data, config)
    ev = evaluate(model, data)
    assert ev.split == "validation" and ev.task == "regression" and ev.confusion is None
    pred = model.predict(x[128:], verbose=0)[:, 0]
    assert ev.y_pred == pytest.approx(pred, abs=1e-5)
    assert ev.residuals == pytest.approx(y[128:, 0] - pred, abs=1e-5)
    summary = ev.to_json()["residuals"]
    assert summary["mae"] == pytest.approx(np.abs(y[128:, 0] - pred).mean(), rel=1e-5)
    assert summary["r2"] > 0.5


def test_summaries_of_dense_and_conv_outputs() -> None:
    dense = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 3.0]], np.float32)
    s = summarize("d", dense, relu=True)
    assert s.kind == "dense" and s.dead == pytest.approx(1 / 3)
    assert s.heat.shape == (2, 3) and s.hist.sum() == 6
    assert s.indicator() == "dead 33%"
    conv = np.zeros((6, 100, 60, 20), np.float32)
    conv[..., 3] = 1.0
    c = summarize("c", conv, relu=True)
    assert c.kind == "conv" and c.maps.shape == (4, 34, 20, 16)
    assert c.dead == pytest.approx(19 / 20)
    other = summarize("o", np.full((2, 4), -1.0, np.float32), relu=False)
    assert other.dead is None and other.indicator() == "μ -1"


def test_probe_and_weights_events_are_plain_json_that_reads_back(make_model, blob_data) -> None:
    conv = np.random.default_rng(0).normal(size=(3, 5, 4, 2)).astype(np.float32)
    conv[0, 0, 0, 0] = np.nan  # a diverging run: not finite -> null
    layers = {"c": summarize("c", conv, relu=True), "d": summarize("d", conv[:, 0, 0], False)}
    event = {"type": "probe", "layers": {k: v.to_json() for k, v in layers.items()}}
    text = json.dumps(event, allow_nan=False)
    assert '"maps": [[[[null' in text
    back = activations_from_event(json.loads(text))
    assert isinstance(back["c"], LayerActivation) and back["c"].shape == (5, 4, 2)
    np.testing.assert_array_equal(back["c"].maps, layers["c"].maps)  # NaN where it was
    np.testing.assert_array_equal(back["d"].heat, layers["d"].heat)
    assert back["c"].hist.tolist() == layers["c"].hist.tolist()
    assert back["c"].dead == layers["c"].dead and back["d"].indicator() == layers["d"].indicator()
    model = make_model(TrainingConfig(epochs=1), blob_data)
    stats = weight_stats(model, {"hidden": 0.5})
    plain = {"type": "weights", "layers": {k: w.to_json() for k, w in stats.items()}}
    weights = weights_from_event(json.loads(json.dumps(plain, allow_nan=False)))
    assert set(weights) == set(stats) and isinstance(weights["hidden"], LayerWeights)
    assert weights["hidden"].grad_norm == 0.5 and weights["hidden"].norm == stats["hidden"].norm
    assert weights["hidden"].hist.tolist() == stats["hidden"].hist.tolist()


def test_probe_model_sees_every_layer(make_model, blob_data) -> None:
    from nnstudio.core.graph.builder import GraphBuilder

    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(8, 8, 1))
    h = b.add("Conv2D", x, name="conv", filters=4, padding="same", activation="relu")
    h = b.add("Flatten", h, name="flat")
    y = b.add("Dense", h, name="head", units=2, activation="softmax")
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    images = np.random.default_rng(0).random((10, 8, 8, 1)).astype("float32")
    data = TrainingData.from_arrays(images, np.arange(10) % 2)
    model = make_model(TrainingConfig(), data, b.graph)
    probe = ActivationProbe(model, images[:5], budget=0.05)
    layers = probe.first_run()
    assert list(layers) == ["conv", "flat", "head"]
    assert layers["conv"].maps.shape == (4, 8, 8, 4) and layers["conv"].dead is not None
    assert layers["flat"].heat.shape == (5, 128) and layers["flat"].dead is None
    assert layers["head"].heat.sum(axis=1) == pytest.approx(np.ones(5), abs=1e-5)
    assert probe.maybe_run() is None  # just ran: not due yet


def test_cadence_keeps_within_budget() -> None:
    c = Cadence(0.05)
    assert c.due(0.0)
    c.done(started=10.0, now=10.1)  # a 0.1 s task
    assert not c.due(11.0) and c.due(12.1)  # next after 0.1 / 0.05 = 2 s
    c.postpone(1.0)
    assert not c.due(12.5) and c.due(13.1)
    assert not Cadence(0.0).due(100.0)


def test_non_finite_values_are_located() -> None:
    a = np.zeros((4, 3), np.float32)
    assert first_non_finite(a) is None
    a[2, 1] = np.inf
    assert first_non_finite(a, "inputs") == "inputs[2, 1] is Inf"
    assert (
        check_arrays({"inputs": [np.zeros(3), a], "targets": np.zeros(4)})
        == "inputs[1][2, 1] is Inf"
    )
    assert first_non_finite(np.array([1, 2])) is None  # integers are always finite


class _Identityish:
    """A stand-in model: reconstructs each image perfectly except sample 3, which it blanks."""

    def evaluate(self, x, y, **_kw):
        return {"loss": float(np.mean((self.predict(x) - y) ** 2))}

    def predict(self, x, **_kw):
        out = np.array(x, dtype=np.float32, copy=True)
        out[3] = 0.0
        return out


def test_a_reconstruction_is_evaluated_sample_by_sample_against_its_input() -> None:
    from nnstudio.core.training.data import TrainingData
    from nnstudio.core.training.evaluation import evaluate

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (10, 6, 6, 1)).astype(np.float32)
    data = TrainingData.from_arrays(x, x, val=(x, x), task="reconstruction")
    ev = evaluate(_Identityish(), data)
    assert ev is not None and ev.task == "reconstruction"
    assert ev.errors is not None and ev.errors.shape == (10,)
    assert ev.errors[3] == pytest.approx(float(np.mean(x[3] ** 2)))
    assert np.all(np.delete(ev.errors, 3) == 0)
    worst = ev.worst[0]
    assert worst.index == 3 and worst.x.shape == (6, 6, 1) and worst.output.shape == (6, 6, 1)
    assert np.all(worst.output == 0) and np.array_equal(worst.x, x[3])
    assert ev.y_true is None and ev.confusion is None  # no regression view of pixels
    summary = ev.to_json()["reconstruction"]
    assert summary["mse"] == pytest.approx(float(np.mean(x[3] ** 2)) / 10)
    assert summary["worst_mse"] == pytest.approx(float(ev.errors[3]))
