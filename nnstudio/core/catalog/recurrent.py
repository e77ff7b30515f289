"""Recurrent layers, each optionally bidirectional."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnstudio.core.catalog import common as c
from nnstudio.core.catalog.spec import LayerSpec, Param


def _build_recurrent(spec: LayerSpec, params: Mapping[str, Any], name: str) -> Any:
    from keras import layers

    cls = getattr(layers, spec.keras_class)
    if not params["bidirectional"]:
        return cls(name=name, **spec.keras_kwargs(params))
    inner = cls(name=f"{name}_cell", **spec.keras_kwargs(params))
    return layers.Bidirectional(inner, merge_mode=params["merge_mode"], name=name)


def _read_recurrent(spec: LayerSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    if "layer" in config and isinstance(config["layer"], Mapping):
        inner = config["layer"].get("config", {})
        params = c.read_normalised(spec, inner)
        params["bidirectional"] = True
        params["merge_mode"] = spec.param("merge_mode").validate(config.get("merge_mode", "concat"))
        return params
    return c.read_normalised(spec, config)


def _recurrent(key: str, display: str, help: str, gated: bool) -> LayerSpec:
    params = [
        Param("units", "int", 64, "Size of the hidden state.", min=1, max=100_000),
        c.activation("tanh"),
    ]
    if gated:
        params.append(c.activation("sigmoid", "recurrent_activation", "Activation of the gates."))
    params += [
        Param(
            "return_sequences",
            "bool",
            False,
            "Output the whole sequence (for stacking recurrent layers) instead of the last "
            "step only.",
        ),
        c.rate(0.0, "Dropout on the inputs.", "dropout"),
        c.rate(0.0, "Dropout on the recurrent state.", "recurrent_dropout"),
        c.use_bias(),
        Param(
            "bidirectional",
            "bool",
            False,
            "Read the sequence in both directions (wraps the layer in Bidirectional).",
            keras=None,
        ),
        Param(
            "merge_mode",
            "choice",
            "concat",
            "How the two directions are combined when bidirectional.",
            choices=("concat", "sum", "mul", "ave"),
            keras=None,
        ),
    ]
    return LayerSpec(
        key=key,
        display=display,
        category="Recurrent",
        help=help,
        params=tuple(params),
        keras_classes=(key,),
        key_params=("units", "return_sequences", "bidirectional"),
        input_rank=3,
        axes=("batch", "timesteps", "features"),
        rank_hint="Insert a Reshape to (timesteps, features) before it.",
        build_fn=_build_recurrent,
        read_fn=_read_recurrent,
        example_input=((10, 8),),
    )


SPECS = [
    _recurrent(
        "SimpleRNN",
        "Simple RNN",
        "A plain recurrent layer: the hidden state is updated from the previous state "
        "and the current input at every step. Input (batch, timesteps, features).",
        gated=False,
    ),
    _recurrent(
        "LSTM",
        "LSTM",
        "Long short-term memory: a gated recurrent layer that keeps information over "
        "long sequences. Input (batch, timesteps, features).",
        gated=True,
    ),
    _recurrent(
        "GRU",
        "GRU",
        "Gated recurrent unit: a lighter gated recurrent layer, often as good as LSTM. "
        "Input (batch, timesteps, features).",
        gated=True,
    ),
]
