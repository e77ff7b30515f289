"""The Keras side of a GAN: the two networks built from the graph and the adversarial model.

:func:`build_networks` builds the generator and the discriminator with the app's compiler
(each from its own region of the graph, so the layers keep the node names).
:class:`GanModel` is a ``keras.Model`` whose ``train_step`` follows the keras.io examples
(``dcgan_overriding_train_step.py``, ``wgan_gp.py``): the standard non-saturating loss, or
WGAN-GP with ``critic_steps`` critic updates per generator update and a gradient penalty.
It needs the TensorFlow backend (``tf.GradientTape``); :func:`check_backend` says so.

Logged per batch and epoch: ``d_loss``, ``g_loss``, ``d_real`` (mean D(x): the probability
of "real" in standard mode, the critic score in WGAN-GP), ``d_fake`` (mean D(G(z))),
``d_accuracy`` (share of real and fake samples the discriminator tells apart at logit 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras

from nnstudio.core.gan.config import GanConfig
from nnstudio.core.gan.roles import GanRoles, split_roles, subgraph
from nnstudio.core.graph.model import Graph


class GanError(ValueError):
    """A GAN that cannot be built or trained here (the message says why)."""


def check_backend() -> None:
    """Raise :class:`GanError` unless Keras runs on TensorFlow."""
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise GanError(
            f"GAN training needs the TensorFlow backend (its train_step uses "
            f"tf.GradientTape); this process runs Keras on {backend}. Train it with "
            "KERAS_BACKEND=tensorflow."
        )


@dataclass
class GanNetworks:
    """The generator and discriminator models and what the run needs to know of them."""

    generator: Any
    discriminator: Any
    roles: GanRoles
    latent_dim: int
    sample_shape: tuple[int, ...]


def _ordered(model: Any, names: list[str], name: str) -> Any:
    """``model`` with its inputs in the order ``names`` (the compiler uses graph order)."""
    if len(names) == 1:
        return keras.Model(model.get_layer(names[0]).output, model.output, name=name)
    inputs = [model.get_layer(n).output for n in names]
    return keras.Model(inputs, model.output, name=name)


def build_networks(
    graph: Graph, config: GanConfig, *, seed: int | None = None, shapes: Any = None
) -> GanNetworks:
    """Build both networks of ``graph``; :class:`GanError` (with the GAN issues) when the
    roles cannot be found, ``CompileError`` for a broken region."""
    from nnstudio.core.compiler import build_model
    from nnstudio.core.gan.roles import gan_issues

    roles, issues = split_roles(graph, config, shapes)
    issues = gan_issues(graph, config, shapes) if roles is not None else issues
    errors = [i for i in issues if i.severity == "error"]
    if roles is None or errors:
        lines = []
        for i in errors:
            where = f"{graph.nodes[i.node].name}: " if i.node in graph.nodes else ""
            lines.append(f"- {where}{i.message}")
        raise GanError("The GAN cannot be built:\n" + "\n".join(lines))
    names = graph.nodes
    g_graph = subgraph(graph, roles.generator, [roles.generator_output])
    d_graph = subgraph(graph, roles.discriminator, [roles.discriminator_output])
    generator = build_model(g_graph, seed=seed, name="generator")
    discriminator = build_model(
        d_graph, seed=None if seed is None else seed + 1, name="discriminator"
    )
    g_inputs = [names[roles.latent].name] + ([names[roles.label].name] if roles.label else [])
    d_inputs = [names[roles.discriminator_input].name] + (
        [names[roles.discriminator_label].name] if roles.discriminator_label else []
    )
    generator = _ordered(generator, g_inputs, "generator")
    discriminator = _ordered(discriminator, d_inputs, "discriminator")
    latent = tuple(names[roles.latent].params["shape"])
    sample = tuple(int(d) for d in generator.output.shape[1:])
    return GanNetworks(generator, discriminator, roles, int(latent[0]), sample)


def make_optimizer(settings: Any) -> Any:
    """Adam with one network's learning rate and betas."""
    return keras.optimizers.Adam(
        learning_rate=settings.learning_rate, beta_1=settings.beta_1, beta_2=settings.beta_2
    )


