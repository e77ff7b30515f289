"""Model > Keras Backend: a choice is saved and applies at the next start (Keras loads once
per process); the environment's KERAS_BACKEND wins; the engine loads the backend's package."""

from __future__ import annotations

import sys

from nnstudio.ui import backend_setting as bs


def test_the_menu_marks_the_backend_in_use_and_saves_a_choice_for_the_next_start(
    window,
) -> None:
    import keras

    current = keras.backend.backend()
    menu = window.backend_menu
    assert menu in [a.menu() for a in window.model_menu.actions() if a.menu()]
    menu.refresh()
    in_use = menu.actions_by_name[current]
    assert in_use.isChecked() and in_use.text().endswith("(in use)")
    other = next(n for n in ("jax", "torch", "tensorflow") if n != current)
    message = menu.choose(other)
    assert bs.saved_backend() == other and bs.pending_backend() == other
    assert "from the next start" in message and "loads once per process" in message
    assert menu.actions_by_name[other].text().endswith("(at next start)")
    assert menu.actions_by_name[other].isChecked()
    assert "at the next start" in menu.note.text() or "KERAS_BACKEND" in menu.note.text()
    assert "next start" in window.statusBar().currentMessage()
    assert menu.choose(current) == f"Keras runs on {bs.TITLES[current]}"
    assert bs.pending_backend() is None
    assert bs.backend_title() in window.engine_label.text()


def test_the_saved_backend_applies_before_keras_loads_unless_the_environment_says(
    monkeypatch,
) -> None:
    monkeypatch.delitem(sys.modules, "keras", raising=False)  # as at start: not loaded yet
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    bs.save_backend("jax")
    assert bs.apply_saved_backend() == "jax"
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    bs.save_backend("tensorflow")
    assert bs.apply_saved_backend() == "torch"  # an explicit KERAS_BACKEND wins


def test_the_engine_loads_the_backends_package() -> None:
    assert bs.engine_modules("jax") == ("numpy", "jax", "keras")
    assert bs.engine_modules("tensorflow") == ("numpy", "tensorflow", "keras")
    assert bs.engine_modules("torch") == ("numpy", "torch", "keras")
