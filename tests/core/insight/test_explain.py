"""Explanations are correct by test: integrated gradients' completeness, the
model-randomisation sanity check, and Grad-CAM finding the region that decides the class
on a synthetic dataset (class 1: a bright square somewhere on faint noise; class 0: none)."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.insight import explain as ex
from nnstudio.core.insight.explain_maps import ExplainError, blurred, spearman

SIZE = 16


def square_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """16x16 grey images of faint noise; class 1 has a bright 4x4 square somewhere, class 0
    none.  Returns the images, the labels and each image's square region (a mask: the
    square and 2 pixels around it, the region that decides the class)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 0.3, (n, SIZE, SIZE, 1)).astype(np.float32)
    y = rng.integers(0, 2, n)
    masks = np.zeros((n, SIZE, SIZE), bool)
    for i, label in enumerate(y):
        r, c = rng.integers(0, SIZE - 4 + 1, 2)
        masks[i, max(0, r - 2) : r + 6, max(0, c - 2) : c + 6] = True
        if label:
            x[i, r : r + 4, c : c + 4, 0] = 1.0
    return x, y, masks


def small_cnn(seed: int = 0):
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input((SIZE, SIZE, 1), name="image")
    h = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv_1")(inp)
    h = keras.layers.MaxPooling2D(name="pool")(h)
    h = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv_2")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    out = keras.layers.Dense(2, activation="softmax", name="label")(h)
    return keras.Model(inp, out)


@pytest.fixture(scope="module")
def trained() -> tuple[object, np.ndarray, np.ndarray, np.ndarray]:
    import keras

    x, y, _ = square_images(300, seed=1)
    model = small_cnn()
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    xt, yt, masks = square_images(40, seed=2)
    accuracy = float((ex.predict(model, xt).argmax(1) == yt).mean())
    assert accuracy >= 0.9, accuracy
    return model, xt[yt == 1], yt[yt == 1], masks[yt == 1]


@pytest.fixture(scope="module")
def smooth_model():
    """A small smooth (tanh) tabular model with a sigmoid output."""
    import keras

    keras.utils.set_random_seed(3)
    inp = keras.Input((6,), name="row")
    h = keras.layers.Dense(16, activation="tanh")(inp)
    out = keras.layers.Dense(3, activation="softmax")(h)
    return keras.Model(inp, out)


def test_gradcam_puts_its_mass_where_the_class_is_decided(trained) -> None:
    model, x, _, masks = trained
    found = ex.gradcam(model, x)  # the last convolution, the predicted class
    assert found[0].layer == "conv_2" and found[0].class_index == 1
    assert found[0].attributions.shape == (SIZE, SIZE)
    shares = [
        e.attributions[m].sum() / e.attributions.sum() for e, m in zip(found, masks, strict=True)
    ]
    assert np.mean(shares) > 0.6, shares  # the region is at most a quarter of the image
    assert all(e.attributions.min() >= 0 for e in found)


def test_gradcam_on_a_named_layer_and_a_chosen_class(trained) -> None:
    model, x, _, _ = trained
    found = ex.gradcam(model, x[:3], class_index=1, layer="conv_1")
    assert [e.class_index for e in found] == [1, 1, 1] and found[0].layer == "conv_1"
    assert ex.cam_layers(model)[:2] == ["conv_2", "conv_1"]
    with pytest.raises(ExplainError, match='no layer "nope"'):
        ex.gradcam(model, x[:1], layer="nope")
    with pytest.raises(ExplainError, match="no spatial output"):
        ex.gradcam(model, x[:1], layer="label")
    with pytest.raises(ExplainError, match="out of range"):
        ex.saliency(model, x[:1], class_index=5)


@pytest.mark.parametrize("baseline", ["zeros", "mean"])  # a blurred row is the row
def test_integrated_gradients_are_complete(smooth_model, baseline) -> None:
    rows = np.random.default_rng(0).normal(size=(8, 6)).astype(np.float32)
    found = ex.integrated_gradients(smooth_model, rows[:4], baseline=baseline, steps=64, data=rows)
    for e in found:
        total, diff = e.check["sum"], e.check["difference"]
        assert abs(diff) > 1e-3  # something to attribute
        assert total == pytest.approx(diff, rel=0.01), (total, diff)
        assert e.attributions.sum() == pytest.approx(total)


def test_integrated_gradients_completeness_on_the_cnn(trained) -> None:
    model, x, _, _ = trained
    (e,) = ex.integrated_gradients(model, x[:1], baseline="blurred", steps=100)
    assert e.check["sum"] == pytest.approx(e.check["difference"], rel=0.01, abs=1e-3)


def test_attributions_of_a_reinitialised_model_differ(trained) -> None:
    import keras

    model, x, _, _ = trained
    random_model = keras.models.clone_model(model)  # fresh initial weights
    for method in ("saliency", "ig"):
        a = ex.explain(model, x[:8], method, class_index=1)
        b = ex.explain(random_model, x[:8], method, class_index=1)
        rho = np.mean([spearman(p.heatmap(), q.heatmap()) for p, q in zip(a, b, strict=True)])
        assert rho < 0.5, (method, rho)
        # the same model twice agrees with itself
        again = ex.explain(model, x[:2], method, class_index=1)
        assert spearman(a[0].heatmap(), again[0].heatmap()) > 0.99


