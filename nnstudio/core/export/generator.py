"""Export and prediction of a GAN's generator (Keras-free until a model is built).

A GAN run's ``model.keras`` is its generator and ``gan.json`` says so; :func:`as_generator`
turns the export source of such a run into the generator's (its region of the graph, no
image preprocessing on the latent input, the model card's ``generator`` section), and
:func:`untrained_generator` builds the generator of a GAN project that has no run yet.
:func:`predict_grid` is ``nnstudio predict`` on a generator: a grid PNG from N random
latent vectors.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

CARD_KEY = "generator"


def generator_card(info: Mapping[str, Any]) -> dict[str, Any]:
    """The model card's ``generator`` section for a run's ``gan.json``."""
    latent = int(info.get("latent_dim", 0))
    shape = [int(d) for d in info.get("sample_shape") or []]
    dims = "x".join(str(d) for d in shape) or "?"
    label = " and a class label" if info.get("conditional") else ""
    return {
        "kind": "generator",
        "maps": f"latent vectors of {latent} standard-normal numbers{label} to samples of "
        f"shape {dims}",
        "latent_dim": latent,
        "sample_shape": shape,
        "conditional": bool(info.get("conditional")),
        "mode": info.get("mode", "standard"),
    }


def as_generator(src: Any, info: Mapping[str, Any], project: Any | None = None) -> Any:
    """``src`` (an ExportSource of a GAN run's ``model.keras``) described as a generator."""
    from nnstudio.core.export.model_card import output_info

    gen = generator_card(info)
    outputs = output_info(src.model, {}, None)
    for out in outputs:  # a sample, not a class score
        out["kind"] = "sample"
        act = out.get("activation")
        scale = {"sigmoid": " in [0, 1]", "tanh": " in [-1, 1]"}.get(act or "", "")
        out["meaning"] = f"a generated sample of shape {gen['maps'].rsplit(' ', 1)[-1]}{scale}"
    src.card_extra = {CARD_KEY: gen, "outputs": outputs}
    src.preprocessing = None  # the data's image preprocessing is not the latent input's
    src.class_names = None
    names = [t.name for t in src.model.outputs]
    src.losses = {n: "mse" for n in names}
    if project is not None and getattr(project.training, "gan", None) is not None:
        src.graph = _generator_graph(project)
    return src


def generator_source(src: Any, folder: Path | None, project: Any | None = None) -> Any:
    """``src`` as a generator when ``folder`` is a GAN run's (else unchanged)."""
    info = gan_info_of(folder) if folder is not None else None
    return as_generator(src, info, project) if info is not None else src


def _generator_graph(project: Any) -> Any:
    from nnstudio.core.gan.roles import split_roles, subgraph

    roles, _ = split_roles(project.graph, project.training.gan)
    if roles is None:
        return None
    return subgraph(project.graph, roles.generator, [roles.generator_output])


def gan_info_of(folder: Path) -> dict[str, Any] | None:
    """A run folder's ``gan.json`` when it is a GAN run (``None`` otherwise)."""
    from nnstudio.core.gan.run import read_gan_info

    info = read_gan_info(folder)
    return info if info is not None and info.get("kind") == "generator" else None


def untrained_generator(project: Any) -> tuple[Any, dict[str, Any]]:
    """The generator of a GAN project without a run (random weights) and its ``gan.json``."""
    from nnstudio.core.gan.model import build_networks
    from nnstudio.core.gan.run import gan_info

    gan = project.training.gan
    nets = build_networks(project.graph, gan, seed=0)
    return nets.generator, gan_info(nets, gan, project.graph)


def predict_grid(
    model_path: str | Path, out_path: str | Path, *, count: int = 64, seed: int = 0
) -> dict[str, Any]:
    """``nnstudio predict`` on a generator export: ``count`` samples from random latent
    vectors (``seed``) as one grid PNG at ``out_path``; ``PredictError`` when the model is
    not a generator."""
    from nnstudio.core.export.predict import PredictError, load_model_and_card
    from nnstudio.core.gan.samples import render_grid_model

    if not 1 <= count <= 4096:
        raise PredictError(f"--count: a whole number from 1 to 4096; got {count}")
    model, card = load_model_and_card(model_path)
    if CARD_KEY not in card:
        raise PredictError(
            f"{Path(model_path).name}: not a GAN generator (its card has no generator "
            "section); give --input FILE to predict with it"
        )
    return render_grid_model(
        model, out_path, count=count, seed=seed, where=str(model_path), error=PredictError
    )


def is_generator_card(card: Mapping[str, Any]) -> bool:
    """True for the model card of an exported generator."""
    return isinstance(card.get(CARD_KEY), Mapping)


def untrained_gan_source(project: Any) -> Any:
    """The export source of a GAN project with no run: its untrained generator."""
    from nnstudio.core.export.report import ExportError
    from nnstudio.core.export.source import source_from_model
    from nnstudio.core.gan.model import GanError

    try:
        model, info = untrained_generator(project)
    except (GanError, ValueError) as exc:
        raise ExportError(f"{project.name}: {str(exc).splitlines()[-1].lstrip('- ')}") from None
    src = source_from_model(model, project, None, trained=False)
    src.warnings[-1] = (
        "the project has no trained run: exporting the untrained generator (random weights)"
    )
    return as_generator(src, info, project)


def render_grid_file(
    generator_path: str | Path,
    out_path: str | Path,
    *,
    count: int = 64,
    seed: int = 0,
    labels: np.ndarray | None = None,
) -> dict[str, Any]:
    """Load a saved generator (``.keras``, checked like any model file) and write the grid
    of ``count`` samples from random latent vectors of ``seed``.  Returns ``{"path",
    "count", "latent_dim", "sample_shape", "diversity"}``; ``ExportError`` for a file that
    is not a generator."""
    from nnstudio.core.export.report import ExportError
    from nnstudio.core.export.source import load_model_file

    model = load_model_file(Path(generator_path))
    from nnstudio.core.gan.samples import render_grid_model

    return render_grid_model(
        model,
        out_path,
        count=count,
        seed=seed,
        labels=labels,
        where=str(generator_path),
        error=ExportError,
    )
