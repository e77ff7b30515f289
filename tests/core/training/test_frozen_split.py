"""The frozen part of a model is evaluated once per fit: the live views see the same
activations and gradient norms as through the whole model, its weights are copied once,
and what a fit can change is still watched and kept."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from nnstudio.core.training.frozen import changing_weights, split_frozen, static_layers
from nnstudio.core.training.gradients import gradient_norms
from nnstudio.core.training.probes import ActivationProbe
from nnstudio.core.training.watch import WeightKeeper, non_finite_layer


def _backbone_model(frozen: bool = True):
    """Input -> a nested "backbone" (conv, batch norm, ReLU, pooling) frozen layer by layer
    as the app freezes stages -> dropout -> dense head."""
    keras.utils.set_random_seed(0)
    inner_in = keras.Input((8, 8, 3))
    h = keras.layers.Conv2D(4, 3, name="conv")(inner_in)
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = keras.layers.ReLU(name="relu")(h)
    h = keras.layers.GlobalAveragePooling2D(name="pool")(h)
    backbone = keras.Model(inner_in, h, name="backbone")
    for layer in backbone.layers:
        layer.trainable = not frozen
    x = keras.Input((8, 8, 3), name="image")
    h = keras.layers.Dropout(0.3, name="drop")(backbone(x))
    out = keras.layers.Dense(3, activation="softmax", name="head")(h)
    model = keras.Model(x, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _data(n: int = 12):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 8, 8, 3)).astype("float32"), rng.integers(0, 3, n)


def test_a_frozen_backbone_and_what_only_reads_it_are_static_the_head_is_not() -> None:
    model = _backbone_model()
    assert model.get_layer("backbone").trainable  # the nested model itself is not frozen
    assert static_layers(model) == {"image", "backbone", "drop"}
    assert static_layers(_backbone_model(frozen=False)) == {"image"}


def test_a_trainable_batch_norm_without_weights_is_not_static() -> None:
    x = keras.Input((4,))
    h = keras.layers.BatchNormalization(center=False, scale=False, name="bn")(x)
    model = keras.Model(x, keras.layers.Dense(1, name="out")(h))
    assert not model.get_layer("bn").trainable_weights
    assert "bn" not in static_layers(model)
    assert split_frozen(model, np.zeros((2, 4), "float32")) is None


def test_the_head_on_the_stored_features_predicts_what_the_model_does() -> None:
    model = _backbone_model()
    x, _ = _data()
    split = split_frozen(model, x)
    assert split is not None and split.static == {"backbone", "drop"}
    assert [layer.name for layer in split.head.layers][1:] == ["head"]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(split.head(split.head_inputs)),
        model.predict_on_batch(x),
        rtol=1e-5,
        atol=1e-6,
    )


def test_gradient_norms_through_the_head_equal_those_through_the_model() -> None:
    model = _backbone_model()
    x, y = _data()
    split = split_frozen(model, x)
    through_model = gradient_norms(model, x, y)
    through_head = gradient_norms(model, x, y, split)
    assert set(through_head) == set(through_model) == {"head"}
    assert through_head["head"] == pytest.approx(through_model["head"], rel=1e-5)
    assert through_head["head"] > 0


def test_probes_with_the_split_match_probes_through_the_whole_model() -> None:
    model = _backbone_model()
    x, _ = _data()
    whole = ActivationProbe(model, x).run()  # before prepare: the whole model
    probe = ActivationProbe(model, x)
    cut = probe.first_run()
    assert probe.split is not None
    assert list(cut) == list(whole) == ["backbone", "drop", "head"]
    for name in whole:
        assert cut[name].mean == pytest.approx(whole[name].mean, rel=1e-4, abs=1e-6)
        np.testing.assert_allclose(cut[name].hist, whole[name].hist)
    model.get_layer("head").kernel.assign(model.get_layer("head").kernel * 2.0)
    again = probe.run()  # the head moves, the stored backbone output does not
    assert again["backbone"] is cut["backbone"]
    assert again["head"].mean == pytest.approx(ActivationProbe(model, x).run()["head"].mean)


def test_unfreezing_between_fits_cuts_the_model_again() -> None:
    model = _backbone_model()
    x, _ = _data()
    probe = ActivationProbe(model, x)
    probe.first_run()
    assert probe.split is not None
    for layer in model.get_layer("backbone").layers:
        layer.trainable = True  # a two-phase run's second fit
    probe.first_run()
    assert probe.split is None
    assert set(probe.run()) == {"backbone", "drop", "head"}


def test_the_keeper_copies_only_what_a_fit_can_change_and_restores_it() -> None:
    model = _backbone_model()
    head = model.get_layer("head")
    assert {id(v) for v in changing_weights(model)} == {id(v) for v in head.weights}
    keeper = WeightKeeper(model)
    start = keeper.begin()
    index = {id(v): i for i, v in enumerate(model.weights)}
    assert set(start) == {index[id(v)] for v in head.weights}  # the backbone: not copied
    original = head.kernel.numpy().copy()
    head.kernel.assign(np.zeros(head.kernel.shape, "float32"))
    keeper.restore(start)
    np.testing.assert_array_equal(head.kernel.numpy(), original)


def test_a_snapshot_from_before_unfreezing_restores_the_unfrozen_weights_too() -> None:
    model = _backbone_model()
    conv = model.get_layer("backbone").get_layer("conv")
    keeper = WeightKeeper(model)
    keeper.begin()
    first_epoch = keeper.take()  # a first phase's epoch: the backbone frozen
    before = conv.kernel.numpy().copy()
    conv.trainable = True  # the second phase unfreezes a stage
    second = keeper.begin()
    assert index_of(model, conv.kernel) in second
    conv.kernel.assign(conv.kernel * 3.0)  # the second phase trains it
    keeper.restore(first_epoch)
    np.testing.assert_array_equal(conv.kernel.numpy(), before)


def index_of(model, variable) -> int:
    return [i for i, v in enumerate(model.weights) if v is variable][0]


def test_the_weights_watch_still_sees_a_non_finite_head_weight() -> None:
    model = _backbone_model()
    assert non_finite_layer(model) is None
    head = model.get_layer("head")
    bad = head.kernel.numpy()
    bad[0, 0] = np.nan
    head.kernel.assign(bad)
    assert non_finite_layer(model) == "head"
