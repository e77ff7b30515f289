"""Canvas benchmark: first paint, repaints while panning and zooming, edit-to-badge latency.

Graphs: residual networks generated with the GraphBuilder (about 200 and 1000 nodes, laid
out by the automatic layout) and, when the interop layer is present, Keras' ResNet-50
imported (177 nodes).  For each:

- first paint: from opening the project in the window to the canvas' first complete
  frame (scene built, fitted, painted);
- repaints: a sequence of pans (scroll steps, the view repaints what is exposed) and zooms
  (wheel steps around a point, everything repaints), at the whole-graph view and at 100 %;
  median and worst frame;
- edit-to-badge: a parameter edit that breaks a residual join (the Add's inputs no longer
  match) until the error badge is on the node, and its undo until the badge is gone;
  printed beside the time plain Keras takes to build the same functional model
  symbolically (what a non-incremental check would cost at least).

Targets: first paint under 1 s for 200 nodes; repaints under 16 ms median; edit-to-badge
under 100 ms.  Issue 17 ("thousands of nodes"): a synthetic graph of 5,000 nodes (the same
residual blocks, 714 of them): first paint under 1 s, pan and zoom median under 16 ms,
edit-to-badge under 150 ms.  ``--apps`` adds NASNetLarge and EfficientNetV2L (about 1,000
layers each, ``weights=None``): Keras building them, the import with its layout, then the
same measurements, and ``--shots DIR`` saves a screenshot of each graph fitted to the view.

    python benchmarks/canvas.py [--platform offscreen|xcb] [--cases 200,resnet50,1000,5000]
                                [--apps] [--shots DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def residual_project(blocks: int):
    """Input, stem, ``blocks`` residual blocks (5 nodes + Add + ReLU each), a head."""
    from nnstudio.core.graph.builder import GraphBuilder
    from nnstudio.core.layout import apply_positions, layered_layout
    from nnstudio.core.project import Project

    b = GraphBuilder()
    x = b.add("Input", name="image", shape=(32, 32, 3))
    h = b.add("Conv2D", x, name="stem", filters=16, padding="same", activation="relu")
    for i in range(blocks):
        r = b.add("Conv2D", h, name=f"b{i}_conv_a", filters=16, padding="same", use_bias=False)
        r = b.add("BatchNormalization", r, name=f"b{i}_bn_a")
        r = b.add("Activation", r, name=f"b{i}_relu_a", activation="relu")
        r = b.add("Conv2D", r, name=f"b{i}_conv_b", filters=16, padding="same", use_bias=False)
        r = b.add("BatchNormalization", r, name=f"b{i}_bn_b")
        h = b.add("Add", [h, r], name=f"b{i}_add")
        h = b.add("Activation", h, name=f"b{i}_out", activation="relu")
    h = b.add("GlobalAveragePooling2D", h, name="gap")
    y = b.add("Dense", h, name="label", units=10, activation="softmax")
    b.output(y, "sparse_categorical_crossentropy", ["accuracy"])
    apply_positions(b.graph, layered_layout(b.graph))
    return Project(graph=b.graph, name=f"residual x{blocks}")


def resnet50_project():
    """Keras' ResNet-50, imported (``None`` when the interop layer is missing)."""
    try:
        from nnstudio.core.interop import import_model
    except ImportError:
        return None
    import keras

    return import_model(keras.applications.ResNet50(weights=None), weights=False).project


def application_project(name: str):
    """A keras.applications model (``weights=None``) imported with its layout, and the
    seconds Keras took to build it and the import took (``None`` without the interop)."""
    try:
        from nnstudio.core.interop import import_model
    except ImportError:
        return None
    import keras

    start = time.perf_counter()
    model = getattr(keras.applications, name)(weights=None)
    built = time.perf_counter() - start
    start = time.perf_counter()
    project = import_model(model, weights=False).project
    return project, built, time.perf_counter() - start


# Layers whose output has as many channels as their input: an edit of a conv's filters
# before them reaches what comes after them.
CHANNEL_KEEPING = {
    "Activation",
    "AveragePooling2D",
    "BatchNormalization",
    "Cropping2D",
    "Dropout",
    "ELU",
    "LayerNormalization",
    "LeakyReLU",
    "MaxPooling2D",
    "ReLU",
    "SpatialDropout2D",
    "ZeroPadding2D",
}


def width_param(node) -> str | None:
    """The parameter that sets a Conv2D's or Dense's output channels (``None``: neither)."""
    if node.key == "Conv2D" and "filters" in node.params:
        return "filters"
    if node.key == "Dense" and "units" in node.params:
        return "units"
    return None


