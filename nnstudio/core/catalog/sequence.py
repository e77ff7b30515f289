"""Text and sequence layers: embeddings and attention."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.core.catalog import common as c
from nnstudio.core.catalog.spec import LayerSpec, Param


def _call_mha(spec: LayerSpec, layer: Any, inputs: Mapping[str, Any]) -> Any:
    # ``key`` only when connected, so the model config reads like hand-written Keras.
    if inputs.get("key") is None:
        return layer(inputs["query"], inputs["value"])
    return layer(inputs["query"], inputs["value"], key=inputs["key"])


def _read_mha(spec: LayerSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    """Keras stores value_dim=key_dim when none was given: read that back as "none"."""
    params = c.read_normalised(spec, config)
    if params["value_dim"] == params["key_dim"]:
        params["value_dim"] = None
    return params


def _call_attention(spec: LayerSpec, layer: Any, inputs: Mapping[str, Any]) -> Any:
    tensors = [inputs["query"], inputs["value"]]
    if inputs.get("key") is not None:
        tensors.append(inputs["key"])
    return layer(tensors)


SPECS = [
    LayerSpec(
        key="Embedding",
        display="Embedding",
        category="Text & sequence",
        help=(
            "Turns integer token ids (0 .. input_dim-1) into learned dense vectors: "
            "(batch, length) becomes (batch, length, output_dim). Feed it an integer Input."
        ),
        params=(
            Param("input_dim", "int", 1000, "Vocabulary size (largest id + 1).", min=1),
            Param("output_dim", "int", 64, "Size of each embedding vector.", min=1),
            Param("mask_zero", "bool", False, "Treat id 0 as padding to be masked."),
            c.initializer("embeddings_initializer", "random_uniform"),
        ),
        key_params=("input_dim", "output_dim"),
        example_input=((12,),),
        example_dtype="int32",
    ),
    LayerSpec(
        key="MultiHeadAttention",
        display="Multi-Head Attention",
        category="Text & sequence",
        help=(
            "Scaled dot-product attention with several heads: each position of the query "
            "looks at every position of the value (and key). Connect the same tensor to "
            "query and value for self-attention. Output has the query's shape."
        ),
        params=(
            Param("num_heads", "int", 4, "Number of attention heads.", min=1),
            Param("key_dim", "int", 16, "Size of each head for query and key.", min=1),
            Param(
                "value_dim",
                "int",
                None,
                "Size of each head for value (empty: key_dim).",
                min=1,
                nullable=True,
            ),
            c.rate(0.0, "Dropout on the attention weights.", "dropout"),
            c.use_bias(),
        ),
        inputs=("query", "value", "key"),
        optional_inputs=frozenset({"key"}),
        key_params=("num_heads", "key_dim"),
        call_fn=_call_mha,
        read_fn=_read_mha,
        example_input=((10, 16), (10, 16), (10, 16)),
    ),
    LayerSpec(
        key="Attention",
        display="Attention",
        category="Text & sequence",
        help=(
            "Dot-product (Luong-style) attention of a query sequence over a value sequence; "
            "the key defaults to the value."
        ),
        params=(
            Param("use_scale", "bool", False, "Learn a scale for the scores."),
            Param(
                "score_mode", "choice", "dot", "How scores are computed.", choices=("dot", "concat")
            ),
            c.rate(0.0, "Dropout on the attention weights.", "dropout"),
        ),
        inputs=("query", "value", "key"),
        optional_inputs=frozenset({"key"}),
        call_fn=_call_attention,
        example_input=((10, 16), (10, 16), (10, 16)),
    ),
]
