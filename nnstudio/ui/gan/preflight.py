"""The window's check of data against a GAN (no Qt; runs on the check's thread).

The ordinary pre-flight check (:func:`nnstudio.core.preflight.with_preflight`) compares the
data with every Input and declared output; a GAN takes the data at its discriminator's
sample Input only (the noise Input is fed by the run, the outputs are judged by the GAN
losses), as the core's GAN run checks it (:mod:`nnstudio.core.gan.run`).  So for a GAN
project the window's checker uses :func:`gan_with_preflight` instead: the data's sample shape
against the discriminator's Input, and class labels for a conditional GAN, located on the
discriminator's Input.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from nnstudio.core.gan.config import GanConfig
from nnstudio.core.gan.roles import split_roles
from nnstudio.core.graph.check import CheckResult
from nnstudio.core.graph.model import Graph
from nnstudio.core.graph.validation import Issue

__all__ = ["gan_preflight", "gan_with_preflight", "preflight_for"]

SHAPE_HINT = "Set the discriminator's Input (and the generator's output) to the data's shape."


def _dims(shape: Any) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


def gan_preflight(gan: GanConfig, graph: Graph, data: Any, shapes: Any = None) -> list[Issue]:
    """How ``data`` (a data Report) does not fit the GAN of ``graph`` (``[]``: it fits)."""
    roles, _ = split_roles(graph, gan, shapes)
    if roles is None:
        return []  # the GAN issues of the check already say why
    got = tuple(int(d) for d in (getattr(data, "feature_shape", ()) or ()))
    node = graph.nodes[roles.discriminator_input]
    want = node.params.get("shape")
    want = tuple(want) if isinstance(want, list | tuple) else None
    issues = []
    if got and want is not None and got != want:
        issues.append(
            Issue(
                "error",
                node.id,
                f"The data's samples have shape {_dims(got)} but the discriminator takes "
                f"{_dims(want)}",
                SHAPE_HINT,
                code="data-shape",
            )
        )
    if roles.conditional and not getattr(data, "classes", None):
        issues.append(
            Issue(
                "error",
                roles.label,
                "A conditional GAN needs class labels in its data",
                "Use data with a label per sample (an image folder per class).",
                code="data-outputs",
            )
        )
    return issues


def gan_with_preflight(
    gan: GanConfig, result: CheckResult, graph: Graph, data: Any, targets: str | None = None
) -> CheckResult:
    """``result`` with the GAN's pre-flight issues added, errors first (the signature of
    :func:`~nnstudio.core.preflight.with_preflight` after ``gan``)."""
    issues = list(result.issues) + gan_preflight(gan, graph, data, result.shapes)
    order = {nid: i for i, nid in enumerate(graph.nodes)}
    issues.sort(key=lambda i: (i.severity != "error", order.get(i.node or "", -1)))
    return CheckResult(issues, result.shapes)


def preflight_for(gan: GanConfig | None) -> Callable[..., CheckResult] | None:
    """The pre-flight the checker should run (``None``: the ordinary one)."""
    return partial(gan_with_preflight, gan) if gan is not None else None
