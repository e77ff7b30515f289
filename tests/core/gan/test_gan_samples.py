"""Sample grids and the diversity measure (no Keras)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from nnstudio.core.gan.samples import (
    diversity,
    fixed_noise,
    grid_image,
    grid_name,
    request_samples,
    write_grid,
)
from nnstudio.core.tasks import TaskState


def test_diversity_falls_to_zero_when_the_samples_collapse() -> None:
    rng = np.random.default_rng(0)
    varied = rng.random((16, 8, 8, 1))
    collapsed = np.repeat(varied[:1], 16, axis=0)
    assert diversity(collapsed) < 1e-6 < 0.2 < diversity(varied)
    assert diversity(varied[:1]) == 0.0


def test_the_grid_lays_samples_out_in_rows_and_columns(tmp_path) -> None:
    samples = np.zeros((6, 28, 28, 1), np.float32)
    samples[4] = 1.0  # the fifth sample white
    img = grid_image(samples, columns=3)
    cell = 28 * 2 + 2  # upscaled twice, plus the gap
    assert img.shape == (2 * cell + 2, 3 * cell + 2) and img.dtype == np.uint8
    assert img[cell + 10, cell + 10] == 255 and img[10, 10] == 0
    rgb = grid_image(np.full((4, 5, 5, 3), -1.0))  # tanh range: shifted to [0, 1]
    assert rgb.shape[-1] == 3 and rgb[3, 3].tolist() == [0, 0, 0]
    path = write_grid(samples, tmp_path / "samples" / grid_name(0))
    assert path.name == "epoch_0001.png" and Image.open(path).size == (img.shape[1], img.shape[0])
    assert grid_name(2, 11) == "epoch_0003_batch_0012.png"


def test_fixed_noise_is_fixed_and_a_request_is_a_flag() -> None:
    assert np.array_equal(fixed_noise(4, 3, 5), fixed_noise(4, 3, 5))
    assert not np.array_equal(fixed_noise(4, 3, 5), fixed_noise(4, 3, 6))
    state = TaskState()
    request_samples(state)
    assert state.gan_sample_request is True
