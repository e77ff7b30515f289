"""Convolution layers."""

from __future__ import annotations

from nnstudio.core.catalog import common as c
from nnstudio.core.catalog.spec import LayerSpec, Param

_FILTERS = Param(
    "filters", "int", 32, "Number of output channels (feature maps).", min=1, max=100_000
)


def _conv(dims: int, *, causal: bool = False, dilation: bool = True) -> tuple[Param, ...]:
    params = [
        _FILTERS,
        c.ints("kernel_size", (3,) * dims, "Size of the convolution window."),
        c.ints("strides", (1,) * dims, "Step of the window."),
        c.padding(causal),
    ]
    if dilation:
        params.append(
            c.ints(
                "dilation_rate", (1,) * dims, "Spacing between kernel taps (atrous convolution)."
            )
        )
    params += [c.activation(), c.use_bias(), c.initializer()]
    return tuple(params)


_KEY = ("filters", "kernel_size", "strides", "activation")

SPECS = [
    LayerSpec(
        key="Conv1D",
        display="Conv 1D",
        category="Convolution",
        help=(
            "Slides learned filters along one axis (time or position) of a sequence of "
            "feature vectors; input (batch, steps, channels)."
        ),
        params=_conv(1, causal=True),
        key_params=_KEY,
        input_rank=3,
        axes=c.AXES[1],
        example_input=((20, 4),),
    ),
    LayerSpec(
        key="Conv2D",
        display="Conv 2D",
        category="Convolution",
        help=(
            "Slides learned filters over the height and width of an image; each filter "
            "produces one feature map. Input (batch, height, width, channels)."
        ),
        params=_conv(2),
        key_params=_KEY,
        input_rank=4,
        axes=c.AXES[2],
        example_input=((16, 16, 3),),
    ),
    LayerSpec(
        key="Conv3D",
        display="Conv 3D",
        category="Convolution",
        help="Filters over three spatial axes, for volumes and video clips.",
        params=_conv(3),
        key_params=_KEY,
        input_rank=5,
        axes=c.AXES[3],
        example_input=((8, 8, 8, 2),),
    ),
    LayerSpec(
        key="SeparableConv2D",
        display="Separable Conv 2D",
        category="Convolution",
        help=(
            "A depthwise convolution (one filter per channel) followed by a 1x1 pointwise "
            "convolution: far fewer weights than Conv 2D for similar results."
        ),
        params=(
            *_conv(2)[:5],
            Param("depth_multiplier", "int", 1, "Depthwise outputs per input channel.", min=1),
            c.activation(),
            c.use_bias(),
        ),
        key_params=_KEY,
        input_rank=4,
        axes=c.AXES[2],
        example_input=((16, 16, 3),),
    ),
    LayerSpec(
        key="DepthwiseConv2D",
        display="Depthwise Conv 2D",
        category="Convolution",
        help=(
            "Convolves each input channel with its own filter(s) and does not mix channels; "
            "the building block of MobileNet."
        ),
        params=(
            c.ints("kernel_size", (3, 3), "Size of the convolution window."),
            c.ints("strides", (1, 1), "Step of the window."),
            c.padding(),
            Param("depth_multiplier", "int", 1, "Outputs per input channel.", min=1),
            c.ints("dilation_rate", (1, 1), "Spacing between kernel taps."),
            c.activation(),
            c.use_bias(),
            c.initializer("depthwise_initializer"),
        ),
        key_params=("kernel_size", "strides", "depth_multiplier"),
        input_rank=4,
        axes=c.AXES[2],
        example_input=((16, 16, 3),),
    ),
    LayerSpec(
        key="Conv2DTranspose",
        display="Conv 2D Transpose",
        category="Convolution",
        help=(
            "Learned upsampling (sometimes called deconvolution): the output grows by the "
            "strides. Used in decoders, autoencoders and segmentation networks."
        ),
        params=(
            _FILTERS,
            c.ints("kernel_size", (3, 3), "Size of the convolution window."),
            c.ints("strides", (1, 1), "Upsampling factor."),
            c.padding(),
            c.activation(),
            c.use_bias(),
            c.initializer(),
        ),
        key_params=_KEY,
        input_rank=4,
        axes=c.AXES[2],
        example_input=((8, 8, 4),),
    ),
]
