"""Core layers: Dense, activations, dropout and noise."""

from __future__ import annotations

from nnstudio.core.catalog import common as c
from nnstudio.core.catalog.spec import LayerSpec, Param


def _dense_on_many_axes(shape: tuple[int | None, ...]) -> tuple[str, str] | None:
    """Dense on an image or a volume acts per position, rarely what was meant."""
    if len(shape) <= 3:
        return None
    return (
        "it acts on the last axis only.",
        "Insert Flatten or a global pooling layer if you meant one vector per sample.",
    )


SPECS = [
    LayerSpec(
        key="Dense",
        display="Dense",
        category="Core",
        help=(
            "A fully connected layer: every output unit is a weighted sum of all inputs plus "
            "a bias, passed through the activation. On inputs with more than two axes it acts "
            "on the last axis only."
        ),
        params=(
            Param("units", "int", 64, "Number of output units.", min=1, max=1_000_000),
            c.activation(),
            c.use_bias(),
            c.initializer(),
        ),
        key_params=("units", "activation"),
        input_warning=_dense_on_many_axes,
    ),
    LayerSpec(
        key="Activation",
        display="Activation",
        category="Core",
        help="Applies an activation function element-wise (softmax along the last axis).",
        params=(c.activation("relu"),),
        key_params=("activation",),
    ),
    LayerSpec(
        key="ReLU",
        display="ReLU",
        category="Core",
        help=(
            "Rectified linear unit as a layer, with an optional cap (max_value 6 gives ReLU6), "
            "a slope below the threshold and a threshold."
        ),
        params=(
            Param(
                "max_value",
                "float",
                None,
                "Upper cap of the output (empty: none).",
                min=0.0,
                nullable=True,
            ),
            Param("negative_slope", "float", 0.0, "Slope below the threshold.", min=0.0),
            Param("threshold", "float", 0.0, "Values below this are damped."),
        ),
        key_params=("max_value",),
    ),
    LayerSpec(
        key="LeakyReLU",
        display="Leaky ReLU",
        category="Core",
        help="ReLU that lets a small gradient through for negative inputs.",
        params=(Param("negative_slope", "float", 0.3, "Slope for negative inputs.", min=0.0),),
        key_params=("negative_slope",),
    ),
    LayerSpec(
        key="Softmax",
        display="Softmax",
        category="Core",
        help="Softmax along an axis: turns scores into probabilities that sum to one.",
        params=(Param("axis", "int", -1, "Axis to normalise over."),),
    ),
    LayerSpec(
        key="Dropout",
        display="Dropout",
        category="Core",
        help=(
            "Randomly sets a fraction of inputs to zero during training, which reduces "
            "over-fitting. It does nothing at inference."
        ),
        params=(
            c.rate(),
            c.seed(),
            Param(
                "noise_shape",
                "ints",
                None,
                "Shape of the dropout mask, with 1 where one draw is shared along an axis "
                "and empty for the batch (e.g. batch, 1, 1, channels drops whole feature "
                "maps); empty: one draw per value.",
                min=1,
                nullable=True,
                none_items=True,
            ),
        ),
        key_params=("rate",),
    ),
    LayerSpec(
        key="SpatialDropout1D",
        display="Spatial Dropout 1D",
        category="Core",
        help="Dropout that drops whole channels of a sequence instead of single values.",
        params=(c.rate(), c.seed()),
        key_params=("rate",),
        input_rank=3,
        axes=c.AXES[1],
        example_input=((10, 8),),
    ),
    LayerSpec(
        key="SpatialDropout2D",
        display="Spatial Dropout 2D",
        category="Core",
        help="Dropout that drops whole feature maps of an image instead of single pixels.",
        params=(c.rate(), c.seed()),
        key_params=("rate",),
        input_rank=4,
        axes=c.AXES[2],
        example_input=((8, 8, 4),),
    ),
    LayerSpec(
        key="GaussianNoise",
        display="Gaussian Noise",
        category="Core",
        help="Adds zero-mean Gaussian noise while training: a regulariser and an augmentation.",
        params=(
            Param("stddev", "float", 0.1, "Standard deviation of the noise.", min=0.0),
            c.seed(),
        ),
        key_params=("stddev",),
    ),
]
