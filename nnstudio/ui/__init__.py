"""The desktop editor (PySide6).  It mirrors the core model and drives it through commands.

Nothing here imports TensorFlow or Keras at module level: :mod:`nnstudio.ui.engine` loads them
off the GUI thread once the window is shown.
"""
