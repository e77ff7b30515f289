"""``nnstudio summary`` shows the cost of every layer (text and JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from nnstudio.cli import main

TEMPLATES = Path(__file__).resolve().parents[3] / "resources" / "templates"


def test_summary_json_has_the_cost_keys(capsys) -> None:
    path = str(TEMPLATES / "residual_cnn.nnstudio")
    assert main(["summary", "--json", "--batch-size", "8", path]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total_params"] == 38026  # the existing keys stay
    layers = {layer["name"]: layer for layer in data["layers"]}
    stem = layers["stem"]  # Conv2D 3x3, 1 -> 32 channels on 28x28, padding same
    assert stem["macs"] == 28 * 28 * 32 * 9
    assert stem["flops"] == 2 * stem["macs"] + 28 * 28 * 32 * 2  # bias and relu
    assert stem["param_bytes"] == 4 * 320
    assert stem["activation_bytes"] == 28 * 28 * 32 * 4
    assert data["total_macs"] == sum(layer["macs"] for layer in data["layers"])
    assert data["total_flops"] == sum(layer["flops"] for layer in data["layers"])
    assert data["total_param_bytes"] == 4 * 38026
    assert data["batch_size"] == 8
    assert data["peak_activation_bytes"] > stem["activation_bytes"]
    assert data["training_peak_activation_bytes"] > 8 * data["peak_activation_bytes"]


def test_summary_text_shows_cost_and_peaks(capsys) -> None:
    assert main(["summary", str(TEMPLATES / "residual_cnn.nnstudio")]) == 0
    out = capsys.readouterr().out
    assert "MACs" in out and "Activations" in out
    assert "Cost per sample: 18.3 M MACs, 36.9 M FLOPs" in out
    assert "(training, batch 32)" in out
