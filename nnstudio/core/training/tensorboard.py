"""TensorBoard event files, written with the ``tensorboard`` package alone (no TensorFlow).

A run writes its logs like Keras' ``TensorBoard`` callback: ``<run folder>/tensorboard/train``
and ``/validation``, so ``tensorboard --logdir <project>.runs`` shows every run.  The files
are standard ``events.out.tfevents.*`` records (``tensorboard.summary.writer.record_writer``
framing, ``tensorboard.compat.proto`` messages).  :class:`EventWriter` writes them itself
rather than through ``EventFileWriter``: that one creates its folder through
``tensorboard.compat.tf``, which imports TensorFlow when it is installed — a jax run must not.

Scalars are ``simple_value`` summaries and weight histograms ``HistogramProto`` ones (what
TensorBoard migrates to its scalar and histogram plugins on load, and what its
``EventAccumulator`` reads); sweeps add the HParams plugin's experiment and session
summaries (:func:`write_hparams_config`, :func:`write_hparams`), built with the plugin's own
``hparams_config_pb`` / ``hparams_pb``.  Importing this module imports neither TensorFlow
nor Keras.
"""

from __future__ import annotations

import itertools
import os
import socket
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from tensorboard.compat.proto import event_pb2, graph_pb2, summary_pb2
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.hparams import summary_v2 as hparams_summary
from tensorboard.summary.writer.record_writer import RecordWriter

__all__ = [
    "LOG_DIR",
    "TRAIN",
    "VALIDATION",
    "EventWriter",
    "graph_def",
    "histogram_value",
    "log_dir_of",
    "write_hparams",
    "write_hparams_config",
]

LOG_DIR = "tensorboard"
TRAIN = "train"
VALIDATION = "validation"
HISTOGRAM_BUCKETS = 30
_uid = itertools.count()


def log_dir_of(run_folder: str | os.PathLike[str]) -> Path:
    """The TensorBoard folder of a run folder (``<run folder>/tensorboard``)."""
    return Path(run_folder) / LOG_DIR


class EventWriter:
    """One ``events.out.tfevents.*`` file in ``log_dir`` (created if needed).

    Writes go to a buffered file: :meth:`flush` makes them visible (the run flushes at
    every epoch end), :meth:`close` ends the file.  Usable as a context manager.
    """

    def __init__(self, log_dir: str | os.PathLike[str]) -> None:
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        name = (
            f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
            f"{os.getpid()}.{next(_uid)}.v2"
        )
        self.path = self.log_dir / name
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed by close()
        self._records = RecordWriter(self._file)
        self._add(event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2"))
        self.flush()

    # -- what can be written --------------------------------------------------------
    def scalars(self, values: Mapping[str, float], step: int, prefix: str = "") -> None:
        """Several scalars at one step, in one event (``prefix`` + name as the tag)."""
        summary = summary_pb2.Summary(
            value=[
                summary_pb2.Summary.Value(tag=prefix + tag, simple_value=float(v))
                for tag, v in values.items()
            ]
        )
        self.summary(summary, step)

    def scalar(self, tag: str, value: float, step: int) -> None:
        """One scalar."""
        self.scalars({tag: value}, step)

    def histogram(self, tag: str, values: Any, step: int) -> None:
        """A histogram of ``values`` (any array-like; NaN/Inf left out)."""
        summary = summary_pb2.Summary(value=[histogram_value(tag, values)])
        self.summary(summary, step)

    def graph(self, graph: graph_pb2.GraphDef) -> None:
        """The model graph (TensorBoard's Graphs tab)."""
        self._add(event_pb2.Event(wall_time=time.time(), graph_def=graph.SerializeToString()))

    def summary(self, summary: summary_pb2.Summary, step: int) -> None:
        """Any ``Summary`` message at ``step``."""
        self._add(event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary))

    # -- file -------------------------------------------------------------------------
    def flush(self) -> None:
        """Make what was written visible to readers."""
        if not self._file.closed:
            self._file.flush()

    def close(self) -> None:
        """Flush and close the file (a second call does nothing)."""
        if not self._file.closed:
            self._file.flush()
            self._file.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._file.closed

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _add(self, event: event_pb2.Event) -> None:
        self._records.write(event.SerializeToString())


def histogram_value(
    tag: str, values: Any, buckets: int = HISTOGRAM_BUCKETS
) -> summary_pb2.Summary.Value:
    """A ``HistogramProto`` summary value of ``values``: ``buckets`` equal-width buckets
    between the finite minimum and maximum (``bucket_limit`` holds each right edge)."""
    data = np.asarray(values, dtype=np.float64).ravel()
    data = data[np.isfinite(data)]
    histo = summary_pb2.HistogramProto()
    if data.size:
        lo, hi = float(data.min()), float(data.max())
        if lo == hi:
            counts, edges = np.array([data.size]), np.array([lo, hi])
        else:
            counts, edges = np.histogram(data, bins=buckets, range=(lo, hi))
        histo.min, histo.max, histo.num = lo, hi, float(data.size)
        histo.sum = float(data.sum())
        histo.sum_squares = float(np.dot(data, data))
        histo.bucket_limit.extend(float(e) for e in edges[1:])
        histo.bucket.extend(float(c) for c in counts)
    return summary_pb2.Summary.Value(tag=tag, histo=histo)


