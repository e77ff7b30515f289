"""The window's GAN wiring, owned by the training controller.

- The canvas frames the generator and the discriminator ("Generator", "Discriminator",
  :mod:`nnstudio.ui.canvas.gan_frames`) of a GAN project (``TrainingConfig.gan`` set), from
  :func:`~nnstudio.core.gan.roles.split_roles`; they are refitted after graph edits and
  follow their nodes as they move.
- The GAN issues (roles, the generator's sample shape against the discriminator's input)
  are computed with each check's shapes and added to the check as project issues, so the
  Issues panel lists them and the nodes show their badges.
- The "GAN samples" panel of the Train workspace (:class:`~.samples_view.SamplesView`):
  shown for a GAN project, fed with the run's events, "Sample now" asks the run for a grid,
  and the recorded GAN runs can be stepped through afterwards.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer

from nnstudio.core import project as pj
from nnstudio.core.gan.roles import gan_issues, split_roles
from nnstudio.core.layout import apply_positions
from nnstudio.core.project_paths import data_issues
from nnstudio.ui.canvas.gan_frames import frame_rect
from nnstudio.ui.gan.arrange import arrange_command, region_positions
from nnstudio.ui.gan.preflight import preflight_for
from nnstudio.ui.training.settings_link import SETTINGS_KEY
from nnstudio.ui.workspaces import TRAIN, PanelSpec

if TYPE_CHECKING:
    from nnstudio.ui.gan.samples_view import SamplesView

__all__ = ["GAN_METRICS", "GAN_SAMPLES", "GanLink", "frame_subtitles"]

log = logging.getLogger(__name__)

GAN_SAMPLES = "ganSamples"
GAN_METRICS = ("d_loss", "g_loss", "d_real", "d_fake", "d_accuracy", "diversity")
SAMPLES_WIDTH = 380  # the samples panel's default width (px)
REFIT_MS = 60  # graph edits in a burst refit the frames once


def _dims(shape: Any) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


def frame_subtitles(graph: Any, roles: Any, shapes: Any) -> dict[str, str]:
    """What each region maps: ``noise 64 → (28, 28, 1)`` and ``(28, 28, 1) → 1 logit``."""

    def shape_of(nid: str) -> tuple[Any, ...] | None:
        node = graph.nodes.get(nid)
        if node is not None and node.spec.is_input:
            shape = node.params.get("shape")
            return tuple(shape) if isinstance(shape, list | tuple) else None
        inferred = getattr((shapes or {}).get(nid), "shape", None)
        return tuple(inferred)[1:] if inferred is not None else None

    latent = shape_of(roles.latent)
    sample = shape_of(roles.generator_output)
    disc_in = shape_of(roles.discriminator_input)
    noise = f"noise {latent[0]}" if latent and len(latent) == 1 else "noise"
    return {
        "Generator": f"{noise} → {_dims(sample) if sample else 'sample'}",
        "Discriminator": f"{_dims(disc_in) if disc_in else 'sample'} → 1 logit (real or fake)",
    }


def gan_summary(gan: Any) -> str:
    """The run log's line about a GAN run's settings."""
    from nnstudio.core.gan.config import MODES

    mode = MODES.get(gan.mode, gan.mode)
    if gan.is_wgan:
        mode += f", {gan.critic_steps} critic steps, gradient penalty {gan.gp_weight:g}"

    def adam(opt: Any) -> str:
        return f"lr {opt.learning_rate:g} (β1 {opt.beta_1:g}, β2 {opt.beta_2:g})"

    return (
        f"— GAN: {mode}; generator {adam(gan.generator)}, discriminator {adam(gan.discriminator)}"
    )


class GanLink(QObject):
    """See the module docstring; ``controller`` is the training controller."""

    def __init__(self, window: Any, controller: Any) -> None:
        super().__init__(controller)
        self.window = window
        self.controller = controller
        self._graph: Any = None
        self._project: Any = None
        self._shapes: dict[str, Any] = {}
        self._logged_hint = ""  # the mode-collapse warning last written to the run log
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(REFIT_MS)
        self._refit.timeout.connect(self.refresh)
        window.add_panel_spec(
            PanelSpec(
                GAN_SAMPLES,
                "GAN samples",
                TRAIN,
                self._make_view,
                Qt.DockWidgetArea.RightDockWidgetArea,
                SAMPLES_WIDTH,
                hidden=True,
                ready=self._fill_view,
            )
        )
        window.project_changed.connect(self._project_changed)
        window.checker.checked.connect(self._on_checked)
        window.arrangers.append(self._arrange_gan)
        self._project_changed()

    # -- the project ----------------------------------------------------------------
    def gan(self) -> Any:
        """The open project's GAN settings (``None``: not a GAN)."""
        return getattr(self.window.project.training, "gan", None)

    def _project_changed(self) -> None:
        if self._graph is not None:
            self._graph.unsubscribe(self._on_graph_event)
        if self._project is not None:
            self._project.unsubscribe(self._on_project_event)
        self._graph, self._project = self.window.graph, self.window.project
        self._graph.subscribe(self._on_graph_event)
        self._project.subscribe(self._on_project_event)
        self._shapes = {}
        self._sync_preflight()
        self._place_untitled()
        self.refresh()
        if self._built(GAN_SAMPLES):
            if self.view.live:  # the run belongs to the project that was closed
                self.view.end_run()
            self._fill_view()
        self._show_dock()

    def _on_project_event(self, event: str, payload: Any) -> None:
        if event == pj.TRAINING_CHANGED:
            self._sync_preflight()
            self.refresh()
            self._update_issues()
            self._show_dock()
        elif event == pj.RUNS_CHANGED and self._built(GAN_SAMPLES):
            self._list_runs()

    def _on_graph_event(self, event: str, payload: Any) -> None:
        if self.gan() is not None and not self._refit.isActive():
            self._refit.start()

    def _built(self, key: str) -> bool:
        return bool(self.window.workspaces.is_built(key))

    def _show_dock(self) -> None:
        """The samples panel shows for a GAN project (the user may close it)."""
        if self.gan() is None or not self.window.workspaces.pages[TRAIN].built:
            return
        dock = self.window.workspaces.dock(GAN_SAMPLES)
        if not dock.isVisible() and not dock.property("ganShown"):
            dock.setProperty("ganShown", True)
            dock.show()
            page = self.window.workspaces.pages[TRAIN]
            page.resizeDocks([dock], [SAMPLES_WIDTH], Qt.Orientation.Horizontal)

    # -- frames, roles, issues ----------------------------------------------------------
    def regions(self) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
        """The frames to draw (``title -> node ids``) and their subtitles."""
        gan = self.gan()
        if gan is None:
            return {}, {}
        try:
            roles, _issues = split_roles(self.window.graph, gan, self._shapes or None)
        except Exception:  # noqa: BLE001 - a half-built graph must not break the canvas
            log.exception("cannot split the GAN's regions")
            return {}, {}
        if roles is None:
            return {}, {}
        regions = {"Generator": roles.generator, "Discriminator": roles.discriminator}
        return regions, frame_subtitles(self.window.graph, roles, self._shapes)

    def refresh(self) -> None:
        """Refit the canvas frames and re-detect the roles shown in the settings."""
        self._refit.stop()
        scene = self.window.canvas.graph_scene()
        if scene is not None and hasattr(scene, "region_frames"):
            regions, subtitles = self.regions()
            scene.region_frames.set_regions(regions, subtitles)
        if self.controller._built(SETTINGS_KEY):
            gan_box = self.controller.panel.gan
            if not gan_box.property("ganLinked"):
                gan_box.setProperty("ganLinked", True)
                gan_box.arrange_requested.connect(self.arrange)
            if gan_box._graph is not self.window.graph:
                gan_box.set_graph(self.window.graph)
            else:
                gan_box.graph_edited()

    def _place_untitled(self) -> None:
        """A new GAN project (a template: no file yet) whose regions overlap gets them
        arranged before it is shown, without an undo step (as a new graph is laid out)."""
        if self.window.project.path is not None:
            return
        regions, _ = self.regions()
        if len(regions) != 2:
            return
        graph = self.window.graph
        gen, disc = (frame_rect(graph.nodes[n].pos for n in ids) for ids in regions.values())
        if gen.intersects(disc):
            apply_positions(graph, region_positions(graph, regions))

    def _arrange_gan(self) -> bool:
        """Model > Arrange on a GAN: its regions, framed apart (False: not a GAN, or its
        two networks cannot be told apart, which the ordinary layout then places)."""
        return self.gan() is not None and bool(self.regions()[0]) and self.arrange()

    def arrange(self) -> bool:
        """Place the generator above the discriminator (one undo step); True if done."""
        regions, _ = self.regions()
        if not regions:
            self.window.show_message("The GAN's two networks cannot be told apart yet.")
            return False
        if not self.window.push(arrange_command(self.window.graph, regions)):
            return False
        QTimer.singleShot(0, self.window.canvas.fit_to_view)
        return True

    def _sync_preflight(self) -> None:
        """A GAN's data is checked against its discriminator's Input only."""
        gan = self.gan()
        checker = self.window.checker
        if getattr(checker.preflight, "args", (None,))[0] == gan and (gan is None) == (
            checker.preflight is None
        ):
            return
        checker.preflight = preflight_for(gan)
        checker.request()

    def _on_checked(self, report: Any) -> None:
        shapes = dict(report.result.shapes)
        if shapes != self._shapes and (shapes or not self._shapes):
            self._shapes = shapes
            if self.gan() is not None:
                self.refresh()  # the subtitles show the inferred sample shape
        self._update_issues()

    def _update_issues(self) -> None:
        """The project's issues: its data's and, for a GAN, the GAN's (with the shapes of
        the latest check)."""
        project = self.window.project
        gan = self.gan()
        if gan is None and not any(i.code.startswith("gan-") for i in self._current()):
            return
        base = project.path.parent if project.path is not None else None
        issues = list(data_issues(project.data, base))
        if gan is not None:
            try:
                issues += gan_issues(project.graph, gan, self._shapes or None)
            except Exception:  # noqa: BLE001 - a check of a half-built graph must not crash
                log.exception("cannot check the GAN")
        self.window.checker.set_project_issues(issues)

    def _current(self) -> list[Any]:
        return list(self.window.checker.project_issues)

    # -- the samples panel ------------------------------------------------------------------
    def _make_view(self) -> SamplesView:
        from nnstudio.ui.gan.samples_view import SamplesView  # pyqtgraph: with its panel

        view = SamplesView()
        view.sample_requested.connect(self.sample_now)
        view.run_chosen.connect(self._show_recorded)
        return view

    @property
    def view(self) -> SamplesView:
        """The samples panel (built on first use)."""
        return self.window.workspaces.widget(GAN_SAMPLES)

    def _gan_runs(self) -> list[Any]:
        return [r for r in reversed(self.window.project.runs) if "gan" in (r.config or {})]

    def _list_runs(self, current: str | None = None) -> None:
        runs = self._gan_runs()
        labels = [(r.id, f"{r.name or r.id} · {r.epochs_completed or 0} epochs") for r in runs]
        self.view.set_runs(labels, current)

    def _fill_view(self) -> None:
        QTimer.singleShot(0, self._show_dock)  # its dock is made right after the widget
        view = self.view
        if view.live:
            return
        view.reset()
        runs = self._gan_runs()
        self._list_runs(runs[0].id if runs else None)
        if runs:
            self._show_recorded(runs[0].id)

    def _show_recorded(self, run_id: str) -> None:
        from nnstudio.core.training.runs import RunError, run_dir

        record = next((r for r in self.window.project.runs if r.id == run_id), None)
        if record is None:
            return
        try:
            folder = run_dir(self.window.project, record)
        except RunError:
            folder = None
        self.view.show_run(folder, record.history)

    def sample_now(self) -> None:
        """Ask the running GAN for a grid after its next batch."""
        state = getattr(self.controller.worker, "state", None)
        if state is None or not self.controller.worker.is_running():
            return
        from nnstudio.core.gan.samples import request_samples

        request_samples(state)

    # -- the run ------------------------------------------------------------------------
    def expected_metrics(self, config: Any) -> list[str] | None:
        """The names a GAN run logs (``None`` for an ordinary run)."""
        return list(GAN_METRICS) if getattr(config, "gan", None) is not None else None

    def run_started(self, config: Any) -> None:
        """A run starts: a GAN run streams into the samples panel."""
        gan = getattr(config, "gan", None)
        if gan is None:
            return
        self._show_dock()
        self.view.begin_run()
        self._logged_hint = ""
        self.controller.panel.log(gan_summary(gan))

    def handle_events(self, events: list[dict[str, Any]]) -> None:
        """The run's events, for the samples panel of a GAN run."""
        if self._built(GAN_SAMPLES) and self.view.live:
            self.view.handle_events(events)
            hint = self.view.hint.text()
            if hint and hint != self._logged_hint:  # said once in the run log too
                self._logged_hint = hint
                self.controller.panel.log(hint, "warning")

    def run_finished(self, outcome: Any) -> None:
        """The run ended: its grids stay, the run box lists it."""
        if not self._built(GAN_SAMPLES) or not self.view.live:
            return
        self.view.end_run()
        record = getattr(outcome, "record", None)
        if record is not None:  # listed once the controller has added it to the project
            QTimer.singleShot(0, lambda: self._recorded(record.id))

    def _recorded(self, run_id: str) -> None:
        runs = self.window.project.runs
        if self._built(GAN_SAMPLES) and not self.view.live and any(r.id == run_id for r in runs):
            self._list_runs(run_id)
            self._show_recorded(run_id)  # its history gives each grid its diversity
