"""The canvas frames of a GAN's two regions: drawn behind the nodes, following them as they
move (a drag, an undo), refitted when a node leaves; Arrange gives each region its room."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt

from nnstudio.core.gan.config import GanConfig
from nnstudio.core.gan.roles import split_roles
from nnstudio.core.gan.template import TRAINING, dcgan
from nnstudio.core.graph.commands import MoveNodes, RemoveNodes
from nnstudio.core.layout import NODE_H, NODE_W, apply_positions, layered_layout
from nnstudio.ui.canvas.gan_frames import FRAME_Z, frame_rect
from nnstudio.ui.canvas.scene import GraphScene
from nnstudio.ui.gan.arrange import REGION_GAP, arrange_command, region_positions
from nnstudio.ui.theme import canvas_colors


def _scene(qtbot):
    graph = dcgan().graph
    apply_positions(graph, layered_layout(graph))
    roles, issues = split_roles(graph, GanConfig.from_json(TRAINING["gan"]))
    assert roles is not None and not issues
    regions = {"Generator": roles.generator, "Discriminator": roles.discriminator}
    scene = GraphScene(graph, canvas_colors())
    scene.region_frames.set_regions(regions, {"Generator": "noise 64 → (28, 28, 1)"})
    return graph, scene, regions


def _contains_node(rect, scene, nid) -> bool:
    item = scene.node_items[nid]
    return rect.contains(item.sceneBoundingRect().adjusted(0, 0, 0, -30))


def test_each_region_is_framed_behind_its_nodes(qtbot) -> None:
    graph, scene, regions = _scene(qtbot)
    frames = scene.region_frames.frames
    assert set(frames) == {"Generator", "Discriminator"}
    for title, ids in regions.items():
        frame = frames[title]
        assert frame.zValue() == FRAME_Z < min(i.zValue() for i in scene.node_items.values())
        assert all(_contains_node(frame.rect, scene, n) for n in ids)
        assert frame.acceptedMouseButtons() == Qt.MouseButton.NoButton
        assert not frame.isSelected() and not (
            frame.flags() & frame.GraphicsItemFlag.ItemIsSelectable
        )
    assert frames["Generator"].subtitle == "noise 64 → (28, 28, 1)"
    # a click on a framed node still finds the node, not the frame
    nid = regions["Discriminator"][0]
    centre = scene.node_items[nid].sceneBoundingRect().center()
    assert scene.node_at(centre).node_id == nid
    scene.detach()


def test_a_frame_follows_its_node_when_dragged_and_on_undo(qtbot) -> None:
    graph, scene, regions = _scene(qtbot)
    frame = scene.region_frames.frames["Discriminator"]
    other = scene.region_frames.frames["Generator"]
    before, other_before = frame.rect, other.rect
    nid = regions["Discriminator"][-1]
    item = scene.node_items[nid]
    item.setPos(item.pos() + QPointF(0, 900))  # a drag in progress
    assert frame.rect.bottom() >= item.pos().y() + NODE_H
    assert frame.rect != before and other.rect == other_before
    command = MoveNodes(graph, {nid: (item.pos().x() + 600, item.pos().y())})
    command.redo()  # the model moves it (the scene mirrors the event)
    assert frame.rect.right() >= graph.nodes[nid].pos[0] + NODE_W
    command.undo()
    item.setPos(QPointF(*graph.nodes[nid].pos))
    assert _contains_node(frame.rect, scene, nid)
    scene.detach()


def test_frames_refit_when_a_node_is_removed_and_clear(qtbot) -> None:
    graph, scene, regions = _scene(qtbot)
    frame = scene.region_frames.frames["Generator"]
    last = regions["Generator"][-1]
    width = frame.rect.width()
    RemoveNodes(graph, [last]).redo()
    assert frame.rect.width() < width
    scene.region_frames.set_regions(None)
    assert not scene.region_frames.frames
    assert not any(type(i).__name__ == "RegionFrame" for i in scene.items())
    scene.detach()


def test_arrange_stacks_the_regions_with_room_for_both_frames(qtbot) -> None:
    graph, scene, regions = _scene(qtbot)
    pos = region_positions(graph, regions)
    assert set(pos) == set(graph.nodes)
    gen = frame_rect(pos[n] for n in regions["Generator"])
    disc = frame_rect(pos[n] for n in regions["Discriminator"])
    assert not gen.intersects(disc) and gen.bottom() < disc.top()
    assert disc.top() - gen.bottom() < REGION_GAP  # close, not far apart
    assert gen.width() < 2000  # a long region wraps instead of running off the screen
    command = arrange_command(graph, regions)
    command.redo()
    frames = scene.region_frames.frames
    assert not frames["Generator"].rect.intersects(frames["Discriminator"].rect)
    command.undo()
    assert frames["Generator"].rect.intersects(frames["Discriminator"].rect)  # layered layout
    scene.detach()


def test_frames_repaint_in_the_dark_theme(qtbot) -> None:
    from dataclasses import replace

    graph, scene, _ = _scene(qtbot)
    frame = scene.region_frames.frames["Generator"]
    light_accent = frame.accent()
    scene.set_colors(replace(scene.colors, dark=True))
    assert frame.colors.dark
    assert frame.accent().lightness() > light_accent.lightness()  # legible on dark
    scene.detach()
