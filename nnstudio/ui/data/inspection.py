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

__all__ = ["INSPECTED", "InspectionResult", "inspect_with_preview"]

INSPECTED = "inspected"  # the event with the result before its quality scan


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
    """Inspect a source and build its preview, then scan its data quality, off the GUI
    thread (run on a :class:`~nnstudio.ui.tasks.Task`); raises ``Cancelled`` when asked to
    stop. Between the two, an ``{"type": "inspected", "result": ...}`` event hands the
    result without its quality scan to the GUI, so the data shows before the scan ends."""
    from nnstudio.core.data.inspection import load_source
    from nnstudio.core.data.progress import as_state
    from nnstudio.core.data.quality import add_to_report, scan_quality

    data_state = as_state(
        progress=lambda done, total: state.set_progress(done, total),
        cancelled=lambda: state.stop_requested,
    )
    loaded = load_source(config, data_state)
    result = InspectionResult(config, loaded.report, user)
    _preview(result, state)
    if state.stop_requested:
        raise Cancelled()
    state.emit({"type": INSPECTED, "result": result})
    quality = scan_quality(loaded, data_state)
    add_to_report(loaded.report, quality)
    result.quality = quality
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
