"""Export trained models to disk (.keras, SavedModel, TFLite, ONNX, Python code), verified.

Importing this package is cheap: TensorFlow, Keras, tf2onnx and onnxruntime are imported
only when an export or a prediction runs.
"""

from nnstudio.core.export.formats import FORMATS, Format
from nnstudio.core.export.model_card import CARD_SUFFIX, card_path_for, read_card
from nnstudio.core.export.pipeline import (
    FLOAT_TOLERANCE,
    check_weights_finite,
    export_model,
    parse_formats,
    plan_targets,
)
from nnstudio.core.export.report import ExportError, ExportReport, FormatResult, Verification
from nnstudio.core.export.source import (
    ExportSource,
    latest_run,
    source_from_model,
    source_from_path,
    source_from_project,
    source_from_run_dir,
    validation_arrays,
)

__all__ = [
    "CARD_SUFFIX",
    "FLOAT_TOLERANCE",
    "FORMATS",
    "ExportError",
    "ExportReport",
    "ExportSource",
    "Format",
    "FormatResult",
    "Verification",
    "card_path_for",
    "check_weights_finite",
    "export_model",
    "latest_run",
    "parse_formats",
    "plan_targets",
    "read_card",
    "source_from_model",
    "source_from_path",
    "source_from_project",
    "source_from_run_dir",
    "validation_arrays",
]
