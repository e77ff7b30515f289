"""The template projects shipped in ``resources/templates``, built in code.

``scripts/make_templates.py`` writes them (and the example in ``resources/examples``) to disk;
tests check that each validates clean and compiles, that the files on disk equal what this
module builds, and that each learns on its shipped sample.  Every project carries its sample
as a data source whose path is relative to the project file (``../samples/...``), so that
``nnstudio train resources/templates/<key>.nnstudio`` trains without ``--data``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nnstudio.core.gan.template import TRAINING as DCGAN_TRAINING
from nnstudio.core.gan.template import dcgan
from nnstudio.core.graph.builder import GraphBuilder
from nnstudio.core.layout import apply_positions, layered_layout
from nnstudio.core.project import Project
from nnstudio.core.project_paths import NODE_PATH_PARAMS, to_memory

CE = "sparse_categorical_crossentropy"
SAMPLES = "../samples"  # the samples folder, relative to resources/templates and /examples
WEIGHTS = "../weights"  # the shipped pretrained weights, likewise
#: the transfer template's backbone weights (``scripts/pretrain_backbone.py`` makes them)
TRANSFER_WEIGHTS = "mobilenetv2_0.35_32_letters.weights.h5"
#: the backbone those weights belong to (the script builds the same one)
TRANSFER_BACKBONE: dict[str, Any] = {
    "architecture": "MobileNetV2",
    "alpha": 0.35,
    "input_size": 32,
}
BN_MOMENTUM = 0.8  # 0.99 needs hundreds of batches: the sample gives ~16 per epoch


def mlp() -> GraphBuilder:
    """Tabular classification: two hidden layers with dropout."""
    b = GraphBuilder()
    x = b.add("Input", name="features", shape=(4,))
    h = b.add("Dense", x, name="hidden_1", units=64, activation="relu")
    h = b.add("Dropout", h, name="dropout", rate=0.2)
    h = b.add("Dense", h, name="hidden_2", units=32, activation="relu")
    y = b.add("Dense", h, name="species", units=3, activation="softmax")
    b.output(y, CE, ["accuracy"])
    return b


def small_cnn() -> GraphBuilder:
    """Image classification: two conv/pool stages and a dense head."""
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(28, 28, 1))
    h = b.add("Conv2D", x, name="conv_1", filters=16, padding="same", activation="relu")
    h = b.add("MaxPooling2D", h, name="pool_1")
    h = b.add("Conv2D", h, name="conv_2", filters=32, padding="same", activation="relu")
    h = b.add("MaxPooling2D", h, name="pool_2")
    h = b.add("Flatten", h, name="flatten")
    h = b.add("Dense", h, name="dense", units=64, activation="relu")
    h = b.add("Dropout", h, name="dropout", rate=0.3)
    y = b.add("Dense", h, name="digit", units=10, activation="softmax")
    b.output(y, CE, ["accuracy"])
    return b


def lstm() -> GraphBuilder:
    """Sequence classification with a stacked LSTM."""
    b = GraphBuilder()
    x = b.add("Input", name="sequence", shape=(64, 1))
    h = b.add("LSTM", x, name="lstm_1", units=32, return_sequences=True)
    h = b.add("LSTM", h, name="lstm_2", units=32)
    h = b.add("Dense", h, name="dense", units=32, activation="relu")
    y = b.add("Dense", h, name="label", units=3, activation="softmax")
    b.output(y, CE, ["accuracy"])
    return b


def residual_cnn() -> GraphBuilder:
    """Image classification with two residual blocks (skip connections joined by Add)."""
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(28, 28, 1))
    h = b.add("Conv2D", x, name="stem", filters=32, padding="same", activation="relu")
    for i in (1, 2):
        r = b.add("Conv2D", h, name=f"block{i}_conv_a", filters=32, padding="same", use_bias=False)
        r = b.add("BatchNormalization", r, name=f"block{i}_bn_a", momentum=BN_MOMENTUM)
        r = b.add("Activation", r, name=f"block{i}_relu_a", activation="relu")
        r = b.add("Conv2D", r, name=f"block{i}_conv_b", filters=32, padding="same", use_bias=False)
        r = b.add("BatchNormalization", r, name=f"block{i}_bn_b", momentum=BN_MOMENTUM)
        h = b.add("Add", [h, r], name=f"block{i}_add")
        h = b.add("Activation", h, name=f"block{i}_out", activation="relu")
        if i == 1:
            h = b.add("MaxPooling2D", h, name="pool")
    h = b.add("GlobalAveragePooling2D", h, name="gap")
    y = b.add("Dense", h, name="digit", units=10, activation="softmax")
    b.output(y, CE, ["accuracy"])
    return b


def two_input() -> GraphBuilder:
    """Two inputs (numbers and a category embedding summary) joined by Concatenate."""
    b = GraphBuilder()
    a = b.add("Input", name="measurements", shape=(8,))
    c = b.add("Input", name="context", shape=(4,))
    ha = b.add("Dense", a, name="measurements_dense", units=32, activation="relu")
    hc = b.add("Dense", c, name="context_dense", units=16, activation="relu")
    h = b.add("Concatenate", [ha, hc], name="concat")
    h = b.add("Dense", h, name="joint", units=32, activation="relu")
    y = b.add("Dense", h, name="target", units=1)
    b.output(y, "mse", ["mae"])
    return b


def transformer() -> GraphBuilder:
    """A transformer encoder block over token ids, pooled into a classifier."""
    b = GraphBuilder()
    x = b.add("Input", name="tokens", shape=(32,), dtype="int32")
    e = b.add("Embedding", x, name="embedding", input_dim=1000, output_dim=64)
    a = b.add(
        "MultiHeadAttention",
        name="self_attention",
        num_heads=4,
        key_dim=16,
        ports={"query": e, "value": e},
    )
    h = b.add("Add", [e, a], name="residual_1")
    h = b.add("LayerNormalization", h, name="norm_1")
    f = b.add("Dense", h, name="ffn_1", units=128, activation="relu")
    f = b.add("Dense", f, name="ffn_2", units=64)
    h = b.add("Add", [h, f], name="residual_2")
    h = b.add("LayerNormalization", h, name="norm_2")
    h = b.add("GlobalAveragePooling1D", h, name="pool")
    y = b.add("Dense", h, name="label", units=2, activation="softmax")
    b.output(y, CE, ["accuracy"])
    return b


def autoencoder() -> GraphBuilder:
    """A convolutional autoencoder that reconstructs 28x28 images."""
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(28, 28, 1))
    h = b.add("Conv2D", x, name="enc_1", filters=16, padding="same", activation="relu")
    h = b.add("MaxPooling2D", h, name="down_1")
    h = b.add("Conv2D", h, name="enc_2", filters=8, padding="same", activation="relu")
    h = b.add("MaxPooling2D", h, name="code")
    h = b.add("Conv2D", h, name="dec_1", filters=8, padding="same", activation="relu")
    h = b.add("UpSampling2D", h, name="up_1")
    h = b.add("Conv2D", h, name="dec_2", filters=16, padding="same", activation="relu")
    h = b.add("UpSampling2D", h, name="up_2")
    y = b.add("Conv2D", h, name="reconstruction", filters=1, padding="same", activation="sigmoid")
    # binary cross-entropy: with MSE the sigmoid output settles on black (the mean image)
    b.output(y, "binary_crossentropy", ["mae"])
    return b


def transfer() -> GraphBuilder:
    """Transfer learning: a MobileNetV2 pretrained on rendered letters (the shipped
    weights) as the frozen feature extractor of a digit classifier; its last stages
    fine-tune in a second phase (the template's training settings)."""
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(28, 28, 1))
    h = b.add(
        "PretrainedBackbone",
        x,
        name="backbone",
        **TRANSFER_BACKBONE,
        weights_file=f"{WEIGHTS}/{TRANSFER_WEIGHTS}",
        trainable="from_stage",
        unfreeze_from=13,
    )
    h = b.add("Dropout", h, name="dropout", rate=0.2)
    y = b.add("Dense", h, name="digit", units=10, activation="softmax")
    b.output(y, CE, ["accuracy"])
    return b


