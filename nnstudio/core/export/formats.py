"""The export formats: one :class:`Format` record each (writer, verifier, file naming, what
it needs, label) in :data:`FORMATS`, and the writers.

Each writer fills a temporary path that the pipeline later moves into place (a file, or a
folder for SavedModel and Python code).  SavedModel, TFLite and ONNX are written from a
*serving view* of the model (inputs and outputs keyed by name), so every runtime sees the
model's own input and output names.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnstudio.core.export import verify as vf
from nnstudio.core.export.report import ExportError
from nnstudio.core.export.verify import PYTHON_CODE_FILE, PYTHON_WEIGHTS_FILE

Writer = Callable[["ExportJob", Path], None]
Verifier = Callable[[Path, Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Format:
    """One export format: its key (CLI ``--format``), label, file naming, the writer that
    fills a temporary path, the verifier that reloads it with its own runtime and predicts,
    and the Python modules it needs.

    ``suffix`` ends the default file (or folder) name; ``direct_suffix`` is what a path
    given for this format alone must end with to be the export itself.
    """

    key: str
    title: str
    suffix: str  # file suffix, or the folder-name suffix for folder formats
    is_dir: bool
    runtime: str
    writer: Writer = field(compare=False, repr=False)
    verifier: Verifier = field(compare=False, repr=False)
    needs: tuple[str, ...] = ()
    quantized: bool = False
    direct_suffix: str = ""

    def default_name(self, base: str) -> str:
        """The file or folder name for a model called ``base``."""
        return f"{base}{self.suffix}"

    @property
    def target_suffix(self) -> str:
        """What a path given for this format alone ends with."""
        return self.direct_suffix or self.suffix

    def missing(self) -> list[str]:
        """The modules it needs that are not installed."""
        return [m for m in self.needs if importlib.util.find_spec(m) is None]

    def unavailable(self) -> str | None:
        """Why this format cannot be written here (a missing package), or ``None``."""
        missing = self.missing()
        if not missing:
            return None
        if "tensorflow" in missing:
            from nnstudio.core.backend import current_backend

            return (
                f"{self.title} is written by TensorFlow, which is not installed here "
                f"(this process runs Keras on {current_backend()}): export .keras, or "
                "install tensorflow-cpu and export the saved .keras again"
            )
        return f"{self.title} needs {', '.join(missing)}, which is not installed"


@dataclass
class ExportJob:
    """What the writers share during one export.

    ``model`` is the model being exported (with baked preprocessing if asked for),
    ``outputs`` the declared loss, loss weight and metrics of each output by name (for the
    compile call of the generated code), ``scratch`` a private folder for intermediate files
    (the SavedModel the TFLite converter reads).
    """

    model: Any
    outputs: dict[str, tuple[str, float, list[str]]]
    scratch: Path
    sample: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    _saved_models: dict[int | None, Path] = field(default_factory=dict)
    tf_worker: Any = None  # the TensorFlow child of an export on another backend

    def note(self, fmt: str, text: str) -> None:
        """Remember a remark for ``fmt``'s card and report."""
        self.notes.setdefault(fmt, []).append(text)

    def close(self) -> None:
        """End what the writers started (the TensorFlow child process, if any)."""
        if self.tf_worker is not None:
            self.tf_worker.close()
            self.tf_worker = None


def serving_view(model: Any) -> Any:
    """The same layers with inputs and outputs keyed by name (no copy of weights)."""
    import keras

    return keras.Model(
        {t.name: t for t in model.inputs},
        dict(zip(model.output_names, model.outputs, strict=True)),
        name=model.name,
    )


# -- writers --------------------------------------------------------------------------


def on_tensorflow(key: str, writer: Writer) -> Writer:
    """``writer`` itself on the TensorFlow backend; on another backend, a TensorFlow child
    process runs it on the model's ``.keras`` (:mod:`~nnstudio.core.export.tf_export`)."""

    def write(job: ExportJob, target: Path) -> None:
        from nnstudio.core.backend import current_backend

        if current_backend() == "tensorflow":
            writer(job, target)
        else:
            from nnstudio.core.export.tf_export import write_in_tensorflow

            write_in_tensorflow(job, key, target)

    write.__doc__ = writer.__doc__
    return write