def join_names(graph) -> tuple[str, str]:
    """An Add near the middle of the graph and a Conv2D/Dense feeding one of its inputs
    (the edit that breaks the join), for graphs not generated here.  The conv's output
    must reach the Add through layers that keep the channel count only: after another
    conv (or a concatenation) its new width would be absorbed and break nothing."""
    adds = [n for n in graph.nodes.values() if n.key == "Add"]
    middle = len(adds) // 2
    for add in sorted(adds, key=lambda n: abs(adds.index(n) - middle)):
        for edge in graph.in_edges(add.id):
            node = graph.nodes[edge.src]
            while True:
                if width_param(node) is not None:
                    return add.name, node.name
                ins = graph.in_edges(node.id)
                if node.key not in CHANNEL_KEEPING or len(ins) != 1:
                    break
                node = graph.nodes[ins[0].src]
    raise LookupError("no Conv2D/Dense reaches an Add through channel-keeping layers")


def process(app, seconds: float = 0.0) -> None:
    end = time.perf_counter() + seconds
    app.processEvents()
    while time.perf_counter() < end:
        app.processEvents()


def wait_checked(app, window, timeout: float = 60.0) -> None:
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        app.processEvents()
        report = window.last_report
        if report is not None and report.full and window.checker.is_idle():
            return
        time.sleep(0.001)
    raise TimeoutError("the check did not finish")


def first_paint(app, window, project) -> float:
    from PySide6.QtCore import QEvent, QObject

    painted: list[float] = []

    class Watch(QObject):
        def eventFilter(self, obj, event):
            result = False
            if event.type() == QEvent.Type.Paint:
                painted.append(time.perf_counter())
            return result

    watch = Watch()
    viewport = window.canvas.viewport()
    viewport.installEventFilter(watch)
    start = time.perf_counter()
    window.set_project(project)
    app.processEvents()  # scene items, fit (posted), first paint
    app.processEvents()
    viewport.repaint()  # make sure the fitted view has been painted once, synchronously
    end = time.perf_counter()
    viewport.removeEventFilter(watch)
    return end - start


