"""What the app's GAN run costs over a plain Keras ``train_step`` GAN: images/s, app / plain.

The same two networks (the DCGAN template's generator and discriminator, built once and
cloned for each run with the same initial weights) and the same images (the shipped digits,
repeated to ``--samples``) are trained alternately by

* plain: a ``keras.Model`` subclass with the keras.io DCGAN ``train_step`` and ``fit``;
* app: the core training job (``execute`` of a ``TrainingJob``: RunCallback reporting every
  batch, NaN watch, kept weights, the fixed-noise sample grid and diversity every epoch,
  TensorBoard logs off unless ``--tensorboard``),

``--repeats`` times each in one process, alternately, from the start of training (the
``on_train_begin`` of ``fit``: model and data ready) to its end, first epoch (tracing)
included for both, both seeded with the template's seed (as the app seeds every run);
the medians and the best of each are compared, as images per wall-clock second and per
CPU-second of this process (the steadier measure when the machine is shared).  Target:
ratio >= 0.95.

    python benchmarks/gan.py [--samples 2560] [--epochs 3] [--repeats 4] [--batch-size 32]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The shipped digit images in [0, 1], repeated to ``n``."""
    from PIL import Image

    paths = sorted((ROOT / "resources" / "samples" / "digits").rglob("*.png"))
    x = np.stack([np.asarray(Image.open(p).convert("L"), np.float32) / 255.0 for p in paths])
    y = np.array([int(p.parent.name) for p in paths], np.int32)
    reps = -(-n // len(x))
    return np.tile(x, (reps, 1, 1))[:n, ..., None], np.tile(y, reps)[:n]


def plain_gan_class():
    """The keras.io DCGAN (``dcgan_overriding_train_step.py``), as plain as it comes."""
    import keras
    import tensorflow as tf

    class PlainGAN(keras.Model):
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__()
            self.discriminator, self.generator, self.latent_dim = (
                discriminator,
                generator,
                latent_dim,
            )
            self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
            self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

        def compile(self, d_optimizer, g_optimizer):
            super().compile()
            self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def train_step(self, data):
            real = data[0] if isinstance(data, tuple) else data
            batch = tf.shape(real)[0]
            z = tf.random.normal((batch, self.latent_dim))
            fake = self.generator(z, training=True)
            with tf.GradientTape() as tape:
                rl = self.discriminator(real, training=True)
                fl = self.discriminator(fake, training=True)
                d_loss = self.loss_fn(tf.ones_like(rl), rl) + self.loss_fn(tf.zeros_like(fl), fl)
            dv = self.discriminator.trainable_weights
            self.d_optimizer.apply(tape.gradient(d_loss, dv), dv)
            z = tf.random.normal((batch, self.latent_dim))
            with tf.GradientTape() as tape:
                gl = self.discriminator(self.generator(z, training=True), training=True)
                g_loss = self.loss_fn(tf.ones_like(gl), gl)
            gv = self.generator.trainable_weights
            self.g_optimizer.apply(tape.gradient(g_loss, gv), gv)
            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            return {m.name: m.result() for m in self.metrics}

    return PlainGAN


def time_plain(nets, x, y, epochs: int, batch_size: int, seed: int | None) -> tuple[float, float]:
    """Images per wall second and per CPU-second of the plain GAN (``fit`` on the arrays),
    from the start of training (``on_train_begin``, as the app's ``start`` event) to the
    end of ``fit``; seeded first as the app's run is."""
    import keras

    gen = keras.models.clone_model(nets.generator)
    gen.set_weights(nets.generator.get_weights())
    disc = keras.models.clone_model(nets.discriminator)
    disc.set_weights(nets.discriminator.get_weights())
    gan = plain_gan_class()(disc, gen, nets.latent_dim)
    gan.compile(keras.optimizers.Adam(5e-4, 0.5), keras.optimizers.Adam(5e-4, 0.5))
    marks: list[tuple[float, float]] = []

    class Mark(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            marks.append((time.perf_counter(), time.process_time()))

    if seed is not None:
        keras.utils.set_random_seed(seed)
    gan.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, shuffle=True, callbacks=[Mark()])
    (t0, c0), t1, c1 = marks[0], time.perf_counter(), time.process_time()
    n = len(x) * epochs
    return n / (t1 - t0), n / (c1 - c0)


def time_app(project, x, y, epochs: int, batch_size: int, tensorboard: bool) -> tuple[float, float]:
    """Images/s of the app's GAN job (its own data arrays path, a run folder for grids)."""
    from nnstudio.core.tasks import TaskState
    from nnstudio.core.training.data import TrainingData
    from nnstudio.core.training.job import TrainingJob, execute

    config = project.training.replace(epochs=epochs, batch_size=batch_size, tensorboard=tensorboard)
    marks: dict[str, tuple[float, float]] = {}

    def listen(event):
        if event["type"] in ("start", "end"):
            marks[event["type"]] = (time.perf_counter(), time.process_time())

    with tempfile.TemporaryDirectory() as folder:
        job = TrainingJob.for_project(
            project,
            config=config.to_json(),
            run_dir=str(Path(folder) / "run"),
            data=TrainingData.from_arrays(x, y),
        )
        outcome = execute(job, TaskState(listen, keep_events=False))
        if outcome.error or str(outcome.status) != "completed":
            raise SystemExit(f"the app's run failed: {outcome.message}")
    # from fit's start (data and model ready, as for the plain run) to the run's end event
    (t0, c0), (t1, c1) = marks["start"], marks["end"]
    n = len(x) * epochs
    return n / (t1 - t0), n / (c1 - c0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2560)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--tensorboard", action="store_true")
    args = parser.parse_args()

    from nnstudio.core.gan.model import build_networks
    from nnstudio.core.project import Project

    project = Project.load(ROOT / "resources" / "templates" / "dcgan.nnstudio")
    nets = build_networks(project.graph, project.training.gan, seed=0)
    x, y = digits(args.samples)
    seed = project.training.seed
    plain: list[tuple[float, float]] = []
    app: list[tuple[float, float]] = []
    load = os.getloadavg()[0]
    for _ in range(args.repeats):  # alternately, so that a change of load hits both
        plain.append(time_plain(nets, x, y, args.epochs, args.batch_size, seed))
        app.append(time_app(project, x, y, args.epochs, args.batch_size, args.tensorboard))
    print(
        f"images: {args.samples} x {args.epochs} epochs, batch {args.batch_size}, "
        f"{args.repeats} repeats each, alternating; seed {seed} for both; load average "
        f"{load:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    for label, runs in (("plain Keras train_step GAN", plain), ("app GAN run", app)):
        wall = ", ".join(f"{w:.0f}" for w, _ in runs)
        cpu = ", ".join(f"{c:.0f}" for _, c in runs)
        print(f"{label:27s}: {wall} images/s wall; {cpu} images per CPU-second")
    for what, i in (("wall", 0), ("CPU time", 1)):
        median = statistics.median(r[i] for r in app) / statistics.median(r[i] for r in plain)
        best = max(r[i] for r in app) / max(r[i] for r in plain)
        print(f"RATIO app / plain, {what}: median {median:.3f}, best of each {best:.3f}")
    print("(target >= 0.95; CPU time is the steadier measure on a shared machine: other")
    print(" processes' load lengthens wall time but not this process's CPU seconds)")


if __name__ == "__main__":
    main()
