"""Sample grids of a generator: the fixed noise batch, the PNG grid, the diversity measure.

During a GAN run :class:`SampleCallback` renders the generator's samples of one fixed noise
batch every ``sample_every`` epochs (``samples/epoch_0001.png`` in the run folder) and on
demand (:func:`request_samples` on the run's TaskState; ``samples/epoch_0003_batch_0012.png``),
adds ``diversity`` (the mean pairwise distance of those samples; it falls when the
generator collapses onto a few modes) to the epoch's logs, and emits::

    {"type": "gan_samples", "epoch": 0, "batch": None, "path": ".../samples/epoch_0001.png",
     "diversity": 0.21, "requested": False}

``epoch`` counts from 0 like the run's ``epoch`` events; ``batch`` is ``None`` at an epoch's
end; ``path`` is ``None`` when the run has no folder.  :func:`nnstudio.core.export.generator.render_grid_file` draws a grid
from a saved generator after the run.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np

SAMPLES_DIR = "samples"
REQUEST_FLAG = "gan_sample_request"
PAD = 2  # pixels between grid cells
MAX_CELL = 4  # upscaling of small samples in the grid


def request_samples(state: Any) -> None:
    """Ask a running GAN for a sample grid now (any thread; served after the next batch)."""
    setattr(state, REQUEST_FLAG, True)


def fixed_noise(count: int, latent_dim: int, seed: int) -> np.ndarray:
    """The same ``count`` standard-normal latent vectors for a given seed."""
    return np.random.default_rng(seed).standard_normal((count, latent_dim)).astype("float32")


def fixed_labels(count: int, classes: int) -> np.ndarray:
    """Class labels cycling through the classes (each grid row a run of them)."""
    return (np.arange(count) % max(1, classes)).astype("int32")


def diversity(samples: np.ndarray) -> float:
    """Mean pairwise Euclidean distance of the samples, per value (RMS), in [0, ~1] for
    images in [0, 1]; 0 when every sample is the same (mode collapse)."""
    flat = np.asarray(samples, np.float64).reshape(len(samples), -1)
    n = len(flat)
    if n < 2:
        return 0.0
    sq = np.sum(flat**2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * flat @ flat.T, 0.0)
    mean = np.sqrt(d2)[np.triu_indices(n, 1)].mean()
    return float(mean / math.sqrt(flat.shape[1]))


def to_unit(samples: np.ndarray) -> np.ndarray:
    """Samples scaled to [0, 1]: tanh outputs ([-1, 1]) are shifted, others clipped."""
    a = np.asarray(samples, np.float32)
    if a.size and float(np.nanmin(a)) < -0.01:
        a = (a + 1.0) / 2.0
    return np.clip(np.nan_to_num(a), 0.0, 1.0)


def grid_image(samples: np.ndarray, columns: int | None = None) -> np.ndarray:
    """One uint8 image (H, W) or (H, W, 3) of the samples in a grid, on a mid-grey ground.

    Images (H, W), (H, W, 1) and (H, W, 3) are shown as they are; other shapes are
    flattened into strips."""
    a = to_unit(samples)
    if a.ndim == 2:  # vectors: one strip each
        a = a[:, None, :, None]
    elif a.ndim == 3:
        a = a[..., None]
    elif a.ndim > 4 or a.shape[-1] not in (1, 3):
        a = a.reshape(len(a), 1, -1, 1)
    n, h, w, c = a.shape
    cols = columns or max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    scale = max(1, min(MAX_CELL, 64 // max(h, w, 1)))
    if scale > 1:
        a = a.repeat(scale, axis=1).repeat(scale, axis=2)
        h, w = h * scale, w * scale
    out = np.full((rows * (h + PAD) + PAD, cols * (w + PAD) + PAD, c), 0.5, np.float32)
    for i in range(n):
        r, col = divmod(i, cols)
        y, x = PAD + r * (h + PAD), PAD + col * (w + PAD)
        out[y : y + h, x : x + w] = a[i]
    img = (out * 255.0 + 0.5).astype(np.uint8)
    return img[..., 0] if c == 1 else img


def png_bytes(image: np.ndarray) -> bytes:
    """PNG file bytes of a uint8 image."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()


def write_grid(samples: np.ndarray, path: str | Path, columns: int | None = None) -> Path:
    """Write the samples' grid as a PNG (atomically); returns the path."""
    from nnstudio.core.atomic import atomic_write_bytes

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, png_bytes(grid_image(samples, columns)))
    return path


def generate(generator: Any, noise: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
    """The generator's samples (inference mode) for ``noise`` (and ``labels``)."""
    if labels is not None:
        spec = generator.inputs[1]
        shape = (len(labels), *(int(d) for d in spec.shape[1:]))
        labels = np.asarray(labels).astype(spec.dtype).reshape(shape)
        return np.asarray(generator([noise, labels], training=False))
    return np.asarray(generator(noise, training=False))


def grid_name(epoch: int, batch: int | None = None) -> str:
    """``epoch_0001.png`` (1-based, an epoch's end) or ``epoch_0001_batch_0012.png``."""
    stem = f"epoch_{epoch + 1:04d}"
    return f"{stem}_batch_{batch + 1:04d}.png" if batch is not None else f"{stem}.png"


def render_grid_model(
    model: Any,
    out_path: str | Path,
    *,
    count: int = 64,
    seed: int = 0,
    labels: np.ndarray | None = None,
    where: str = "the model",
    error: type[Exception] = ValueError,
) -> dict[str, Any]:
    """Write the grid of ``count`` samples of a generator in memory to ``out_path`` (see
    :func:`nnstudio.core.export.generator.render_grid_file` for a saved one)."""
    inputs = model.inputs if isinstance(model.inputs, list) else [model.inputs]
    shape = tuple(inputs[0].shape[1:])
    if len(shape) != 1 or shape[0] is None:
        raise error(f"{where}: not a generator (its first input is {shape}, not a latent vector)")
    if len(inputs) > 1 and labels is None:
        labels = fixed_labels(count, 10)
    noise = fixed_noise(count, int(shape[0]), seed)
    samples = generate(model, noise, labels if len(inputs) > 1 else None)
    path = write_grid(samples, out_path)
    return {
        "path": str(path),
        "count": count,
        "latent_dim": int(shape[0]),
        "sample_shape": list(samples.shape[1:]),
        "diversity": diversity(samples),
    }
