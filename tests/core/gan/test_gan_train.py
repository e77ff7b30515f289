"""A GAN run through the core training job: the DCGAN template on the digit images, briefly.

One module-scoped run (2 epochs on 64 digits) is shared by the assertions: the discriminator's
accuracy leaves 1.0 and the generator's loss moves, the run folder holds the generator, the
discriminator, the grids and gan.json, the events the UI listens to, an on-demand grid; the
generator exports with its model card and `nnstudio predict` draws a grid from it.  A tiny
WGAN-GP run is stopped within its first epoch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnstudio.core.gan.samples import request_samples
from nnstudio.core.tasks import TaskState

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "resources" / "templates" / "dcgan.nnstudio"


def _digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    paths = sorted((ROOT / "resources" / "samples" / "digits").rglob("*.png"))[::6][:n]
    x = np.stack([np.asarray(Image.open(p).convert("L"), np.float32) / 255.0 for p in paths])
    y = np.array([int(p.parent.name) for p in paths], np.int32)
    return x[..., None], y


@pytest.fixture(scope="module")
def dcgan_run(tmp_path_factory):
    from nnstudio.core.project import Project
    from nnstudio.core.training.data import TrainingData
    from nnstudio.core.training.job import TrainingJob, execute

    project = Project.load(TEMPLATE)
    config = project.training.replace(epochs=2, batch_size=16, tensorboard=False)
    x, y = _digits(64)
    events: list[dict] = []

    def listen(event: dict) -> None:
        events.append(event)
        if event["type"] == "batch" and event["epoch"] == 1 and event["batch"] == 0:
            request_samples(state)  # the UI's "samples now" button: served after the next batch

    state = TaskState(listen, keep_events=False)
    folder = tmp_path_factory.mktemp("gan") / "run"
    job = TrainingJob.for_project(
        project, config=config.to_json(), run_dir=str(folder), data=TrainingData.from_arrays(x, y)
    )
    outcome = execute(job, state)
    return outcome, events, folder


def test_the_discriminator_is_fooled_sometimes_and_the_generator_loss_moves(dcgan_run) -> None:
    outcome, events, _ = dcgan_run
    assert outcome.error is None and str(outcome.status) == "completed", outcome.message
    epochs = [e["logs"] for e in events if e["type"] == "epoch"]
    assert len(epochs) == 2
    for logs in epochs:
        assert {"d_loss", "g_loss", "d_real", "d_fake", "d_accuracy", "diversity"} <= set(logs)
        assert 0.0 < logs["d_accuracy"] < 1.0
        assert 0.0 <= logs["d_fake"] <= 1.0 and 0.0 <= logs["d_real"] <= 1.0
    g_losses = [e["logs"]["g_loss"] for e in events if e["type"] == "batch"]
    assert np.std(g_losses) > 0.01 and abs(epochs[1]["g_loss"] - epochs[0]["g_loss"]) > 1e-4


def test_the_run_folder_holds_the_generator_the_discriminator_and_the_grids(dcgan_run) -> None:
    import keras

    outcome, events, folder = dcgan_run
    grids = [e for e in events if e["type"] == "gan_samples"]
    epoch_grids = [e for e in grids if not e["requested"]]
    assert [e["epoch"] for e in epoch_grids] == [0, 1]
    assert [Path(e["path"]).name for e in epoch_grids] == ["epoch_0001.png", "epoch_0002.png"]
    asked = [e for e in grids if e["requested"]]
    assert len(asked) == 1 and Path(asked[0]["path"]).name == "epoch_0002_batch_0002.png"
    for e in grids:
        image = Image.open(e["path"])
        assert image.size == (8 * 58 + 2, 8 * 58 + 2) and e["diversity"] > 0
    generator = keras.saving.load_model(folder / "model.keras")
    assert generator.name == "generator" and tuple(generator.input.shape) == (None, 64)
    assert tuple(generator.output.shape) == (None, 28, 28, 1)
    critic = keras.saving.load_model(folder / "discriminator.keras")
    assert tuple(critic.output.shape) == (None, 1)
    info = json.loads((folder / "gan.json").read_text())
    assert info["latent_dim"] == 64 and info["sample_shape"] == [28, 28, 1]
    assert info["roles"]["discriminator_output"] == "real_or_fake"
    history = (folder / "history.csv").read_text().splitlines()
    assert "g_loss" in history[0] and "diversity" in history[0] and len(history) == 3


def test_the_generator_exports_and_predict_draws_a_grid(dcgan_run, tmp_path, capsys) -> None:
    from nnstudio.cli import main
    from nnstudio.core.export import export_model
    from nnstudio.core.export.source import source_from_path

    _, _, folder = dcgan_run
    source = source_from_path(folder)
    report = export_model(source, ["keras"], tmp_path)
    assert report.results and all(r.ok for r in report.results), report
    card = json.loads((tmp_path / "model.keras.card.json").read_text())
    assert card["generator"]["latent_dim"] == 64
    assert "latent vectors" in card["generator"]["maps"]
    assert card["preprocessing"]["inputs"] == []
    out = tmp_path / "grid.png"
    code = main(
        ["predict", str(tmp_path / "model.keras"), "--count", "6", "--seed", "3", "--out", str(out)]
    )
    assert code == 0 and Image.open(out).size == (3 * 58 + 2, 2 * 58 + 2)
    assert "6 samples of 28x28x1" in capsys.readouterr().out


def test_a_wgan_gp_run_stops_within_its_first_epoch(tmp_path) -> None:
    from nnstudio.core.graph.builder import GraphBuilder
    from nnstudio.core.project import Project
    from nnstudio.core.training.data import TrainingData
    from nnstudio.core.training.job import TrainingJob, execute

    b = GraphBuilder()
    g = b.add("Dense", b.add("Input", name="z", shape=(4,)), name="fake", units=6)
    b.output(g)
    d = b.add("Dense", b.add("Input", name="x", shape=(6,)), name="critic", units=1)
    b.output(d)
    project = Project(graph=b.graph, name="w")
    project.training = {
        "epochs": 3,
        "batch_size": 8,
        "tensorboard": False,
        "gan": {"mode": "wgan-gp", "critic_steps": 2, "grid": 2},
    }
    x = np.random.default_rng(0).normal(size=(64, 6)).astype("float32")

    def listen(event: dict) -> None:
        if event["type"] == "batch" and event["batch"] == 2:
            state.request_stop()

    state = TaskState(listen, keep_events=True)
    job = TrainingJob.for_project(
        project,
        config=project.training.to_json(),
        run_dir=str(tmp_path / "run"),
        data=TrainingData.from_arrays(x, np.zeros(64, np.int32)),
    )
    outcome = execute(job, state)
    assert str(outcome.status) == "stopped" and outcome.result.epochs_completed == 0
    batches = [e for e in state.drain() if e["type"] == "batch"]
    assert len(batches) == 3 and all(np.isfinite(e["logs"]["d_loss"]) for e in batches)


def test_a_conditional_gan_feeds_the_labels_to_both_networks(tmp_path) -> None:
    from nnstudio.core.gan.config import GanConfig
    from nnstudio.core.gan.model import build_gan
    from nnstudio.core.gan.samples import render_grid_model
    from nnstudio.core.graph.builder import GraphBuilder

    b = GraphBuilder()
    z = b.add("Input", name="z", shape=(4,))
    label = b.add("Input", name="label", shape=(1,), dtype="int32")
    e = b.add("Flatten", b.add("Embedding", label, name="g_embed", input_dim=3, output_dim=2))
    g = b.add("Dense", b.add("Concatenate", [z, e]), name="fake", units=6)
    b.output(g)
    x = b.add("Input", name="x", shape=(6,))
    d_label = b.add("Input", name="d_label", shape=(1,), dtype="int32")
    de = b.add("Flatten", b.add("Embedding", d_label, name="d_embed", input_dim=3, output_dim=2))
    d = b.add("Dense", b.add("Concatenate", [x, de]), name="critic", units=1)
    b.output(d)
    model, nets = build_gan(b.graph, GanConfig(grid=2), seed=0)
    assert nets.roles.conditional and [t.name for t in nets.generator.inputs] == ["z", "label"]
    rng = np.random.default_rng(0)
    history = model.fit(
        rng.normal(size=(32, 6)).astype("float32"),
        rng.integers(0, 3, 32),
        batch_size=16,
        epochs=1,
        verbose=0,
    )
    assert np.isfinite(history.history["g_loss"][-1])
    labels = np.arange(4) % 3
    info = render_grid_model(nets.generator, tmp_path / "g.png", count=4, labels=labels)
    assert info["sample_shape"] == [6] and (tmp_path / "g.png").is_file()


def test_other_backends_are_refused_with_a_clear_message(monkeypatch) -> None:
    import keras

    from nnstudio.core.gan.model import GanError, check_backend

    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(GanError, match="needs the TensorFlow backend.*runs Keras on jax"):
        check_backend()


def test_a_gan_run_is_named_after_its_mode_and_two_learning_rates() -> None:
    from nnstudio.core.gan.config import GanConfig
    from nnstudio.core.gan.run import run_name
    from nnstudio.core.project import Project
    from nnstudio.core.training.config import TrainingConfig

    gan = GanConfig.from_json({"mode": "wgan-gp", "generator": {"learning_rate": 1e-4}})
    name = run_name(Project(name="p"), TrainingConfig(batch_size=8), gan)
    assert name == "Run 1 (GAN wgan-gp, lr G 0.0001 / D 0.0002, bs 8)"