class GanModel(keras.Model):
    """Generator and discriminator trained against each other by ``fit``.

    ``fit`` takes batches ``(images, labels)``: the labels are used only by a conditional
    GAN (both networks then take them as a second input).  ``model.optimizer`` is the
    generator's optimizer (the run reports its learning rate); ``d_optimizer`` the
    discriminator's.
    """

    def __init__(
        self,
        generator: Any,
        discriminator: Any,
        latent_dim: int,
        config: GanConfig,
        *,
        conditional: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.gan_config = config
        self.conditional = conditional
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in ("d_loss", "g_loss", "d_real", "d_fake", "d_accuracy")
        }

    def compile(self, g_optimizer: Any = None, d_optimizer: Any = None, **kwargs: Any) -> None:
        """Set both optimizers (defaults: the config's Adam settings)."""
        self.g_optimizer = g_optimizer or make_optimizer(self.gan_config.generator)
        self.d_optimizer = d_optimizer or make_optimizer(self.gan_config.discriminator)
        super().compile(optimizer=self.g_optimizer, **kwargs)

    def get_config(self) -> dict[str, Any]:
        """Plain facts only (the model is never saved whole: its two networks are)."""
        return {
            "name": self.name,
            "latent_dim": self.latent_dim,
            "conditional": self.conditional,
            "gan": self.gan_config.to_json(),
        }

    @property
    def metrics(self) -> list[Any]:
        """The trackers (reset by Keras at each epoch)."""
        return list(self.trackers.values())

    def call(self, inputs: Any, training: bool = False) -> Any:
        """The generator's samples for latent vectors (and labels, when conditional)."""
        return self.generator(inputs, training=training)

    # -- one step ---------------------------------------------------------------------
    def _labels(self, labels: Any) -> Any:
        """Class labels in the shape and dtype of the generator's label Input."""
        import tensorflow as tf

        spec = self.generator.inputs[1]
        shape = [-1, *(int(d) for d in spec.shape[1:])]
        return tf.reshape(tf.cast(labels, spec.dtype), shape)

    def _g_in(self, z: Any, labels: Any) -> Any:
        return [z, labels] if self.conditional else z

    def _d_in(self, x: Any, labels: Any) -> Any:
        return [x, labels] if self.conditional else x

    def train_step(self, data: Any) -> dict[str, Any]:
        """One generator step after one (standard) or ``critic_steps`` (WGAN-GP) critic
        steps, on one batch of real samples."""
        import tensorflow as tf

        real, labels = (data[0], data[1]) if isinstance(data, tuple | list) else (data, None)
        if self.conditional:
            if labels is None:
                raise GanError("a conditional GAN needs class labels in its data")
            labels = self._labels(labels)
        batch = tf.shape(real)[0]
        cfg = self.gan_config
        for _ in range(cfg.critic_steps if cfg.is_wgan else 1):
            z = tf.random.normal((batch, self.latent_dim))
            fake = self.generator(self._g_in(z, labels), training=True)
            with tf.GradientTape() as tape:
                real_logits = self.discriminator(self._d_in(real, labels), training=True)
                fake_logits = self.discriminator(self._d_in(fake, labels), training=True)
                d_loss = self._d_loss(real, fake, labels, real_logits, fake_logits)
            d_vars = self.discriminator.trainable_weights
            self.d_optimizer.apply(tape.gradient(d_loss, d_vars), d_vars)
        z = tf.random.normal((batch, self.latent_dim))
        with tf.GradientTape() as tape:
            fake = self.generator(self._g_in(z, labels), training=True)
            gen_logits = self.discriminator(self._d_in(fake, labels), training=True)
            if cfg.is_wgan:
                g_loss = -tf.reduce_mean(gen_logits)
            else:
                g_loss = _bce(tf.ones_like(gen_logits), gen_logits)
        g_vars = self.generator.trainable_weights
        self.g_optimizer.apply(tape.gradient(g_loss, g_vars), g_vars)
        self._track(d_loss, g_loss, real_logits, fake_logits)
        return {name: m.result() for name, m in self.trackers.items()}

    def _d_loss(self, real: Any, fake: Any, labels: Any, real_logits: Any, fake_logits: Any) -> Any:
        import tensorflow as tf

        if not self.gan_config.is_wgan:
            return _bce(tf.ones_like(real_logits), real_logits) + _bce(
                tf.zeros_like(fake_logits), fake_logits
            )
        wasserstein = tf.reduce_mean(fake_logits) - tf.reduce_mean(real_logits)
        return wasserstein + self.gan_config.gp_weight * self._gradient_penalty(real, fake, labels)

    def _gradient_penalty(self, real: Any, fake: Any, labels: Any) -> Any:
        """Mean ``(||grad D(x_hat)|| - 1)^2`` on random mixes of real and fake samples."""
        import tensorflow as tf

        real = tf.cast(real, fake.dtype)
        shape = tf.concat([tf.shape(real)[:1], tf.ones([tf.rank(real) - 1], tf.int32)], 0)
        alpha = tf.random.uniform(shape, 0.0, 1.0, dtype=fake.dtype)
        mixed = real + alpha * (fake - real)
        with tf.GradientTape() as tape:
            tape.watch(mixed)
            score = self.discriminator(self._d_in(mixed, labels), training=True)
        grads = tape.gradient(score, mixed)
        axes = tf.range(1, tf.rank(grads))
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=axes) + 1e-12)
        return tf.reduce_mean(tf.square(norm - 1.0))

    def _track(self, d_loss: Any, g_loss: Any, real_logits: Any, fake_logits: Any) -> None:
        import tensorflow as tf

        real_logits = tf.cast(real_logits, "float32")
        fake_logits = tf.cast(fake_logits, "float32")
        t = self.trackers
        t["d_loss"].update_state(d_loss)
        t["g_loss"].update_state(g_loss)
        if self.gan_config.is_wgan:
            t["d_real"].update_state(tf.reduce_mean(real_logits))
            t["d_fake"].update_state(tf.reduce_mean(fake_logits))
        else:
            t["d_real"].update_state(tf.reduce_mean(tf.sigmoid(real_logits)))
            t["d_fake"].update_state(tf.reduce_mean(tf.sigmoid(fake_logits)))
        right = tf.concat(
            [
                tf.cast(tf.reshape(real_logits, [-1]) > 0, "float32"),
                tf.cast(tf.reshape(fake_logits, [-1]) <= 0, "float32"),
            ],
            0,
        )
        t["d_accuracy"].update_state(tf.reduce_mean(right))

    def test_step(self, data: Any) -> dict[str, Any]:
        """Not used: a GAN run has no validation pass."""
        return {name: m.result() for name, m in self.trackers.items()}


def _bce(target: Any, logits: Any) -> Any:
    import tensorflow as tf

    logits = tf.cast(logits, "float32")
    return tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.cast(target, "float32"), logits=logits)
    )


def build_gan(
    graph: Graph, config: GanConfig, *, seed: int | None = None, shapes: Any = None
) -> tuple[GanModel, GanNetworks]:
    """The compiled :class:`GanModel` of ``graph`` and its networks (TensorFlow only)."""
    check_backend()
    nets = build_networks(graph, config, seed=seed, shapes=shapes)
    model = GanModel(
        nets.generator,
        nets.discriminator,
        nets.latent_dim,
        config,
        conditional=nets.roles.conditional,
        name="gan",
    )
    model.compile()
    return model, nets