TEMPLATES: dict[str, tuple[str, str, Callable[[], GraphBuilder]]] = {
    "mlp": ("MLP for tabular data", "Classify rows of a table with two hidden layers.", mlp),
    "small_cnn": ("Small CNN", "Classify small images with two convolution stages.", small_cnn),
    "lstm": ("LSTM for sequences", "Classify time series with a stacked LSTM.", lstm),
    "residual_cnn": (
        "Residual CNN",
        "Two residual blocks with skip connections (Add).",
        residual_cnn,
    ),
    "two_input": (
        "Two-input model",
        "Join two inputs with Concatenate for one regression target.",
        two_input,
    ),
    "transformer": (
        "Transformer encoder",
        "Self-attention, residuals and layer norm over token ids.",
        transformer,
    ),
    "autoencoder": ("Convolutional autoencoder", "Compress and reconstruct images.", autoencoder),
    "transfer": (
        "Transfer learning (pretrained MobileNetV2)",
        "Reuse a network pretrained on letters to classify digits; then fine-tune it.",
        transfer,
    ),
    "dcgan": (
        "DCGAN (generative)",
        "A generator and a discriminator trained against each other to make digits.",
        dcgan,
    ),
}


GAN_TEMPLATES = ("dcgan",)

# The shipped sample of each template (a file or folder in ``resources/samples``, with the
# data options it needs) and the training settings that make the template learn on it.
SAMPLE_DATA: dict[str, dict[str, Any]] = {
    "mlp": {"kind": "csv", "path": "species.csv", "target_columns": ["species"]},
    "small_cnn": {"kind": "images", "path": "digits"},
    "lstm": {"kind": "numpy", "path": "waveforms.npz"},
    "residual_cnn": {"kind": "images", "path": "digits"},
    "two_input": {"kind": "numpy", "path": "two_inputs.npz", "targets_key": "target"},
    "transformer": {"kind": "numpy", "path": "tokens.npz"},
    "autoencoder": {"kind": "images", "path": "digits", "targets": "inputs"},
    "transfer": {"kind": "images", "path": "digits"},
    "dcgan": {"kind": "images", "path": "digits", "val_fraction": 0.0},
}
TRAINING: dict[str, dict[str, Any]] = {
    "mlp": {"epochs": 30, "batch_size": 16},
    "small_cnn": {"epochs": 10, "batch_size": 16, "learning_rate": 0.002},
    "lstm": {"epochs": 15, "batch_size": 16, "learning_rate": 0.005},
    "residual_cnn": {"epochs": 10},
    "two_input": {"epochs": 30, "batch_size": 16, "learning_rate": 0.005},
    "transformer": {"epochs": 10},
    "autoencoder": {"epochs": 10},
    "transfer": {
        "epochs": 8,
        "batch_size": 32,
        "learning_rate": 0.002,
        "finetune_epochs": 3,
        "finetune_learning_rate": 0.0002,
    },
    "dcgan": DCGAN_TRAINING,
}


