"""The GAN kind of the training job: same job, same ``run_training``, GAN model and grids.

:func:`execute_gan` is what :func:`nnstudio.core.training.job.execute` runs for a project
whose ``TrainingConfig.gan`` is set (or a job of ``kind="gan"``): it prepares the data with
the job's own steps (images; the labels are used only by a conditional GAN), builds the
:class:`~nnstudio.core.gan.model.GanModel`, trains it with
:func:`~nnstudio.core.training.run.run_training` (pause, stop within a batch, NaN watch,
TensorBoard, records all as for any run; no validation pass, no activation probes) and
writes the run folder with the generator as ``model.keras`` plus ``discriminator.keras``,
``gan.json`` (the roles and sizes) and ``samples/*.png``.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from nnstudio.core.gan import samples as S
from nnstudio.core.gan.config import GanConfig
from nnstudio.core.tasks import TaskState

log = logging.getLogger("nnstudio.training")

GAN_INFO_FILE = "gan.json"
DISCRIMINATOR_FILE = "discriminator.keras"


class SampleCallback(keras.callbacks.Callback):
    """Renders the fixed-noise grid at epoch ends and on request; adds ``diversity``.

    Goes before the run's own callback, so that ``diversity`` is in the epoch's record."""

    def __init__(
        self,
        generator: Any,
        config: GanConfig,
        latent_dim: int,
        state: TaskState,
        folder: Path | None,
        classes: int | None = None,
    ) -> None:
        super().__init__()
        self.generator = generator
        self.config = config
        self.state = state
        self.folder = folder
        self.noise = S.fixed_noise(config.samples, latent_dim, config.noise_seed)
        self.labels = S.fixed_labels(config.samples, classes) if classes else None
        self.epoch = 0
        self.paths: list[str] = []
        self.seconds = 0.0

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        """Remember the epoch (for on-demand grids)."""
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        """Serve a grid request (:func:`~nnstudio.core.gan.samples.request_samples`)."""
        if getattr(self.state, S.REQUEST_FLAG, False):
            setattr(self.state, S.REQUEST_FLAG, False)
            self.render(self.epoch, batch, requested=True)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        """The epoch's grid (every ``sample_every`` epochs) and ``diversity`` in the logs."""
        due = (epoch + 1) % self.config.sample_every == 0 or epoch + 1 == self.params.get("epochs")
        value = self.render(epoch, None, requested=False, write=due)
        if logs is not None:
            logs["diversity"] = value

    def render(
        self, epoch: int, batch: int | None, *, requested: bool, write: bool = True
    ) -> float:
        """Generate the fixed batch, write its grid, emit ``gan_samples``; the diversity."""
        t0 = time.perf_counter()
        out = S.generate(self.generator, self.noise, self.labels)
        value = S.diversity(out)
        path = None
        if write and self.folder is not None:
            target = self.folder / S.SAMPLES_DIR / S.grid_name(epoch, batch)
            try:
                path = str(S.write_grid(out, target, self.config.grid))
                self.paths.append(path)
            except OSError as exc:
                log.warning("sample grid not written: %s", exc)
        if write or requested:
            self.state.emit(
                {
                    "type": "gan_samples",
                    "epoch": epoch,
                    "batch": batch,
                    "path": path,
                    "diversity": value,
                    "requested": requested,
                }
            )
        self.seconds += time.perf_counter() - t0
        return value


def execute_gan(job: Any, project: Any, config: Any, state: TaskState) -> Any:
    """Run a GAN job (see the module docstring); returns the job's ``RunOutcome``."""
    from nnstudio.core.training import job as J
    from nnstudio.core.training.run import run_training

    gan = config.gan or getattr(project.training, "gan", None) or GanConfig()
    config = config.replace(validation=False, probe_budget=0.0, gan=gan)
    data_json = job.data_config
    if data_json is None and project.data is not None:
        data_json = project.data.to_json()
    data = job.data if job.data is not None else J._prepare_data(data_json, config, state)
    device = J._device(job, config)
    model, nets = _build(project.graph, gan, config, device)
    _check_data(data, nets)
    folder, run_id = _folder(job, project)
    log_dir = folder / "tensorboard" if folder is not None and config.tensorboard else None
    classes = len(data.class_names or []) or 10 if nets.roles.conditional else None
    sampler = SampleCallback(nets.generator, gan, nets.latent_dim, state, folder, classes)
    result = run_training(
        model, data, config, state, device=device, log_dir=log_dir, before=[sampler]
    )
    result.model = nets.generator  # the run's model file is the generator
    if folder is not None and result.epochs_completed:
        _write_extras(folder, nets, gan, project.graph, sampler)
    outcome = J.RunOutcome(result=result, log_dir=str(log_dir) if log_dir else None)
    J._write(job, project, config, data, data_json, outcome, run_id)
    if outcome.record is not None:
        outcome.record = outcome.record.replace(name=run_name(project, config, gan))
    return outcome