def frame_times(app, view, steps: int = 40) -> tuple[list[float], list[float]]:
    """Repaint times (s) for ``steps`` pans and ``steps`` zooms from the current view."""
    hbar, vbar = view.horizontalScrollBar(), view.verticalScrollBar()
    pans = []
    for i in range(steps):
        dx = 40 if (i // 10) % 2 == 0 else -40
        hbar.setValue(hbar.value() + dx)
        vbar.setValue(vbar.value() + (8 if i % 2 else -8))
        start = time.perf_counter()
        app.processEvents()  # the exposed strip is painted here
        pans.append(time.perf_counter() - start)
    zooms = []
    anchor = view.visible_scene_rect().center()
    zoom0 = view.zoom()
    for i in range(steps):
        factor = 1.08 if (i // 8) % 2 == 0 else 1 / 1.08
        view.set_zoom(view.zoom() * factor, anchor)
        start = time.perf_counter()
        app.processEvents()
        zooms.append(time.perf_counter() - start)
    view.set_zoom(zoom0, anchor)
    app.processEvents()
    return pans, zooms


def edit_to_badge(
    app, window, add_name: str, conv_name: str, repeat: int = 8
) -> tuple[list[float], list[float]]:
    """Times from a breaking edit to the error badge, and from its undo to the badge gone."""
    from nnstudio.core.graph.commands import SetParam

    graph = window.graph
    add_id = graph.node_by_name(add_name).id
    conv_id = graph.node_by_name(conv_name).id
    item = window.canvas.graph_scene().node_items[add_id]
    param = width_param(graph.nodes[conv_id]) or "filters"
    original = graph.nodes[conv_id].params[param]
    breaks, fixes = [], []
    for i in range(repeat):
        start = time.perf_counter()
        window.push(SetParam(graph, conv_id, param, original + 8 + i))
        while item.status.severity != "error":
            app.processEvents()
            if time.perf_counter() - start > EDIT_TIMEOUT_S:  # the edit did not break it
                window.undo_stack.undo()
                raise TimeoutError(f"no error badge on {add_name} after editing {conv_name}")
        breaks.append(time.perf_counter() - start)
        start = time.perf_counter()
        window.undo_stack.undo()
        while item.status.severity is not None:
            app.processEvents()
        fixes.append(time.perf_counter() - start)
        wait_checked(app, window)
    return breaks, fixes


EDIT_TIMEOUT_S = 30.0
KERAS_BUILD_MAX_NODES = 1500  # deeper: Keras' traversal exceeds the recursion limit


def keras_build_time(graph) -> float | None:
    """Seconds plain Keras takes to build the model, ``None`` if it cannot (a functional
    model thousands of layers deep exceeds Python's recursion limit in Keras' traversal,
    after minutes of building layers: not tried above ``KERAS_BUILD_MAX_NODES``)."""
    from nnstudio.core.compiler import build_model

    if len(graph.nodes) > KERAS_BUILD_MAX_NODES:
        return None
    start = time.perf_counter()
    try:
        build_model(graph)
    except RecursionError:
        return None
    return time.perf_counter() - start


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:6.1f} ms, worst {max(values) * 1000:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--platform", default="offscreen")
    parser.add_argument("--cases", default="200,resnet50,1000,5000")
    parser.add_argument("--apps", action="store_true", help="NASNetLarge, EfficientNetV2L")
    parser.add_argument("--shots", type=Path, help="a folder for a screenshot per graph")
    args = parser.parse_args()
    os.environ["QT_QPA_PLATFORM"] = args.platform
    tmp = tempfile.mkdtemp(prefix="nnstudio-bench-")
    os.environ["NNSTUDIO_DATA_DIR"] = str(Path(tmp) / "data")
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)

    from nnstudio.ui.engine import ENGINE_MODULES, load_modules

    load_modules(ENGINE_MODULES)  # as the app loads it (frozen out of GC), before timing

    from nnstudio.ui.app import create_application
    from nnstudio.ui.main_window import MainWindow

    app = create_application()
    window = MainWindow(plugins=False)
    window.resize(1600, 1000)
    window.show()
    window.engine.start()
    process(app, 0.2)

    wanted = args.cases.split(",")
    sizes = {"200": 28, "1000": 142, "5000": 714}
    cases = []
    for case in wanted:
        if case in sizes:
            blocks = sizes[case]
            mid = blocks // 2
            cases.append(
                (
                    f"residual, {case} nodes",
                    residual_project(blocks),
                    f"b{mid}_add",
                    f"b{mid}_conv_b",
                )
            )
        elif case == "resnet50":
            resnet = resnet50_project()
            if resnet is not None:
                cases.append(
                    ("ResNet-50 imported", resnet, "conv3_block2_add", "conv3_block2_3_conv")
                )
    for name in ("NASNetLarge", "EfficientNetV2L") if args.apps else ():
        found = application_project(name)
        if found is None:
            continue
        project, built, imported = found
        add_name, conv_name = join_names(project.graph)
        print(f"{name}: Keras builds it in {built:.1f} s, the import with layout {imported:.1f} s")
        cases.append((f"{name} imported", project, add_name, conv_name))
    print(
        f"platform: {args.platform}; canvas {window.canvas.viewport().width()}x"
        f"{window.canvas.viewport().height()} px"
    )
    for title, project, add_name, conv_name in cases:
        n = len(project.graph.nodes)
        build_s = keras_build_time(project.graph.copy())
        paint_s = first_paint(app, window, project)
        wait_checked(app, window)
        view = window.canvas
        print(f"\n{title} ({n} nodes, {len(project.graph.edges)} edges)")
        print(f"  first paint:           {paint_s * 1000:7.0f} ms   (target < 1000 ms)")
        view.fit_to_view()
        process(app)
        if args.shots:
            args.shots.mkdir(parents=True, exist_ok=True)
            shot = args.shots / (title.split(",")[0].split()[0] + f"-{n}.png")
            window.grab().save(str(shot))
            print(f"  screenshot (fitted):   {shot}")
        pans, zooms = frame_times(app, view)
        print(f"  fitted ({view.zoom() * 100:3.0f} % zoom):   pan  {ms(pans)}")
        print(f"                         zoom {ms(zooms)}")
        view.zoom_reset()
        view.center_on_node(project.graph.node_by_name(add_name).id)
        process(app)
        pans, zooms = frame_times(app, view)
        print(f"  at 100 %:              pan  {ms(pans)}")
        print(f"                         zoom {ms(zooms)}   (target median < 16 ms)")
        try:
            breaks, fixes = edit_to_badge(app, window, add_name, conv_name)
        except TimeoutError as exc:
            print(f"  edit -> error badge:   not measured ({exc})")
            window.undo_stack.clear()
            continue
        print(f"  edit -> error badge:   {ms(breaks)}   (target < 100 ms; 150 ms at 5,000)")
        print(f"  undo -> badge gone:    {ms(fixes)}")
        if build_s is None:
            print("  plain Keras: not built (too deep for its recursive traversal)")
        else:
            print(
                f"  plain Keras, building the functional model once: {build_s * 1000:6.0f} ms "
                f"(ratio badge/Keras {statistics.median(breaks) / build_s:.2f})"
            )
        window.undo_stack.clear()
    window.close_without_prompt()


if __name__ == "__main__":
    main()