def write_keras(job: ExportJob, target: Path) -> None:
    """The native Keras archive (architecture, layer names, weights)."""
    job.model.save(target)


def write_savedmodel(job: ExportJob, target: Path) -> None:
    """A TensorFlow SavedModel folder with a ``serving_default`` signature."""
    serving_view(job.model).export(str(target), format="tf_saved_model", verbose=False)


def _saved_model_for_tflite(job: ExportJob, batch: int | None) -> Path:
    if batch in job._saved_models:
        return job._saved_models[batch]
    folder = job.scratch / f"saved_model_b{batch or 'any'}"
    view = serving_view(job.model)
    if batch is None:
        view.export(str(folder), format="tf_saved_model", verbose=False)
    else:
        import keras
        import tensorflow as tf

        archive = keras.export.ExportArchive()
        archive.track(view)
        spec = {
            t.name: tf.TensorSpec((batch, *t.shape[1:]), t.dtype, name=t.name)
            for t in job.model.inputs
        }
        archive.add_endpoint("serve", view.call, input_signature=[spec])
        archive.write_out(str(folder), verbose=False)
    job._saved_models[batch] = folder
    return folder


def _convert_tflite(saved_model: Path, quantize: bool) -> bytes:
    import tensorflow as tf

    _skip_converter_collection()
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model))
    if quantize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return converter.convert()


class _NoCollection:
    """Stands in for ``gc`` in TFLite's converter module: ``collect()`` does nothing."""

    @staticmethod
    def collect(*_args: Any, **_kwargs: Any) -> int:
        return 0


def _skip_converter_collection() -> None:
    """TFLite's converter calls ``gc.collect()`` on its own thread after loading the
    SavedModel.  In the desktop app that thread is a worker, and a collection there can
    finalize Qt objects of the window, which deadlocks against the GUI thread (seen in the
    export dialog).  The converter's garbage is freed by the next regular collection."""
    from tensorflow.lite.python import lite

    if getattr(lite, "gc", None) is not _NoCollection:
        lite.gc = _NoCollection


def has_recurrent_loop(model: Any) -> bool:
    """Whether the model runs a recurrent layer as a loop (TFLite then needs a fixed batch)."""
    import keras

    def loops(layer: Any) -> bool:
        if isinstance(layer, keras.layers.Bidirectional):
            return loops(layer.forward_layer)
        return isinstance(layer, keras.layers.RNN) and not getattr(layer, "unroll", False)

    return any(loops(layer) for layer in model.layers)


def tflite_bytes(job: ExportJob, fmt: str, quantize: bool) -> bytes:
    """Convert to TFLite; a model with recurrent loops gets a fixed batch size of 1 (the
    converter cannot lower their tensor lists with a dynamic batch)."""
    if not has_recurrent_loop(job.model):
        try:
            return _convert_tflite(_saved_model_for_tflite(job, None), quantize)
        except Exception as exc:  # the converter raises ConverterError and plain errors
            if "tensorlist" not in str(exc).lower().replace(" ", ""):
                raise
    job.note(
        fmt,
        "the TFLite model takes batches of exactly 1 sample (its recurrent "
        "layers need a fixed batch size); call it once per sample",
    )
    return _convert_tflite(_saved_model_for_tflite(job, 1), quantize)


