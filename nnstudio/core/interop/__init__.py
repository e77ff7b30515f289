"""Interop with plain Keras: safe import of models, and readable code generation.

Nothing here imports Keras at module level.

Import (see :mod:`.keras_import`)::

    result = import_model("resnet.keras")        # or a .h5 file, or a keras.Model
    result.project, result.weights, result.warnings
    model = build_model(result.graph); apply_weights(model, result.weights)

Code generation (see :mod:`.codegen`)::

    source = generate_code(graph, weights_file="model.weights.h5")
    write_code(graph, "model.py")
"""

from nnstudio.core.interop.archive import DEFAULT_LIMITS, ImportLimits
from nnstudio.core.interop.codegen import CodegenError, generate_code, write_code
from nnstudio.core.interop.errors import (
    ModelImportError,
    UnsafeModelError,
    UnsupportedModelError,
)
from nnstudio.core.interop.keras_import import (
    ImportResult,
    apply_weights,
    collect_weights,
    import_config,
    import_keras_model,
    import_model,
    import_model_file,
    save_weights,
    weights_path_for,
)

__all__ = [
    "DEFAULT_LIMITS",
    "CodegenError",
    "ImportLimits",
    "ImportResult",
    "ModelImportError",
    "UnsafeModelError",
    "UnsupportedModelError",
    "apply_weights",
    "collect_weights",
    "generate_code",
    "import_config",
    "import_keras_model",
    "import_model",
    "import_model_file",
    "save_weights",
    "weights_path_for",
    "write_code",
]
