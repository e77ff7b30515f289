"""The built-in blocks of the library, built in code (``scripts/make_blocks.py`` writes them
to ``resources/blocks``): residual block, inverted bottleneck, squeeze-and-excitation,
transformer encoder layer, U-Net down step and U-Net up step.

Each is a small graph whose Input nodes are the block's input ports (their shapes are a
typical use, e.g. 16x16 feature maps) and whose declared outputs are its output ports.
"""

from __future__ import annotations

from collections.abc import Callable

from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.graph.model import BlockDefinition, Graph

Conv = "Conv2D"


def residual_block() -> Graph:
    """Two 3x3 convolutions with batch normalization, added to the input (ResNet basic)."""
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(16, 16, 32))
    h = b.add(Conv, x, name="conv_1", filters=32, kernel_size=(3, 3), padding="same")
    h = b.add("BatchNormalization", h, name="bn_1")
    h = b.add("ReLU", h, name="relu_1")
    h = b.add(Conv, h, name="conv_2", filters=32, kernel_size=(3, 3), padding="same")
    h = b.add("BatchNormalization", h, name="bn_2")
    h = b.add("Add", [h, x], name="add")
    b.output(b.add("ReLU", h, name="relu_out"))
    return b.graph


def inverted_bottleneck() -> Graph:
    """MobileNetV2's block: 1x1 expand (x6), 3x3 depthwise, 1x1 project, added to the input."""
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(16, 16, 24))
    h = b.add(Conv, x, name="expand", filters=144, kernel_size=(1, 1), use_bias=False)
    h = b.add("BatchNormalization", h, name="expand_bn")
    h = b.add("ReLU", h, name="expand_relu6", max_value=6.0)
    h = b.add("DepthwiseConv2D", h, name="depthwise", padding="same", use_bias=False)
    h = b.add("BatchNormalization", h, name="depthwise_bn")
    h = b.add("ReLU", h, name="depthwise_relu6", max_value=6.0)
    h = b.add(Conv, h, name="project", filters=24, kernel_size=(1, 1), use_bias=False)
    h = b.add("BatchNormalization", h, name="project_bn")
    b.output(b.add("Add", [x, h], name="add"))
    return b.graph


def squeeze_excitation() -> Graph:
    """Channel attention: pool, squeeze (/4), excite (sigmoid), scale the input's channels."""
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(16, 16, 32))
    s = b.add("GlobalAveragePooling2D", x, name="squeeze", keepdims=True)
    s = b.add(Conv, s, name="reduce", filters=8, kernel_size=(1, 1), activation="relu")
    s = b.add(Conv, s, name="expand", filters=32, kernel_size=(1, 1), activation="sigmoid")
    b.output(b.add("Multiply", [x, s], name="scale"))
    return b.graph


def transformer_encoder_layer(dim: int = 64, heads: int = 4, seq_len: int = 32) -> Graph:
    """Self-attention and a feed-forward network, each added back and layer-normalized; its
    output has its input's shape, so it repeats (a stack of N layers)."""
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(seq_len, dim))
    a = b.add(
        "MultiHeadAttention",
        name="self_attention",
        num_heads=heads,
        key_dim=dim // heads,
        ports={"query": x, "value": x},
    )
    h = b.add("Add", [x, a], name="residual_1")
    h = b.add("LayerNormalization", h, name="norm_1")
    f = b.add("Dense", h, name="ffn_1", units=2 * dim, activation="relu")
    f = b.add("Dense", f, name="ffn_2", units=dim)
    h = b.add("Add", [h, f], name="residual_2")
    b.output(b.add("LayerNormalization", h, name="norm_2"))
    return b.graph


def unet_down_step() -> Graph:
    """Two 3x3 convolutions, then 2x2 max pooling; outputs: the skip tensor and the pooled."""
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(32, 32, 16))
    h = b.add(Conv, x, name="conv_1", filters=32, padding="same", activation="relu")
    h = b.add(Conv, h, name="skip", filters=32, padding="same", activation="relu")
    p = b.add("MaxPooling2D", h, name="down")
    b.output(h)
    b.output(p)
    return b.graph


def unet_up_step() -> Graph:
    """Upsample x2 and convolve, concatenate with the skip tensor, two 3x3 convolutions."""
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=(16, 16, 64))
    skip = b.add("Input", name="skip", shape=(32, 32, 32))
    u = b.add("UpSampling2D", x, name="up")
    u = b.add(Conv, u, name="up_conv", filters=32, padding="same", activation="relu")
    h = b.add("Concatenate", [u, skip], name="concat")
    h = b.add(Conv, h, name="conv_1", filters=32, padding="same", activation="relu")
    b.output(b.add(Conv, h, name="conv_2", filters=32, padding="same", activation="relu"))
    return b.graph


BUILTINS: dict[str, Callable[[], Graph]] = {
    "residual_block": residual_block,
    "inverted_bottleneck": inverted_bottleneck,
    "squeeze_excitation": squeeze_excitation,
    "transformer_encoder_layer": transformer_encoder_layer,
    "unet_down_step": unet_down_step,
    "unet_up_step": unet_up_step,
}


def builtin_definition(name: str) -> BlockDefinition:
    """The built-in block ``name`` as a definition (its description: the builder's doc)."""
    build = BUILTINS[name]
    doc = " ".join((build.__doc__ or "").split())
    return BlockDefinition(name, build(), doc)


def transformer_stack(
    layers: int = 6, seq_len: int = 32, vocab: int = 1000, dim: int = 64, heads: int = 4
) -> Graph:
    """A text classifier: embedding, the transformer encoder layer block repeated ``layers``
    times (separate weights), pooled into two classes (``dim`` other than 64: a narrower
    copy of the built-in block, for quick tests)."""
    from nnstudio.core.graph.block_commands import PlaceBlock, SetRepeat
    from nnstudio.core.graph.commands import Connect

    b = GraphBuilder()
    x = b.add("Input", name="tokens", shape=(seq_len,), dtype="int32")
    e = b.add("Embedding", x, name="embedding", input_dim=vocab, output_dim=dim)
    g = b.graph
    name = "transformer_encoder_layer"
    definition = builtin_definition(name)
    if (dim, heads, seq_len) != (64, 4, 32):
        definition.graph = transformer_encoder_layer(dim, heads, seq_len)
    place = PlaceBlock(g, name, (440.0, 0.0), definition)
    b.history.push(place)
    b.history.push(SetRepeat(g, place.node_id, layers))
    port = g.blocks[name].input_ports()[0]
    b.history.push(Connect(g, e, place.node_id, port))
    out = g.blocks[name].output_ports()[0]
    pool = b.add("GlobalAveragePooling1D", name="pool", pos=(660.0, 0.0))
    b.history.push(Connect(g, place.node_id, pool, "in", src_port=out))
    y = b.add("Dense", pool, name="label", units=2, activation="softmax", pos=(880.0, 0.0))
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    return g