def run_name(project: Any, config: Any, gan: GanConfig) -> str:
    """``Run 3 (GAN standard, lr G 0.0005 / D 0.0005, bs 16)``."""
    n = len(project.runs) + 1
    lrs = f"lr G {gan.generator.learning_rate:g} / D {gan.discriminator.learning_rate:g}"
    return f"Run {n} (GAN {gan.mode}, {lrs}, bs {config.batch_size})"


def _build(graph: Any, gan: GanConfig, config: Any, device: Any) -> tuple[Any, Any]:
    from nnstudio.core.compiler import CompileError
    from nnstudio.core.gan.model import GanError, build_gan
    from nnstudio.core.graph import check_graph
    from nnstudio.core.training import job as J
    from nnstudio.core.training.devices import device_scope

    try:
        with device_scope(device):
            return build_gan(graph, gan, seed=config.seed, shapes=check_graph(graph).shapes)
    except GanError as exc:
        raise J._Refused("compile", str(exc)) from None
    except CompileError as exc:
        raise J._Refused("compile", f"The model cannot be built: {exc}") from None


def _check_data(data: Any, nets: Any) -> None:
    """Refuse data whose samples do not have the discriminator's input shape."""
    from nnstudio.core.training import job as J

    pair = data.probe_batch(2)
    if pair is None:
        return
    x = pair[0]
    x = x[0] if isinstance(x, list | tuple) else x
    got = tuple(np.asarray(x).shape[1:])
    want = tuple(int(d) for d in nets.discriminator.inputs[0].shape[1:])
    if got != want:
        raise J._Refused(
            "preflight",
            f"The data's samples have shape {got} but the discriminator takes {want}: "
            "set the discriminator's Input (and the generator's output) to the sample shape.",
        )
    if nets.roles.conditional and pair[1] is None:
        raise J._Refused("preflight", "A conditional GAN needs class labels in its data.")


def _folder(job: Any, project: Any) -> tuple[Path | None, str | None]:
    """The run folder the grids go to while training, and the reserved run id."""
    from nnstudio.core.training.runs import RunError, reserve_run

    if job.run_dir is not None:
        return Path(job.run_dir), None
    if not job.record:
        return None, None
    try:
        run_id, folder = reserve_run(project)
    except (OSError, RunError) as exc:
        log.warning("no sample grids on disk for this run: %s", exc)
        return None, None
    return Path(folder), run_id


def _write_extras(folder: Path, nets: Any, gan: GanConfig, graph: Any, sampler: Any) -> None:
    """``discriminator.keras`` and ``gan.json`` beside the generator's ``model.keras``."""
    from nnstudio.core.atomic import atomic_path, atomic_write_text

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / DISCRIMINATOR_FILE) as tmp:
            nets.discriminator.save(tmp)
        atomic_write_text(folder / GAN_INFO_FILE, json.dumps(gan_info(nets, gan, graph), indent=1))
    except OSError as exc:
        log.warning("the discriminator was not saved: %s", exc)


def gan_info(nets: Any, gan: GanConfig, graph: Any) -> dict[str, Any]:
    """What ``gan.json`` holds: the sizes, the roles, the mode and the grid files."""
    return {
        "kind": "generator",
        "latent_dim": nets.latent_dim,
        "sample_shape": list(nets.sample_shape),
        "conditional": nets.roles.conditional,
        "mode": gan.mode,
        "noise_seed": gan.noise_seed,
        "grid": gan.grid,
        "roles": nets.roles.to_json(graph),
    }


def read_gan_info(folder: str | Path) -> dict[str, Any] | None:
    """A run folder's ``gan.json`` (``None`` for an ordinary run or an unreadable file)."""
    path = Path(folder) / GAN_INFO_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def sample_grids(folder: str | Path) -> list[Path]:
    """The grid PNGs of a run folder, in order (epoch grids and on-demand ones)."""
    return sorted((Path(folder) / S.SAMPLES_DIR).glob("epoch_*.png"))
