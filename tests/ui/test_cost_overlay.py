"""The cost overlay on the canvas (toggle, colours, legend, updates on edit) and the cost in
the Design workspace's summary line."""

from __future__ import annotations

from PySide6.QtGui import QColor
from ui_helpers import chain_project, node_id, show

from nnstudio.core.graph.commands import SetParam
from nnstudio.ui.canvas.cost_overlay import HEAT_STOPS, HeatScale, heat_color


def _heat(window, name):
    item = window.canvas.graph_scene().node_items[node_id(window, name)]
    return item.heat, item.heat_text


def test_heat_scale_and_colours() -> None:
    scale = HeatScale([0, 10, 1000])
    assert scale.position(0) is None
    assert scale.position(10) == 0.0
    assert scale.position(100) == 0.5  # log scale
    assert scale.position(1000) == 1.0
    assert heat_color(0.0) == QColor(HEAT_STOPS[0])
    assert heat_color(1.0) == QColor(HEAT_STOPS[-1])
    assert HeatScale([5, 5]).position(5) == 1.0


def test_overlay_toggles_from_the_view_menu_and_follows_the_values(window, wait_checked):
    show(window, chain_project())  # features (8,) -> hidden Dense 16 -> scores Dense 3
    wait_checked(window)
    overlay = window.canvas.cost_overlay
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert overlay.action in view_menu.actions()
    assert not overlay.legend.isVisible()
    assert _heat(window, "hidden") == (None, None)

    overlay.action.trigger()
    assert overlay.enabled and overlay.legend.isVisible()
    # hidden: 8 x 16 = 128 MACs (the dearest: red end); scores: 16 x 3 = 48 (blue end).
    assert _heat(window, "hidden") == (QColor(HEAT_STOPS[-1]), "128 MACs")
    assert _heat(window, "scores") == (QColor(HEAT_STOPS[0]), "48 MACs")
    assert _heat(window, "features") == (None, "0 MACs")  # no cost: no colour
    assert overlay.legend.tick_texts() == ["48 MACs", "78 MACs", "128 MACs"]

    overlay.legend.choice.setCurrentIndex(overlay.legend.choice.findData("activations"))
    assert overlay.mode == "activations"
    assert _heat(window, "hidden") == (QColor(HEAT_STOPS[-1]), "64 B")  # 16 float32
    assert _heat(window, "features")[1] == "32 B"
    assert overlay.legend.tick_texts()[-1] == "64 B"

    overlay.set_mode("macs")
    assert window.push(SetParam(window.graph, node_id(window, "scores"), "units", 100))
    wait_checked(window)
    # scores now does 16 x 100 = 1,600 MACs: the dearest.
    assert _heat(window, "scores") == (QColor(HEAT_STOPS[-1]), "1.6 k MACs")
    assert _heat(window, "hidden")[0] == heat_color(HeatScale([128, 1600]).position(128))

    overlay.action.trigger()
    assert not overlay.enabled and not overlay.legend.isVisible()
    assert _heat(window, "scores") == (None, None)


def test_legend_paints_its_colour_scale(window, wait_checked):
    show(window, chain_project())
    wait_checked(window)
    overlay = window.canvas.cost_overlay
    overlay.set_enabled(True)
    image = overlay.legend.grab().toImage()
    bar_y = overlay.legend.choice.height() + 16
    left = image.pixelColor(14, bar_y)
    right = image.pixelColor(image.width() - 14, bar_y)
    assert abs(left.blue() - QColor(HEAT_STOPS[0]).blue()) < 30 and left.blue() > left.red()
    assert right.red() > right.blue() + 100


def test_summary_line_shows_macs_flops_and_peaks(window, wait_checked):
    show(window, chain_project())
    wait_checked(window)
    text = window.issues_panel.summary.text()
    # MACs 128 + 48; FLOPs 2 x 176 + biases 19 + relu 16 + softmax 3 x 3.
    assert "176 MACs (396 FLOPs) per sample" in text
    # Inference peak: running hidden, the input (32 B) and its output (64 B) are alive.
    # Training (batch 32): all 108 B kept + the gradients of hidden's output and input (96 B).
    assert "peak activations 96 B inference, 6.38 KiB training (batch 32)" in text
