"""Matching layer types against what the user types (palette and quick search).

A layer matches when every typed word occurs in its key, name, category or Keras class, or
when the typed phrase is one of its other names (``nnstudio.core.catalog.synonyms``). Matches
are ranked so that the quick-add popup picks the most likely layer first.
"""

from __future__ import annotations

from nnstudio.core.catalog.spec import LayerSpec
from nnstudio.core.catalog.synonyms import synonyms_for

# Ranks, best first.
RANK_NAME = 0  # the key or the displayed name starts with the text
RANK_WORDS = 1  # every word occurs in the key, name, category or Keras class
RANK_SYNONYM = 2  # the text is one of the layer's other names
RANK_PARTIAL = 3  # the words occur in the layer's other names


def layer_rank(spec: LayerSpec, text: str) -> int | None:
    """How well ``text`` matches the layer (lower is better), or None when it does not."""
    words = text.lower().split()
    if not words:
        return RANK_WORDS
    phrase = " ".join(words)
    names = (spec.key.lower(), spec.display.lower(), spec.display.lower().replace(" ", ""))
    if any(name.startswith(phrase) for name in names):
        return RANK_NAME
    haystack = " ".join((spec.key, spec.display, spec.category, *spec.keras_classes)).lower()
    if all(word in haystack for word in words):
        return RANK_WORDS
    synonyms = synonyms_for(spec.key)
    if phrase in synonyms:
        return RANK_SYNONYM
    other = " ".join((haystack, *synonyms))
    if all(word in other for word in words):
        return RANK_PARTIAL
    return None


def layer_matches(spec: LayerSpec, text: str) -> bool:
    """True if ``text`` finds the layer by its names, category or other names."""
    return layer_rank(spec, text) is not None


def ranked(specs: list[LayerSpec], text: str) -> list[LayerSpec]:
    """The specs that match ``text``, best match first (catalog order among equals)."""
    scored = [
        (rank, i, s) for i, s in enumerate(specs) if (rank := layer_rank(s, text)) is not None
    ]
    return [s for _, _, s in sorted(scored, key=lambda t: (t[0], t[1]))]
