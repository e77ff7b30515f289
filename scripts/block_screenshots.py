"""Screenshots of blocks in the window: a 6-layer transformer built from one repeated block
(collapsed and expanded), an imported model that arrives collapsed, the palette's My blocks
and the breadcrumb of an opened block.

``python scripts/block_screenshots.py --out DIR [--size 1366x768] [--resnet]``

Runs on Qt's offscreen platform with a temporary data folder; prints each PNG's path.
``--resnet`` also imports ResNet-50 (``keras.applications``, ``weights=None``: slow).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def transformer_project():
    """Tokens (32, 64) -> one "transformer_encoder_layer" block repeated 6 times -> head."""
    from nnstudio.core.graph.block_commands import GroupNodes, SetRepeat
    from nnstudio.core.graph.builder import GraphBuilder
    from nnstudio.core.project import Project

    b = GraphBuilder()
    x = b.add("Input", name="tokens", shape=(32, 64), pos=(0.0, 0.0))
    att = b.add(
        "MultiHeadAttention",
        name="attention",
        num_heads=4,
        key_dim=16,
        ports={"query": x, "value": x},
        pos=(240.0, 0.0),
    )
    add1 = b.add("Add", [x, att], name="residual_1", pos=(480.0, 0.0))
    ln1 = b.add("LayerNormalization", add1, name="norm_1", pos=(720.0, 0.0))
    ff1 = b.add("Dense", ln1, name="feed_forward", units=128, activation="relu", pos=(960, 120))
    ff2 = b.add("Dense", ff1, name="project", units=64, pos=(1200.0, 120.0))
    add2 = b.add("Add", [ln1, ff2], name="residual_2", pos=(1440.0, 0.0))
    ln2 = b.add("LayerNormalization", add2, name="norm_2", pos=(1680.0, 0.0))
    pool = b.add("GlobalAveragePooling1D", ln2, name="pool", pos=(1920.0, 0.0))
    out = b.add("Dense", pool, name="classes", units=10, activation="softmax", pos=(2160, 0))
    b.output(out, "sparse_categorical_crossentropy", ["accuracy"])
    g = b.graph
    group = GroupNodes(
        g,
        [att, add1, ln1, ff1, ff2, add2, ln2],
        "transformer_encoder_layer",
        "Self-attention and a feed-forward network, each with a residual and a norm.",
        shapes={},
    )
    group.redo()
    use = group.use_id
    g.nodes[use].name  # noqa: B018
    SetRepeat(g, use, 6).redo()
    return Project(graph=g, name="transformer6"), use


def nested_model_file(folder: Path) -> Path:
    """A small functional model with two nested functional sub-models, saved as .keras."""
    import keras

    def stage(name: str, width: int) -> keras.Model:
        inp = keras.Input((16, 16, width))
        h = keras.layers.Conv2D(width, 3, padding="same", activation="relu")(inp)
        h = keras.layers.Conv2D(width, 3, padding="same")(h)
        h = keras.layers.Add()([inp, h])
        return keras.Model(inp, keras.layers.ReLU()(h), name=name)

    inp = keras.Input((16, 16, 3), name="image")
    h = keras.layers.Conv2D(8, 3, padding="same", name="stem")(inp)
    h = stage("stage1", 8)(h)
    h = stage("stage2", 8)(h)
    h = keras.layers.GlobalAveragePooling2D(name="pool")(h)
    out = keras.layers.Dense(5, activation="softmax", name="classes")(h)
    path = folder / "nested.keras"
    keras.Model(inp, out, name="nested").save(path)
    return path


def resnet_file(folder: Path) -> Path:
    """ResNet-50 without weights, saved as .keras."""
    import keras

    path = folder / "resnet50.keras"
    keras.applications.ResNet50(weights=None).save(path)
    return path


class Shooter:
    """A window at one size, and helpers that settle it and grab PNGs."""

    def __init__(self, out: Path, size: tuple[int, int], data: Path) -> None:
        from PySide6.QtWidgets import QApplication

        from nnstudio.ui.engine import engine
        from nnstudio.ui.main_window import MainWindow

        self.app = QApplication.instance() or QApplication(sys.argv[:1])
        self.out, self.size = out, size
        eng = engine()
        eng.start()
        self.window = MainWindow(engine=eng, data_dir=data, plugins=False)
        self.window.resize(*size)
        self.window.show()
        self.wait()

    def wait(self, seconds: float = 30.0) -> None:
        w, end = self.window, time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            report = w.last_report
            if w.checker.is_idle() and report is not None and report.full:
                break
            time.sleep(0.02)
        for _ in range(5):
            self.app.processEvents()

    def shot(self, name: str) -> Path:
        path = self.out / f"blocks-{name}-{self.size[0]}x{self.size[1]}.png"
        self.window.grab().save(str(path))
        print(path)
        return path

    def fit(self) -> None:
        self.app.processEvents()
        self.window.canvas.fit_to_view()
        self.app.processEvents()


def shoot(out: Path, size: tuple[int, int], resnet: bool) -> None:
    data = Path(tempfile.mkdtemp(prefix="nnstudio-blocks-"))
    s = Shooter(out, size, data)
    w = s.window
    project, use = transformer_project()
    w.set_project(project)
    s.wait()
    w.arrange()
    w.undo_stack.clear()
    w.select_nodes([use])
    s.fit()
    s.shot("transformer-collapsed")
    w.blocks.toggle_expanded(use)
    s.wait()
    w.select_nodes([use])
    s.fit()
    s.shot("transformer-expanded")
    w.blocks.toggle_expanded(use)
    w.select_nodes([use])
    w.block_library.ask_save = lambda name, text: ("my_encoder", "My 4-head encoder layer")
    w.block_library.save_selection()  # so that My blocks lists one
    w.blocks.open_block(use)
    s.wait()
    w.arrange()
    s.fit()
    inner = w.blocks.graph
    w.select_nodes([inner.node_by_name("attention").id])
    w.palette_panel.tree.scrollToTop()
    s.shot("breadcrumb-and-my-blocks")
    w.blocks.go_to(0)
    w.maybe_save = lambda: True  # no unsaved-changes prompt between the scenes
    models = data / "models"
    models.mkdir()
    files = [nested_model_file(models)] + ([resnet_file(models)] if resnet else [])
    for path in files:
        w.show_error = lambda title, text: print(f"{title}: {text}")
        ok = w.import_model_file(path)
        print("imported", path.name, ok, w.statusBar().currentMessage())
        if ok:
            s.wait(120.0)
            s.fit()
            s.shot(f"import-{path.stem}")
            first = next((n.id for n in w.graph.nodes.values() if n.is_block), None)
            if first is not None:
                w.blocks.toggle_expanded(first)
                s.wait()
                w.select_nodes([first])
                s.app.processEvents()
                w.canvas.zoom_to_selection()
                s.app.processEvents()
                s.shot(f"import-{path.stem}-expanded")
    w.close_without_prompt()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", default="1366x768")
    parser.add_argument("--resnet", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["NNSTUDIO_DATA_DIR"] = tempfile.mkdtemp(prefix="nnstudio-data-")
    sys.path.insert(0, str(REPO))
    args.out.mkdir(parents=True, exist_ok=True)
    width, height = (int(v) for v in args.size.split("x"))
    shoot(args.out, (width, height), args.resnet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