# -- HParams (sweeps) ---------------------------------------------------------------------
def _domain(param: Mapping[str, Any]) -> Any:
    """The HParams domain of one sweep parameter description."""
    kind = param.get("kind")
    name = param.get("name")
    if kind == "choice":
        choices = list(param.get("choices") or [])
        if not choices:
            raise ValueError(f"parameter {name!r}: a choice needs at least one value")
        kinds = {type(c) for c in choices}
        if len(kinds) > 1 and not kinds <= {int, float}:
            choices = [str(c) for c in choices]  # the plugin wants one type per domain
        elif kinds == {int, float}:
            choices = [float(c) for c in choices]
        return hparams_summary.Discrete(choices)
    if kind == "int":
        return hparams_summary.IntInterval(int(param["low"]), int(param["high"]))
    if kind == "float":
        return hparams_summary.RealInterval(float(param["low"]), float(param["high"]))
    raise ValueError(f"parameter {name!r}: kind must be choice, int or float, got {kind!r}")


def write_hparams_config(
    log_dir: str | os.PathLike[str],
    params: Iterable[Mapping[str, Any]],
    metrics: Iterable[str],
) -> Path:
    """Write the HParams experiment (the swept parameters and the metrics to show) into
    ``log_dir`` (a sweep's folder, above the trials' log folders).

    ``params``: ``{"name", "kind": "choice"|"int"|"float", "choices"}`` or ``... "low",
    "high"}``; ``metrics``: scalar tags each trial writes (see :func:`write_hparams`).
    Returns the event file.  ``ValueError`` for a parameter that cannot be described.
    """
    hparams = [hparams_summary.HParam(str(p["name"]), _domain(p)) for p in params]
    tags = [hparams_summary.Metric(str(tag)) for tag in metrics]
    summary = hparams_summary.hparams_config_pb(hparams, tags)
    with EventWriter(log_dir) as writer:
        writer.summary(summary, 0)
        return writer.path


def write_hparams(
    log_dir: str | os.PathLike[str],
    hparams: Mapping[str, float | int | str | bool],
    metrics: Mapping[str, float],
    *,
    trial_id: str | None = None,
    status: str = "success",
    start_time: float | None = None,
) -> Path:
    """Write one trial's HParams session into ``log_dir`` (the trial's own log folder):
    its parameter values, each of ``metrics`` as a scalar (the tags named in
    :func:`write_hparams_config`) and how it ended (``success``, ``failure`` or
    ``running``).  Returns the event file."""
    values: dict[str, Any] = {}
    for name, value in hparams.items():
        if isinstance(value, np.generic):
            value = value.item()
        values[str(name)] = value if isinstance(value, bool | int | float | str) else str(value)
    statuses = {
        "success": api_pb2.STATUS_SUCCESS,
        "failure": api_pb2.STATUS_FAILURE,
        "running": api_pb2.STATUS_RUNNING,
    }
    if status not in statuses:
        raise ValueError(f"status must be one of {', '.join(statuses)}, got {status!r}")
    start = hparams_summary.hparams_pb(values, trial_id=trial_id, start_time_secs=start_time)
    finite = {k: float(v) for k, v in metrics.items() if np.isfinite(float(v))}
    with EventWriter(log_dir) as writer:
        writer.summary(start, 0)
        if finite:
            writer.scalars(finite, 0)
        end_info = plugin_data_pb2.SessionEndInfo(
            status=statuses[status], end_time_secs=time.time()
        )
        end = summary_pb2.Summary()
        end.value.add(
            tag=hparams_metadata.SESSION_END_INFO_TAG,
            metadata=hparams_metadata.create_summary_metadata(
                plugin_data_pb2.HParamsPluginData(session_end_info=end_info)
            ),
            tensor=hparams_metadata.NULL_TENSOR,
        )
        writer.summary(end, 0)
        return writer.path


# -- the model graph ----------------------------------------------------------------------
def graph_def(nodes: Iterable[Mapping[str, Any]]) -> graph_pb2.GraphDef:
    """A GraphDef of layers for TensorBoard's Graphs tab: each node ``{"name", "op"
    (the layer class), "inputs" (names of the layers it reads), "output_shapes" (a list of
    shapes, ``None`` for an unknown size), "params" (weights count)}``; the shapes show as
    ``_output_shapes`` (TensorBoard labels the edges with them) and ``output_shape``."""
    from tensorboard.compat.proto import tensor_shape_pb2

    graph = graph_pb2.GraphDef()
    for node in nodes:
        nd = graph.node.add(name=str(node["name"]), op=str(node.get("op") or "Layer"))
        nd.input.extend(str(i) for i in node.get("inputs") or ())
        shapes = [s for s in node.get("output_shapes") or () if s is not None]
        if shapes:
            protos = []
            for shape in shapes:
                dims = [
                    tensor_shape_pb2.TensorShapeProto.Dim(size=-1 if d is None else int(d))
                    for d in shape
                ]
                protos.append(tensor_shape_pb2.TensorShapeProto(dim=dims))
            nd.attr["_output_shapes"].list.shape.extend(protos)
            text = ", ".join(_shape_text(s) for s in shapes)
            nd.attr["output_shape"].s = text.encode("utf-8")
        if node.get("params") is not None:
            nd.attr["params"].i = int(node["params"])
    return graph


def _shape_text(shape: Iterable[Any]) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"
