"""Contract over every registry entry: it builds its Keras object, has help, suits a task and
its Keras config round-trips; plus the default loss rule and the settings form catalog."""

from __future__ import annotations

import pytest

from nnstudio.core.objectives import (
    LOSSES,
    METRICS,
    MONITORS,
    OPTIMIZERS,
    REGISTRIES,
    SCHEDULES,
    TASKS,
    default_loss_and_metrics,
    loss_suits,
    metric_mode,
    output_task,
    short_loss,
)
from nnstudio.core.objectives.settings import BY_NAME, SETTINGS, applicable
from nnstudio.core.training.config import TrainingConfig

ENTRIES = [(r.kind, e) for r in REGISTRIES for e in r]


@pytest.mark.parametrize(("kind", "entry"), ENTRIES, ids=[f"{k}:{e.name}" for k, e in ENTRIES])
def test_every_entry_is_documented_and_suits_a_task(kind, entry) -> None:
    assert entry.label and len(entry.help) > 20, f"{kind} {entry.name} needs help"
    assert entry.tasks and entry.tasks <= set(TASKS)
    for p in entry.params:
        assert p.help and p.validate(p.default) == p.default


def _roundtrip_loss_or_metric(module, obj) -> None:
    again = module.deserialize(module.serialize(obj))
    assert type(again) is type(obj) and again.get_config() == obj.get_config()


@pytest.mark.parametrize("entry", list(LOSSES), ids=LOSSES.names())
def test_every_loss_builds_resolves_by_name_and_round_trips(entry) -> None:
    import keras

    obj = entry.make()
    assert isinstance(obj, keras.losses.Loss)
    _roundtrip_loss_or_metric(keras.losses, obj)
    assert callable(keras.losses.get(entry.name))  # what compile() is given
    for alias in entry.aliases:
        assert LOSSES.get(alias) is entry


@pytest.mark.parametrize("entry", list(METRICS), ids=METRICS.names())
def test_every_metric_builds_and_round_trips(entry) -> None:
    import keras

    obj = entry.make()
    assert isinstance(obj, keras.metrics.Metric)
    _roundtrip_loss_or_metric(keras.metrics, obj)


@pytest.mark.parametrize("entry", list(OPTIMIZERS), ids=OPTIMIZERS.names())
def test_every_optimizer_builds_and_round_trips(entry) -> None:
    import keras

    opt = entry.make(0.01)
    assert isinstance(opt, keras.optimizers.Optimizer)
    again = type(opt).from_config(opt.get_config())
    assert again.get_config() == opt.get_config()
    for p in entry.params:  # every parameter is a TrainingConfig field
        assert p.name in TrainingConfig.__dataclass_fields__


@pytest.mark.parametrize("entry", list(SCHEDULES), ids=SCHEDULES.names())
def test_every_schedule_builds_and_round_trips(entry) -> None:
    import keras

    lr = entry.make(0.01, 10, 5)
    if isinstance(lr, float):
        assert lr == pytest.approx(0.01)
    else:
        assert isinstance(lr, keras.optimizers.schedules.LearningRateSchedule)
        again = type(lr).from_config(lr.get_config())
        assert again.get_config() == lr.get_config()
        assert float(lr(0)) == pytest.approx(0.01)
    assert entry.make(0.01, None, 5) == pytest.approx(0.01)  # unknown length: constant
    for p in entry.params:
        assert p.name in TrainingConfig.__dataclass_fields__


@pytest.mark.parametrize("entry", list(MONITORS), ids=MONITORS.names())
def test_every_monitor_builds_an_early_stopping_callback(entry) -> None:
    cb = entry.make()
    assert cb.monitor == entry.name and metric_mode(entry.name) == entry.mode
    again = type(cb)(monitor=cb.monitor, mode=entry.mode, patience=cb.patience)
    assert again.monitor_op == cb.monitor_op  # the mode round-trips to the same comparison


def test_a_parameter_out_of_range_is_refused_with_its_name() -> None:
    from nnstudio.core.catalog.spec import ParamError

    with pytest.raises(ParamError, match="momentum"):
        OPTIMIZERS.get("sgd").make(0.01, momentum=2.0)
    with pytest.raises(KeyError, match="unknown optimizer 'nope'"):
        OPTIMIZERS.get("nope")


def test_the_default_rule_fits_every_task() -> None:
    assert default_loss_and_metrics("classification") == (
        "sparse_categorical_crossentropy",
        ["accuracy"],
    )
    assert default_loss_and_metrics("classification", 1)[0] == "binary_crossentropy"
    assert default_loss_and_metrics("classification", 4, one_hot=True)[0] == (
        "categorical_crossentropy"
    )
    assert default_loss_and_metrics("binary") == ("binary_crossentropy", ["accuracy"])
    assert default_loss_and_metrics("regression") == ("mse", ["mae"])
    assert default_loss_and_metrics("reconstruction") == ("mse", ["mae"])
    for task in TASKS:  # the rule picks what the registries say suits the task
        loss, metrics = default_loss_and_metrics(task)
        assert LOSSES.get(loss).suits(task)
        assert all(METRICS.get(m).suits(task) for m in metrics)


def test_reconstruction_takes_mse_and_binary_cross_entropy_only_of_the_cross_entropies() -> None:
    names = {e.name for e in LOSSES.suiting("reconstruction")}
    assert {"mse", "binary_crossentropy"} <= names
    assert "sparse_categorical_crossentropy" not in names
    assert loss_suits("mean_squared_error", "reconstruction")
    assert not loss_suits("categorical_crossentropy", "regression")


def test_output_task_and_short_labels() -> None:
    assert output_task("Dense", {"activation": "softmax"}) == "classification"
    assert output_task("Softmax", {}) == "classification"
    assert output_task("Dense", {"activation": "sigmoid"}) == "binary"
    assert output_task("Dense", {"activation": "linear"}) == "regression"
    assert short_loss("sparse_categorical_crossentropy") == "sparse CE"
    assert short_loss("mean_squared_error") == "mse"
    assert short_loss("my_custom_loss") == "my_custom_loss"


def test_settings_cover_every_config_field_and_follow_the_chosen_entries() -> None:
    # ``gan`` is a settings group of its own (nnstudio.core.gan.config, ui/gan/settings.py)
    fields = set(TrainingConfig.__dataclass_fields__) - {"extra", "shuffle", "gan"}
    assert {s.param.name for s in SETTINGS} == fields
    defaults = TrainingConfig()
    for s in SETTINGS:  # the form's defaults are the config's defaults
        assert s.param.default == getattr(defaults, s.param.name), s.param.name
        assert s.label and s.param.help
    shown = applicable(TrainingConfig(optimizer="sgd", schedule="step").to_json())
    assert {"momentum", "nesterov", "step_epochs", "decay_factor"} <= shown
    assert not {"weight_decay", "plateau_patience", "min_learning_rate"} & shown
    shown = applicable(TrainingConfig(optimizer="adamw", schedule="plateau").to_json())
    assert {"weight_decay", "plateau_patience", "min_learning_rate"} <= shown
    assert "momentum" not in shown
    assert BY_NAME["optimizer"].param.choices == OPTIMIZERS.names()


def test_importing_the_registries_does_not_import_keras() -> None:
    import subprocess
    import sys

    code = (
        "import sys, nnstudio.core.objectives, nnstudio.core.objectives.settings, "
        "nnstudio.core.export.formats; print('keras' in sys.modules, 'tensorflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="."
    )
    assert out.stdout.strip() == "False False"
