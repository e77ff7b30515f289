"""A GAN's data is checked against its discriminator's Input only: the ordinary pre-flight
check would refuse the noise Input and the Dense(1) output; the GAN's check locates a
wrong sample shape on the discriminator's Input, and in the window Train is enabled for the
DCGAN on the digit images."""

from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace

from nnstudio.core.gan.config import GanConfig
from nnstudio.core.gan.template import TRAINING, dcgan
from nnstudio.core.graph.check import CheckResult
from nnstudio.core.layout import apply_positions, layered_layout
from nnstudio.core.preflight import with_preflight
from nnstudio.core.project import Project
from nnstudio.ui.gan.preflight import gan_preflight, preflight_for

DIGITS = Path(__file__).resolve().parents[2] / "resources" / "samples" / "digits"


def _report(shape):
    return SimpleNamespace(feature_shape=shape, classes=[("0", 64)], task="classification")


def test_the_gan_check_looks_at_the_discriminators_input_only() -> None:
    graph = dcgan().graph
    gan = GanConfig()
    assert gan_preflight(gan, graph, _report((28, 28, 1))) == []
    issues = gan_preflight(gan, graph, _report((32, 32, 3)))
    assert [i.code for i in issues] == ["data-shape"]
    assert issues[0].node == graph.node_by_name("sample").id
    assert "(32, 32, 3)" in issues[0].message and "(28, 28, 1)" in issues[0].message
    fn = preflight_for(gan)
    result = fn(CheckResult([], {}), graph, _report((32, 32, 3)), None)
    assert not result.ok and preflight_for(None) is None


def test_train_is_enabled_for_the_dcgan_on_the_digits(
    make_window, keras_engine, wait_checked, qtbot
) -> None:
    graph = dcgan().graph
    apply_positions(graph, layered_layout(graph))
    project = Project(graph=graph, name="DCGAN", training=copy.deepcopy(TRAINING))
    project.data = {"kind": "images", "path": str(DIGITS), "val_fraction": 0.0}
    window = make_window(plugins=True, engine=keras_engine)
    window.set_project(project)
    qtbot.waitUntil(lambda: window.checker.data is not None, timeout=20000)
    result = wait_checked(window)
    assert result.ok, [i.message for i in result.issues]
    controller = next(p for p in window.plugins if hasattr(p, "gan"))
    assert controller.train_blocked_reason() is None
    # the ordinary check would have refused it: the noise Input has no data
    report, targets = window.checker.data
    plain = with_preflight(CheckResult([], result.shapes), window.graph, report, targets)
    assert not plain.ok
