"""The GAN samples panel of the Train workspace: the generator's grid of a fixed noise batch,
epoch by epoch, live and afterwards.

- Live: each ``gan_samples`` event of the run (a PNG in the run folder) becomes the grid
  shown (while "Latest" is on); "Sample now" asks the run for a grid after the next batch.
- Afterwards: the stepper (buttons and slider) steps through every grid the run kept, from
  the run folder (:func:`~nnstudio.ui.gan.grids.list_grids`); the run box picks any recorded
  GAN run of the project.
- The diversity of the fixed-noise samples per epoch, with a plain-words warning when it
  falls sharply (:func:`~nnstudio.ui.gan.grids.collapse_hint`), and the D/G charts
  (:class:`~nnstudio.ui.gan.charts.GanCharts`).

A grid file that cannot be read shows as a located message, never a traceback.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from nnstudio.ui.gan.charts import GanCharts
from nnstudio.ui.gan.grids import Grid, collapse_hint, grid_from_path, list_grids

__all__ = ["GridImage", "SamplesView"]

LIVE = "__live__"  # the run box's entry of the run in progress
SP = QStyle.StandardPixmap


class GridImage(QLabel):
    """A grid PNG scaled to fit, pixels kept sharp (no smoothing of tiny digits)."""

    def __init__(self) -> None:
        super().__init__()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setWordWrap(True)
        self.source = QPixmap()

    def show_file(self, path: Path | None) -> bool:
        """Show the PNG at ``path`` (``None``: nothing); False, with a message, if unreadable."""
        self.source = QPixmap(str(path)) if path is not None else QPixmap()
        if path is not None and self.source.isNull():
            self.setText(f"Cannot read the sample grid {path.name} (in {path.parent}).")
            return False
        if path is None:
            self.setText("The generator's samples appear here after each epoch.")
            return True
        self._rescale()
        return True

    def _rescale(self) -> None:
        if self.source.isNull():  # the text stays (setPixmap would clear it)
            return
        side = max(16, min(self.width(), self.height()) - 4)
        self.setPixmap(
            self.source.scaled(
                QSize(side, side),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
        )

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self._rescale()


class SamplesView(QWidget):
    """See the module docstring.  ``sample_requested`` fires on "Sample now"; ``run_chosen``
    (run id) when the user picks a recorded run in the run box."""

    sample_requested = Signal()
    run_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ganSamples")
        self.grids: list[Grid] = []
        self.diversity: list[float] = []
        self.folder: Path | None = None
        self.live = False
        self._build()
        self.reset()

    # -- building -------------------------------------------------------------------
    def _build(self) -> None:
        top = QWidget()
        v = QVBoxLayout(top)
        v.setContentsMargins(4, 4, 4, 2)
        v.setSpacing(4)
        head = QHBoxLayout()
        self.run_box = QComboBox()
        self.run_box.setToolTip("The run whose samples are shown")
        self.run_box.activated.connect(self._run_activated)
        head.addWidget(QLabel("Run"))
        head.addWidget(self.run_box, 1)
        v.addLayout(head)
        self.image = GridImage()
        v.addWidget(self.image, 1)
        self.caption = QLabel()
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        v.addWidget(self.caption)
        v.addLayout(self._build_stepper())
        row = QHBoxLayout()
        self.sample_button = QPushButton("Sample now")
        self.sample_button.setToolTip("Draw the generator's grid after the next batch")
        self.sample_button.clicked.connect(self.sample_requested)
        self.diversity_label = QLabel()
        self.diversity_label.setToolTip(
            "Diversity: how different the fixed-noise samples are from each other (mean "
            "distance between them). A sharp fall means the generator makes the same few "
            "images (mode collapse)."
        )
        row.addWidget(self.sample_button)
        row.addWidget(self.diversity_label, 1)
        v.addLayout(row)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setObjectName("collapseHint")
        self.hint.setStyleSheet("color: #b8741a;")
        v.addWidget(self.hint)
        self.charts = GanCharts()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.charts)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        self.split = split
        self._sized = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(split)

    def _build_stepper(self) -> QHBoxLayout:
        row = QHBoxLayout()
        style = self.style()
        self.prev_button = QPushButton(style.standardIcon(SP.SP_MediaSeekBackward), "")
        self.prev_button.setToolTip("The grid before")
        self.next_button = QPushButton(style.standardIcon(SP.SP_MediaSeekForward), "")
        self.next_button.setToolTip("The grid after")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Step through the grids of every epoch")
        self.slider.setPageStep(1)
        self.follow = QCheckBox("Latest")
        self.follow.setToolTip("Show each new grid as the run makes it")
        self.follow.setChecked(True)
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.slider.valueChanged.connect(self._slid)
        for w in (self.prev_button, self.slider, self.next_button, self.follow):
            row.addWidget(w, 1 if w is self.slider else 0)
        return row

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        if not self._sized:  # the grid gets most of the height, the charts the rest
            self._sized = True
            total = max(self.height(), 400)
            self.split.setSizes([round(total * 0.6), total - round(total * 0.6)])

    # -- what is shown --------------------------------------------------------------
    def reset(self) -> None:
        """Empty: no run, no grids."""
        self.grids, self.diversity, self.folder, self.live = [], [], None, False
        self.charts.reset()
        self.run_box.clear()
        self._sync_grids()
        self._show_diversity()
        self.set_running(False)

    def set_runs(self, runs: Iterable[tuple[str, str]], current: str | None = None) -> None:
        """The recorded runs offered in the run box (``(run_id, label)``, newest first)."""
        self.run_box.blockSignals(True)
        try:
            self.run_box.clear()
            if self.live:
                self.run_box.addItem("The run in progress", LIVE)
            for run_id, label in runs:
                self.run_box.addItem(label, run_id)
            index = self.run_box.findData(LIVE if self.live else current)
            self.run_box.setCurrentIndex(max(index, 0))
        finally:
            self.run_box.blockSignals(False)

    def _run_activated(self, index: int) -> None:
        run_id = self.run_box.itemData(index)
        if run_id and run_id != LIVE:
            self.run_chosen.emit(run_id)

    def show_run(self, folder: str | Path | None, history: Mapping[str, Any] | None = None) -> int:
        """Step through a recorded run's grids (its folder) with its history; returns how
        many grids it has."""
        history = history or {}
        values = history.get("diversity")
        self.diversity = (
            [float(v) for v in values if isinstance(v, int | float)]
            if (isinstance(values, list))
            else []
        )
        self.folder = Path(folder) if folder is not None else None
        self.grids = list_grids(self.folder, self.diversity) if self.folder else []
        self.charts.set_history(history)
        self.follow.setChecked(True)
        self._sync_grids()
        self._show_diversity()
        return len(self.grids)

    def set_running(self, running: bool) -> None:
        """ "Sample now" works while a run trains."""
        self.sample_button.setEnabled(running)

    def current(self) -> Grid | None:
        """The grid shown."""
        i = self.slider.value()
        return self.grids[i] if 0 <= i < len(self.grids) else None

    def step(self, delta: int) -> None:
        """Show the grid ``delta`` places later (earlier when negative)."""
        self.show_index(self.slider.value() + delta)

    def show_index(self, index: int) -> None:
        """Show the ``index``-th grid (clamped); stepping back stops following the latest."""
        if not self.grids:
            return
        index = max(0, min(index, len(self.grids) - 1))
        if index != len(self.grids) - 1:
            self.follow.setChecked(False)
        if index == self.slider.value():
            self._show_current()
        else:
            self.slider.setValue(index)

    def _slid(self, _value: int) -> None:
        self._show_current()

    def _sync_grids(self) -> None:
        n = len(self.grids)
        self.slider.blockSignals(True)
        try:
            self.slider.setRange(0, max(0, n - 1))
            if self.follow.isChecked() or self.slider.value() >= n:
                self.slider.setValue(max(0, n - 1))
        finally:
            self.slider.blockSignals(False)
        self.slider.setEnabled(n > 1)
        self._show_current()

    def _show_current(self) -> None:
        grid = self.current()
        i = self.slider.value()
        self.prev_button.setEnabled(i > 0)
        self.next_button.setEnabled(i < len(self.grids) - 1)
        self.charts.mark_epoch(grid.epoch if grid is not None else None)
        if grid is None:
            self.image.show_file(None)
            self.caption.setText("No samples yet" if not self.live else "Waiting for epoch 1…")
            return
        ok = self.image.show_file(grid.path)
        text = f"{grid.label} · {i + 1} of {len(self.grids)}"
        if grid.diversity is not None:
            text += f" · diversity {grid.diversity:.3f}"
        self.caption.setText(text if ok else f"{grid.label}: the file cannot be read")

    def _show_diversity(self) -> None:
        if not self.diversity:
            self.diversity_label.setText("Diversity: –")
            self.hint.setText("")
            self.hint.hide()
            return
        latest, best = self.diversity[-1], max(self.diversity)
        self.diversity_label.setText(f"Diversity {latest:.3f} (best {best:.3f})")
        hint = collapse_hint(self.diversity)
        self.hint.setText(hint or "")
        self.hint.setVisible(hint is not None)

    # -- live -----------------------------------------------------------------------
    def begin_run(self) -> None:
        """A run starts: empty, following its grids as they come."""
        self.reset()
        self.live = True
        self.follow.setChecked(True)
        self.set_runs([])
        self.set_running(True)
        self._sync_grids()

    def end_run(self) -> None:
        """The run ended (its grids stay for stepping through)."""
        self.live = False
        self.set_running(False)
        self._show_current()

    def handle_events(self, events: Sequence[Mapping[str, Any]]) -> None:
        """The run's events: batches and epochs feed the charts and the diversity,
        ``gan_samples`` the grids."""
        grids_before, values_before, dirty = len(self.grids), len(self.diversity), False
        for e in events:
            kind = e.get("type")
            if kind == "start" and not self.live:
                self.begin_run()
            elif kind == "batch":
                x = e["epoch"] + (e["batch"] + 1) / max(e.get("steps") or (e["batch"] + 2), 1)
                self.charts.add_batch(x, e.get("logs", {}))
                dirty = True
            elif kind == "epoch":
                self.charts.add_epoch(e["epoch"], e.get("logs", {}))
                dirty = True
            elif kind == "gan_samples":
                self._add_grid(e)
        if dirty:
            self.charts.refresh()
        if len(self.grids) != grids_before:
            self._sync_grids()
        if len(self.grids) != grids_before or len(self.diversity) != values_before:
            self._show_diversity()

    def _add_grid(self, e: Mapping[str, Any]) -> None:
        path = e.get("path")
        value = e.get("diversity")
        finite = isinstance(value, int | float) and math.isfinite(value)
        if e.get("batch") is None and finite:
            self.diversity.append(float(value))
        if not path:
            return
        grid = grid_from_path(path, float(value) if finite else None)
        if grid is None:  # a name this version does not know: still shown, after the rest
            epoch = int(e.get("epoch") or 0) + 1
            grid = Grid(Path(path), epoch, None, float(value) if finite else None)
        if self.folder is None:
            self.folder = Path(path).parent.parent
        self.grids.append(grid)
        self.grids.sort(key=lambda g: g.order)
