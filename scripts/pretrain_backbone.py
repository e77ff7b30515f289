"""Pretrain the shipped backbone weights of the transfer-learning template (deterministic).

``python scripts/pretrain_backbone.py [--out resources/weights] [--per-class 320] [--epochs 10]``

The template shows transfer learning without a download: a MobileNetV2 (alpha 0.35, 32x32)
is pretrained here on a larger source task, 52 classes of rendered letters (A-Z, a-z: 16,640
images from Pillow's font and the DejaVu faces, distorted as ``make_samples.py`` distorts
the digits), and its ``include_top=False`` weights are saved.  The template then reuses the
frozen network as the feature extractor of a digit classifier (a target task it never saw)
and fine-tunes it.  The network is built by the app's own compiler from a backbone node, so
the preprocessing is exactly the node's.  Nothing is downloaded; the weights are CC0 like the
samples.  Published ImageNet weights are used the same way: choose the file in the inspector.
"""

from __future__ import annotations

import argparse
import importlib.util
import string
import time
from pathlib import Path

import numpy as np
from PIL import ImageFont

from nnstudio.core.templates import TRANSFER_BACKBONE, TRANSFER_WEIGHTS

ROOT = Path(__file__).resolve().parents[1]
FONTS = sorted(Path("/usr/share/fonts/truetype/dejavu").glob("DejaVu*.ttf"))
SEED = 7
BN_MOMENTUM = 0.9


def _samples_module():
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "scripts/make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def letters(per_class: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` images of each of the 52 letters, pixels in [0, 1], shuffled."""
    samples = _samples_module()
    faces = [None, *FONTS]  # None: Pillow's own font, the one the digits use

    def font_for(face):
        if face is None:
            return samples._font
        return lambda size: ImageFont.truetype(str(face), size)

    xs, ys = [], []
    for label, char in enumerate(string.ascii_uppercase + string.ascii_lowercase):
        for _ in range(per_class):
            face = faces[int(rng.integers(len(faces)))]
            image = samples.render_glyph(char, rng, font_for(face))
            xs.append(np.asarray(image, np.float32) / 255.0)
            ys.append(label)
    order = rng.permutation(len(xs))
    return np.stack(xs)[order][..., None], np.array(ys, np.int64)[order]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "weights")
    parser.add_argument("--per-class", type=int, default=320)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()

    import keras

    from nnstudio.core.backbones.build import app_of
    from nnstudio.core.compiler import build_model
    from nnstudio.core.graph.builder import GraphBuilder

    keras.utils.set_random_seed(SEED)
    started = time.perf_counter()
    x, y = letters(args.per_class, np.random.default_rng(SEED))
    print(f"{len(x)} letter images in {time.perf_counter() - started:.1f} s", flush=True)
    b = GraphBuilder()
    h = b.add("Input", name="image", shape=(28, 28, 1))
    h = b.add(
        "PretrainedBackbone",
        h,
        name="backbone",
        weights="none",
        trainable="all",
        batchnorm="train",
        **TRANSFER_BACKBONE,
    )
    h = b.add("Dense", h, name="letter", units=52, activation="softmax")
    b.output(h, "sparse_categorical_crossentropy", ["accuracy"])
    model = build_model(b.graph)
    app = app_of(model.get_layer("backbone"))
    norms = [layer for layer in app.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in norms:  # keras.applications' 0.999 lags far behind a network trained anew
        layer.momentum = BN_MOMENTUM
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    split = len(x) * 9 // 10
    model.fit(
        x[:split],
        y[:split],
        batch_size=64,
        epochs=args.epochs,
        validation_data=(x[split:], y[split:]),
        verbose=2,
    )
    # the statistics the frozen network will use, measured at its final weights
    for start in range(0, split, 256):
        model(x[start : start + 256], training=True)
    _, accuracy = model.evaluate(x[split:], y[split:], batch_size=256, verbose=0)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / TRANSFER_WEIGHTS
    app.save_weights(str(path))
    print(
        f"inference-mode accuracy {accuracy:.3f} on {len(x) - split} held-out letters; "
        f"{path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