def write_tflite(job: ExportJob, target: Path, fmt: str = "tflite", quantize: bool = False) -> None:
    """A TensorFlow Lite flatbuffer (float, or dynamic-range quantized weights)."""
    data = tflite_bytes(job, fmt, quantize)
    with open(target, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_tflite_int8(job: ExportJob, target: Path) -> None:
    """TFLite with weights quantized to 8 bits (dynamic range)."""
    write_tflite(job, target, "tflite-int8", quantize=True)


def without_captured_constants(model: Any) -> Any:
    """The model with each ``Normalization`` that was given its mean and variance replaced by
    the equivalent ``Rescaling`` (other layers shared).  Such a Normalization holds its
    statistics as constants captured from outside the traced function, which tf2onnx turns
    into extra ONNX inputs; Rescaling creates them inside the trace."""
    import keras
    from keras import ops

    def swap(layer: Any) -> Any:
        if not (
            isinstance(layer, keras.layers.Normalization)
            and getattr(layer, "input_mean", None) is not None
        ):
            return layer
        std = ops.convert_to_numpy(ops.maximum(ops.sqrt(layer.variance), keras.backend.epsilon()))
        mean = ops.convert_to_numpy(layer.mean)
        scale, offset = (std, mean) if layer.invert else (1.0 / std, -mean / std)
        return keras.layers.Rescaling(scale, offset, name=layer.name)

    if not any(swap(layer) is not layer for layer in model.layers):
        return model
    return keras.models.clone_model(model, clone_function=swap)


def write_onnx(job: ExportJob, target: Path) -> None:
    """ONNX through Keras' own exporter (tf2onnx); the model must have been called once."""
    view = serving_view(without_captured_constants(job.model))
    view(job.sample, training=False)  # Keras refuses to export a model never called
    with _quiet_tf2onnx():
        view.export(str(target), format="onnx", verbose=False)


@contextlib.contextmanager
def _quiet_tf2onnx() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"keras\..*")
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"tf2onnx.*")
        yield


def write_python(job: ExportJob, target: Path) -> None:
    """``model.py`` (readable Keras code) and ``model.weights.h5``.

    The code is generated from a graph imported from the exported model itself, so it
    matches the trained weights even when the project's graph was edited (or fitted to
    other data) after the run, and baked preprocessing layers come along.
    """
    from nnstudio.core.interop.codegen import generate_code

    graph = graph_of_model(job.model, job.outputs)
    code = generate_code(graph, weights_file=PYTHON_WEIGHTS_FILE, model_name=job.model.name)
    job.model.save_weights(str(target / PYTHON_WEIGHTS_FILE))
    with open(target / PYTHON_CODE_FILE, "w", encoding="utf-8") as fh:
        fh.write(code)
        fh.flush()
        os.fsync(fh.fileno())


def graph_of_model(model: Any, outputs: dict[str, tuple[str, float, list[str]]]) -> Any:
    """The model as a graph (one node per layer, same names), with the declared losses and
    metrics of its outputs where they are known."""
    from nnstudio.core.graph.commands import SetOutput
    from nnstudio.core.interop.errors import ModelImportError
    from nnstudio.core.interop.keras_import import import_keras_model

    try:
        graph = import_keras_model(model, weights=False).graph
    except ModelImportError as exc:
        raise ExportError(f"the model cannot be written as code: {exc}") from None
    by_name = {node.name: nid for nid, node in graph.nodes.items()}
    for name, (loss, weight, metrics) in outputs.items():
        if name in by_name:
            SetOutput(graph, by_name[name], loss, weight, metrics).redo()
    return graph


FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format(
            "keras",
            "Keras (.keras)",
            ".keras",
            False,
            "keras.saving.load_model",
            write_keras,
            vf.predict_keras,
            ("keras",),
        ),
        Format(
            "savedmodel",
            "TensorFlow SavedModel",
            "_savedmodel",
            True,
            "tf.saved_model.load",
            on_tensorflow("savedmodel", write_savedmodel),
            vf.predict_savedmodel,
            ("tensorflow",),
        ),
        Format(
            "tflite",
            "TensorFlow Lite (float)",
            ".tflite",
            False,
            "TFLite interpreter",
            on_tensorflow("tflite", write_tflite),
            vf.predict_tflite,
            ("tensorflow",),
        ),
        Format(
            "tflite-int8",
            "TensorFlow Lite (dynamic-range quantized)",
            "_int8.tflite",
            False,
            "TFLite interpreter",
            on_tensorflow("tflite-int8", write_tflite_int8),
            vf.predict_tflite,
            ("tensorflow",),
            quantized=True,
            direct_suffix=".tflite",
        ),
        Format(
            "onnx",
            "ONNX",
            ".onnx",
            False,
            "onnxruntime",
            on_tensorflow("onnx", write_onnx),
            vf.predict_onnx,
            ("tensorflow", "tf2onnx", "onnxruntime"),
        ),
        Format(
            "python",
            "Python code + weights",
            "_python",
            True,
            "Python subprocess",
            write_python,
            vf.predict_python,
            ("keras",),
        ),
    )
}
