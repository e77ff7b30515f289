"""The core: pure Python and Keras; it knows no screen (see the README's architecture)."""
