"""Matching layer types against what the user types (palette and quick search)."""

from __future__ import annotations

from nnstudio.core.catalog.spec import LayerSpec


def layer_matches(spec: LayerSpec, text: str) -> bool:
    """True if every word of ``text`` occurs in the layer's key, name or category."""
    words = text.lower().split()
    if not words:
        return True
    haystack = " ".join((spec.key, spec.display, spec.category, *spec.keras_classes)).lower()
    return all(word in haystack for word in words)
