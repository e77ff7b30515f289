"""prepare(): a checked source becomes train / validation / test tf.data pipelines.

One source kind, one :class:`~nnstudio.core.data.datasets.Source`:
:mod:`.tabular_pipeline` (CSV), :mod:`.numpy_pipeline` (NumPy arrays) and
:mod:`.image_pipeline` (image folders). TensorFlow is imported lazily, inside
the functions.
"""

from __future__ import annotations

from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.datasets import Source, index_batches
from nnstudio.core.data.errors import DataError
from nnstudio.core.data.image_pipeline import ImageSource
from nnstudio.core.data.inspection import load_source
from nnstudio.core.data.memory import default_cache_budget
from nnstudio.core.data.multi_input import multi_input_source
from nnstudio.core.data.numpy_pipeline import NumpySource
from nnstudio.core.data.prepared import PreparedData
from nnstudio.core.data.progress import CancelledFn, ProgressFn, as_state
from nnstudio.core.data.tabular_pipeline import TabularSource

__all__ = ["PreparedData", "index_batches", "prepare"]


def prepare(
    config: DataConfig,
    *,
    batch_size: int,
    seed: int | None = None,
    cache_budget_bytes: int | None = None,
    progress: ProgressFn | None = None,
    cancelled: CancelledFn | None = None,
) -> PreparedData:
    """Check the source (as :func:`inspect_source` does), split it and build the
    pipelines. Raises :class:`DataError` (with ``.report``) when a problem blocks
    training, :class:`Cancelled` when ``cancelled()`` says so.

    ``seed`` drives shuffling (default: ``config.seed``, which always drives the
    split); ``cache_budget_bytes`` is how much decoded data may be kept in
    memory (default: a quarter of the free memory, at most 2 GiB).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise DataError(f"the batch size must be a whole number >= 1, got {batch_size!r}")
    state = as_state(progress, cancelled)
    budget = int(cache_budget_bytes) if cache_budget_bytes is not None else default_cache_budget()
    loaded = load_source(config, state, budget)
    report = loaded.report
    if not report.ok:
        first = report.errors[0]
        more = len(report.errors) - 1
        message = first.message + (f" (and {more} more problem(s): see the report)" if more else "")
        raise DataError(message, first.location or None, report=report)
    shuffle_seed = config.seed if seed is None else int(seed)
    if config.kind == "csv":
        source: Source = TabularSource(loaded)
    elif config.kind == "images":
        source = ImageSource(loaded, budget, state)
    else:
        source = multi_input_source(loaded, budget) or NumpySource(loaded, budget)
    state.check()
    return source.build(batch_size, shuffle_seed)
