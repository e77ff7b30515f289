"""The Data workspace's parts: the source bar, the options form, the background inspection
and the bridge to the window (undoable edits, the data/model check, re-locating data).

:class:`~nnstudio.ui.data_panel.DataPanel` puts them together.
"""
