"""The background inspection: read a source, scan its data quality and build its preview
off the GUI thread.

Runs on a :class:`~nnstudio.ui.tasks.Task`; TensorFlow is never imported, only the data
layer's readers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtGui import QImage

from nnstudio.core.data.config import DataConfig
from nnstudio.core.data.errors import Cancelled, DataError
from nnstudio.core.data.quality import QualityReport
from nnstudio.core.data.report import Report
from nnstudio.core.tasks import TaskState
from nnstudio.ui.data_preview import load_thumbnail

__all__ = ["InspectionResult", "inspect_with_preview"]


@dataclass
class InspectionResult:
    """What a background inspection hands to the GUI thread."""

    config: DataConfig
    report: Report
    user: bool
    table: tuple[list[str], list[list[str]]] | None = None
    images: list[tuple[str, QImage]] = field(default_factory=list)
    arrays: list[str] = field(default_factory=list)
    quality: QualityReport | None = None


def inspect_with_preview(state: TaskState, config: DataConfig, user: bool) -> InspectionResult:
    """Inspect a source, scan its data quality and build its preview, off the GUI thread
    (run on a :class:`~nnstudio.ui.tasks.Task`); raises ``Cancelled`` when asked to stop."""
    from nnstudio.core.data.quality import inspect_with_quality

    report, quality = inspect_with_quality(
        config,
        progress=lambda done, total: state.set_progress(done, total),
        cancelled=lambda: state.stop_requested,
    )
    result = InspectionResult(config, report, user, quality=quality)
    _preview(result, state)
    if state.stop_requested:
        raise Cancelled()
    return result


def _preview(result: InspectionResult, state: TaskState) -> None:
    from nnstudio.core.data import preview

    report, config = result.report, result.config
    if config.kind == "csv":
        result.table = preview.table_preview(report, delimiter=config.delimiter)
    elif config.kind == "images":
        for name, path in preview.image_examples(report):
            if state.stop_requested:
                return
            result.images.append((name, load_thumbnail(path)))
    elif config.kind == "numpy" and config.path.lower().endswith(".npz"):
        from nnstudio.core.data.numpy_source import npz_infos

        try:
            result.arrays = list(npz_infos(config.path))
        except DataError:
            result.arrays = []
