"""The DCGAN template: 28x28 grayscale digits from a 64-number latent vector.

Generator: Dense -> 7x7x64 -> two strided transposed convolutions -> a sigmoid image (the
image pipeline gives pixels in [0, 1]).  Discriminator: two strided convolutions with
LeakyReLU, dropout, Dense(1) (a logit).  Registered in :mod:`nnstudio.core.templates`.
"""

from __future__ import annotations

from typing import Any

from nnstudio.core.graph.builder import GraphBuilder

LATENT = 64
BN_MOMENTUM = 0.8
SLOPE = 0.2

#: the template's training settings (``TrainingConfig`` JSON, with its ``gan`` section)
TRAINING: dict[str, Any] = {
    "epochs": 40,  # ~1600 steps: recognisable digits in 2-5 minutes on two cores
    "batch_size": 16,
    "validation": False,
    "probe_budget": 0.0,
    "gan": {
        "mode": "standard",
        "generator": {"learning_rate": 0.0005, "beta_1": 0.5, "beta_2": 0.999},
        "discriminator": {"learning_rate": 0.0005, "beta_1": 0.5, "beta_2": 0.999},
        "latent_input": "noise",
        "generator_output": "generated",
        "discriminator_input": "sample",
        "discriminator_output": "real_or_fake",
        "grid": 8,
    },
}


STRIDE_2: dict[str, Any] = {"kernel_size": (4, 4), "strides": (2, 2), "padding": "same"}


def _up(b: GraphBuilder, h: str, i: int, size: int, filters: int) -> str:
    """A generator stage: a strided transposed convolution to ``size``, norm, LeakyReLU."""
    h = b.add("Conv2DTranspose", h, name=f"up_{size}", filters=filters, use_bias=False, **STRIDE_2)
    h = b.add("BatchNormalization", h, name=f"g_norm_{i}", momentum=BN_MOMENTUM)
    return b.add("LeakyReLU", h, name=f"g_act_{i}", negative_slope=SLOPE)


def _down(b: GraphBuilder, h: str, i: int, filters: int) -> str:
    """A discriminator stage: a strided convolution and LeakyReLU."""
    h = b.add("Conv2D", h, name=f"d_conv_{i}", filters=filters, **STRIDE_2)
    return b.add("LeakyReLU", h, name=f"d_act_{i}", negative_slope=SLOPE)


def dcgan() -> GraphBuilder:
    """The DCGAN graph: generator (noise -> generated) and discriminator (sample -> logit)."""
    b = GraphBuilder()
    z = b.add("Input", name="noise", shape=(LATENT,))
    h = b.add("Dense", z, name="project", units=7 * 7 * 64, use_bias=False)
    h = b.add("BatchNormalization", h, name="g_norm_0", momentum=BN_MOMENTUM)
    h = b.add("LeakyReLU", h, name="g_act_0", negative_slope=SLOPE)
    h = b.add("Reshape", h, name="to_7x7", target_shape=(7, 7, 64))
    h = _up(b, h, 1, 14, 64)
    h = _up(b, h, 2, 28, 32)
    g = b.add(
        "Conv2D",
        h,
        name="generated",
        filters=1,
        kernel_size=(5, 5),
        padding="same",
        activation="sigmoid",
    )
    b.output(g, "mse")
    x = b.add("Input", name="sample", shape=(28, 28, 1))
    h = _down(b, x, 1, 32)
    h = _down(b, h, 2, 64)
    h = b.add("Flatten", h, name="d_flatten")
    h = b.add("Dropout", h, name="d_dropout", rate=0.3)
    d = b.add("Dense", h, name="real_or_fake", units=1)
    b.output(d, "binary_crossentropy")
    return b
