"""Batches without TensorFlow: a Keras ``PyDataset`` over in-memory or memory-mapped arrays,
and Pillow decoding of image files.

The data layer builds ``tf.data`` pipelines when TensorFlow is installed (Keras 3 feeds them
to every backend).  A jax or torch install without TensorFlow gets these instead: the same
splits, the same per-epoch reshuffle from the seed, the same transforms (NumPy versions),
and images decoded by Pillow the way ``nnstudio predict`` reads them.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from typing import Any

import keras
import numpy as np

Loader = Callable[[np.ndarray], tuple[Any, Any]]
_PIL_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def use_tf_data() -> bool:
    """True when TensorFlow is installed (its ``tf.data`` pipelines are used)."""
    return importlib.util.find_spec("tensorflow") is not None


class ArrayBatches(keras.utils.PyDataset):
    """``n`` samples in batches of ``batch_size``: ``load(picks)`` returns the ``(x, y)`` of
    sample positions ``picks``.  With ``shuffle`` every epoch has a new order, drawn from
    ``seed`` (reproducible); ``sort`` reads each batch in position order (memory maps);
    ``reconstruct`` gives ``(x, x)`` (autoencoders)."""

    def __init__(
        self,
        n: int,
        load: Loader,
        batch_size: int,
        shuffle: bool,
        seed: int,
        *,
        sort: bool = False,
    ) -> None:
        super().__init__()
        self.n, self.load, self.batch_size = n, load, max(1, int(batch_size))
        self.shuffle, self.sort, self.reconstruct = shuffle, sort, False
        self._rng = np.random.default_rng(seed)
        self._order = self._draw()

    def _draw(self) -> np.ndarray:
        return self._rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __len__(self) -> int:
        return -(-self.n // self.batch_size)

    @property
    def num_batches(self) -> int:
        """Batches per epoch."""
        return len(self)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if not 0 <= index < len(self):
            raise IndexError(index)
        picks = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        x, y = self.load(np.sort(picks) if self.sort else picks)
        return (x, x) if self.reconstruct else (x, y)

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        for i in range(len(self)):
            yield self[i]

    def on_epoch_end(self) -> None:
        """A new order for the next epoch."""
        self._order = self._draw()


def split_batches(
    split: Any,
    transform: Callable[[np.ndarray], np.ndarray],
    batch_size: int,
    shuffle: bool,
    seed: int,
    sort: bool = False,
) -> ArrayBatches:
    """Batches of a data split (``x[rows]`` with ``y[idx]``), inputs through ``transform``."""
    rows, positions = np.asarray(split.xrows), np.asarray(split.idx)
    x, y = split.x, split.y

    def load(picks: np.ndarray) -> tuple[Any, Any]:
        return transform(np.asarray(x[rows[picks]])), np.asarray(y[positions[picks]])

    return ArrayBatches(len(positions), load, batch_size, shuffle, seed, sort=sort)


def decode_image(path: str, size: tuple[int, int], channels: int) -> np.ndarray | None:
    """One image file as uint8 ``(h, w, channels)`` (bilinear resize), ``None`` when Pillow
    cannot read it."""
    from PIL import Image, UnidentifiedImageError

    h, w = size
    try:
        with Image.open(path) as opened:
            img = opened.convert(_PIL_MODES[channels])
            if img.size != (w, h):
                img = img.resize((w, h), Image.Resampling.BILINEAR)
            arr = np.asarray(img, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return arr[..., None] if arr.ndim == 2 else arr


def decode_images(
    paths: list[str], size: tuple[int, int], channels: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every file decoded: ``(uint8 images, ok mask)``; unreadable ones stay zero."""
    out = np.zeros((len(paths), size[0], size[1], channels), np.uint8)
    ok = np.zeros(len(paths), bool)
    for i, path in enumerate(paths):
        img = decode_image(path, size, channels)
        if img is not None:
            out[i], ok[i] = img, True
    return out, ok