def test_smoothgrad_averages_noisy_gradients(trained) -> None:
    model, x, _, _ = trained
    plain = ex.saliency(model, x[:2])
    smooth = ex.smoothgrad(model, x[:2], noise=0.2, samples=16)
    assert smooth[0].attributions.shape == x[0].shape
    assert smooth[0].params == {"noise": 0.2, "samples": 16}
    zero_noise = ex.smoothgrad(model, x[:2], noise=0.0, samples=3)
    np.testing.assert_allclose(zero_noise[0].attributions, plain[0].attributions, atol=1e-6)
    assert not np.allclose(smooth[0].attributions, plain[0].attributions)


def test_tabular_attributions_find_the_features_that_matter() -> None:
    import keras

    rng = np.random.default_rng(4)
    rows = rng.normal(size=(300, 5)).astype(np.float32)
    y = (rows[:, 1] - 2 * rows[:, 3] > 0).astype(np.int64)  # features 1 and 3 decide
    keras.utils.set_random_seed(4)
    inp = keras.Input((5,))
    out = keras.layers.Dense(2, activation="softmax")(keras.layers.Dense(8, "tanh")(inp))
    model = keras.Model(inp, out)
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    model.fit(rows, y, epochs=8, batch_size=32, verbose=0)
    (one,) = ex.integrated_gradients(model, rows[:1], baseline="mean", data=rows)
    assert one.attributions.shape == (5,) and one.kind == "tabular"
    mean_abs = ex.mean_abs_attributions(model, rows[:100], class_index=1, data=rows)
    assert set(np.argsort(mean_abs)[-2:]) == {1, 3}
    assert mean_abs[3] > mean_abs[1]


def test_sequences_get_one_attribution_per_step() -> None:
    import keras

    keras.utils.set_random_seed(5)
    inp = keras.Input((12, 3))
    h = keras.layers.Conv1D(4, 3, padding="same", activation="tanh", name="conv")(inp)
    out = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(h))
    model = keras.Model(inp, out)
    x = np.random.default_rng(5).normal(size=(2, 12, 3)).astype(np.float32)
    (e, _) = ex.integrated_gradients(model, x, steps=50)
    steps = ex.step_attributions(e)
    assert steps.shape == (12,) and steps.sum() == pytest.approx(e.check["sum"], rel=1e-4)
    assert e.check["sum"] == pytest.approx(e.check["difference"], rel=0.01, abs=1e-4)
    cam = ex.gradcam(model, x)[0]
    assert cam.layer == "conv" and cam.attributions.shape == (12,)
    # one sigmoid unit: class 0's score is the negative output
    pos, neg = ex.saliency(model, x[:1], 1)[0], ex.saliency(model, x[:1], 0)[0]
    np.testing.assert_allclose(pos.attributions, -neg.attributions, atol=1e-6)


def test_models_that_cannot_be_explained_say_why() -> None:
    import keras

    tokens = keras.Input((5,), dtype="int32")
    emb = keras.layers.Flatten()(keras.layers.Embedding(10, 2)(tokens))
    model = keras.Model(tokens, keras.layers.Dense(2)(emb))
    with pytest.raises(ExplainError, match="float input"):
        ex.saliency(model, np.zeros((1, 5)))
    dense = keras.Model(inp := keras.Input((4,)), keras.layers.Dense(2)(inp))
    with pytest.raises(ExplainError, match="Grad-CAM needs a convolution"):
        ex.gradcam(dense, np.zeros((1, 4)))
    with pytest.raises(ExplainError, match="needs data"):
        ex.integrated_gradients(dense, np.zeros((1, 4)), baseline="mean")
    with pytest.raises(ExplainError, match="unknown method"):
        ex.explain(dense, np.zeros((1, 4)), "lime")


def test_explanations_serialise_to_json(trained) -> None:
    import json

    model, x, _, _ = trained
    (e,) = ex.integrated_gradients(model, x[:1], steps=8)
    e.name_classes(["empty", "square"])
    data = json.loads(json.dumps(e.to_json(arrays=True)))
    assert data["method"] == "ig" and data["class"] == "square"
    assert np.asarray(data["attributions"]).shape == (SIZE, SIZE, 1)
    assert data["predicted"] == "square" and data["predicted_index"] == 1
    assert set(data["completeness"]) == {"sum", "difference"}


def test_blurred_baseline_smooths_and_keeps_the_mean() -> None:
    x, _, _ = square_images(2, seed=7)
    b = blurred(x)
    assert b.shape == x.shape and b.std() < x.std()
    assert b.mean() == pytest.approx(x.mean(), rel=0.05)


def test_the_cached_steps_let_a_model_go() -> None:
    import gc
    import weakref

    import keras

    inp = keras.Input((8, 8, 1))
    h = keras.layers.Conv2D(2, 3, name="c")(inp)
    model = keras.Model(inp, keras.layers.Dense(2)(keras.layers.Flatten()(h)))
    x = np.zeros((1, 8, 8, 1), np.float32)
    ex.gradcam(model, x)
    ex.saliency(model, x)
    ref = weakref.ref(model)
    del model
    for _ in range(3):
        gc.collect()
    assert ref() is None  # an explained model (e.g. of an older run) is freed