def sample_data(key: str, samples: str | Path) -> dict[str, Any]:
    """The data source of template ``key``: its sample inside the folder ``samples``."""
    data = copy.deepcopy(SAMPLE_DATA[key])
    data["path"] = f"{str(samples).rstrip('/')}/{data['path']}"
    return data


EXAMPLE_NAME = "Example: handwritten digits"
EXAMPLE_DESCRIPTION = (
    "A small convolutional network that classifies 28x28 grayscale digits into 10 classes. "
    "Select a layer to see its settings; drag layers from the palette to change the model."
)


def build_template(key: str, samples: str | Path | None = None) -> Project:
    """The template project ``key``, laid out left to right.

    With ``samples`` (the samples folder: ``"../samples"`` in the shipped files, an absolute
    folder for an untitled project) it carries its sample as the data source and the
    training settings that suit it, so that it trains as it is.
    """
    title, description, make = TEMPLATES[key]
    graph = make().graph
    if samples is not None and Path(samples).is_absolute():
        # an untitled project has no folder: its files (the shipped weights, relative to
        # the templates folder) are made absolute, as its sample is
        templates = Path(samples).parent / "templates"
        for node in graph.nodes.values():
            for name in NODE_PATH_PARAMS:
                value = node.params.get(name)
                if isinstance(value, str) and value:
                    node.params[name] = to_memory(value, templates)
    apply_positions(graph, layered_layout(graph))
    if key in GAN_TEMPLATES:  # the two networks one above the other, room for their frames
        from nnstudio.core.gan.config import GanConfig
        from nnstudio.core.gan.layout import place_regions

        place_regions(graph, GanConfig.from_json(TRAINING[key]["gan"]))
    project = Project(graph=graph, name=title, description=description)
    if samples is not None:
        project.data = sample_data(key, samples)
        project.training = copy.deepcopy(TRAINING[key])
    return project


def build_example(samples: str | Path = SAMPLES) -> Project:
    """The bundled example (``resources/examples/digits_cnn.nnstudio``): the small CNN."""
    project = build_template("small_cnn", samples)
    wrap = {  # two rows, so that the example fits the canvas at 100 %
        nid: (node.pos[0] - 1170.0, 200.0)
        for nid, node in project.graph.nodes.items()
        if node.pos[0] >= 1300.0
    }
    apply_positions(project.graph, wrap)
    project.name = EXAMPLE_NAME
    project.description = EXAMPLE_DESCRIPTION
    return project
