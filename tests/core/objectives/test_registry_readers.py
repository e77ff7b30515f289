"""Readers of the registries: model-card loss kinds, codegen's optimizers, early-stopping
monitor choices derived from the declared metrics."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.export.model_card import output_kind
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.objectives import (
    LOSSES,
    OPTIMIZERS,
    graph_monitor_choices,
    keras_optimizer_class,
    loss_kind,
    monitor_choices,
)


@pytest.mark.parametrize(
    ("loss", "kind"),
    [
        ("sparse_categorical_crossentropy", "classes"),
        ("categorical_focal_crossentropy", "classes"),
        ("binary_crossentropy", "binary"),
        ("binary_focal_crossentropy", "binary"),
        ("hinge", "binary"),
        ("squared_hinge", "binary"),
        ("mse", "values"),
        ("mean_squared_error", "values"),
        ("mean_absolute_percentage_error", "values"),
        ("logcosh", "values"),
        ("msle", "values"),
    ],
)
def test_the_model_card_reads_loss_kinds_from_the_registry(loss, kind) -> None:
    assert loss_kind(loss) == kind and output_kind(loss, None, None) == kind


def test_every_registered_loss_has_a_card_kind_and_unknown_ones_fall_back() -> None:
    assert all(loss_kind(e.name) in ("classes", "binary", "values") for e in LOSSES)
    assert loss_kind("my_loss") is None
    assert output_kind("my_loss", "softmax", 3) == "values"  # a loss is given: values
    assert output_kind(None, "softmax", 3) == "classes"
    assert output_kind(None, "sigmoid", 1) == "binary"
    assert output_kind(None, None, None) == "unknown"


def test_codegen_takes_its_optimizers_from_the_registry() -> None:
    from nnstudio.core.interop.codegen import CodegenError, generate_code

    for entry in OPTIMIZERS:
        cls = keras_optimizer_class(entry.name)
        import keras

        assert isinstance(getattr(keras.optimizers, cls)(), keras.optimizers.Optimizer)
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(3,))
    b.output(b.add("Dense", x, name="y", units=1), "mse", [])
    text = generate_code(b.graph, optimizer="nadam", learning_rate=0.01)
    assert "keras.optimizers.Nadam(learning_rate=0.01)" in text
    with pytest.raises(CodegenError, match="one of sgd, adam, adamw"):
        generate_code(b.graph, optimizer="nope")


def test_monitor_choices_follow_the_declared_metrics() -> None:
    assert monitor_choices([("out", ["accuracy"])]) == [
        "val_loss",
        "val_accuracy",
        "loss",
        "accuracy",
    ]
    assert monitor_choices([("out", ["mae", "mae"])], validation=False) == ["loss", "mae"]
    two = monitor_choices([("a", ["accuracy"]), ("b", ["mae"])])
    assert two[:5] == ["val_loss", "val_a_loss", "val_a_accuracy", "val_b_loss", "val_b_mae"]
    assert two[5:] == ["loss", "a_loss", "a_accuracy", "b_loss", "b_mae"]


def test_monitor_choices_are_the_names_keras_logs() -> None:
    """Every name Keras logs for a two-output model is offered (and nothing else)."""
    from nnstudio.core.compiler import build_model, compile_model

    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(4,))
    h = b.add("Dense", x, name="h", units=8, activation="relu")
    b.output(
        b.add("Dense", h, name="cls", units=3, activation="softmax"),
        "sparse_categorical_crossentropy",
        ["accuracy"],
    )
    b.output(b.add("Dense", h, name="val", units=1), "mse", ["mae"])
    graph = b.graph
    model = compile_model(build_model(graph, seed=0), graph)
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(32, 4)).astype("float32")
    ys = [rng.integers(0, 3, size=32), rng.normal(size=(32, 1)).astype("float32")]
    history = model.fit(xs, ys, validation_data=(xs, ys), epochs=1, verbose=0)
    assert set(history.history) == set(graph_monitor_choices(graph))
