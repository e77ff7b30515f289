"""Mixed precision: the Keras dtype policy a run computes in, float32 outputs, loss scaling.

With mixed precision on (``TrainingConfig.mixed_precision`` or ``--precision mixed``) the
policy follows the device (:func:`choose_policy`):

* a GPU of compute capability 8.0 or later (Ampere, Hopper, ...): ``mixed_bfloat16``: its
  tensor cores compute bfloat16 as fast as float16, and bfloat16 has float32's exponent
  range, so gradients need no loss scaling;
* a GPU of compute capability 7.x (Volta, Turing): ``mixed_float16`` with dynamic loss
  scaling (``keras.optimizers.LossScaleOptimizer``); they have no bfloat16 tensor cores;
* an older GPU: float32 (float16 is no faster without tensor cores), with a note;
* a TPU: ``mixed_bfloat16`` (its native format);
* a CPU: ``mixed_bfloat16`` (CPUs emulate float16 slowly); it is fast only with bfloat16
  instructions (AVX512-BF16, AMX), and a note says so on other CPUs.

A job may force a policy (``precision="mixed_float16"`` or ``"mixed_bfloat16"``).  In every
mixed policy the weights stay float32 and the model's output layers compute in float32
(:func:`keep_outputs_float32`), so losses, metrics and predictions are float32.
"""

from __future__ import annotations

from typing import Any

from nnstudio.core.training.devices import BFLOAT16_CC, FLOAT16_CC, Device

FLOAT32, MIXED, MIXED_FLOAT16, MIXED_BFLOAT16 = (
    "float32",
    "mixed",
    "mixed_float16",
    "mixed_bfloat16",
)
#: the values of a job's ``precision`` and of ``--precision``
PRECISIONS = (FLOAT32, MIXED, MIXED_FLOAT16, MIXED_BFLOAT16)


def choose_policy(precision: str, device: Device) -> tuple[str, str | None]:
    """The dtype policy for ``precision`` (one of :data:`PRECISIONS`) on ``device``, and a
    note for the user when the choice is not what they may expect (or ``None``)."""
    if precision in (FLOAT32, MIXED_FLOAT16, MIXED_BFLOAT16):
        return precision, None
    if precision != MIXED:
        raise ValueError(f"precision: one of {', '.join(PRECISIONS)}; got {precision!r}")
    first = getattr(device, "members", None)
    device = first[0] if first else device
    if device.platform == "tpu":
        return MIXED_BFLOAT16, None
    if device.platform == "gpu":
        cc = device.compute_capability
        if cc is None or cc >= BFLOAT16_CC:
            return MIXED_BFLOAT16, None
        if cc >= FLOAT16_CC:
            return MIXED_FLOAT16, None
        return FLOAT32, (
            f"mixed precision needs a GPU with tensor cores (compute capability 7.0 or "
            f"later); {device.name} has {cc[0]}.{cc[1]} and trains in float32"
        )
    note = None
    if not device.mixed_precision:
        note = (
            "mixed precision on this CPU computes in bfloat16, which it has no instructions "
            "for (AVX512-BF16/AMX): expect it to be slower than float32"
        )
    return MIXED_BFLOAT16, note


def config_precision(config: Any) -> str:
    """A TrainingConfig's precision: ``mixed`` when its ``mixed_precision`` is on."""
    return MIXED if config.mixed_precision else FLOAT32


def wrap_optimizer(optimizer: Any, policy: str) -> Any:
    """``optimizer`` inside a ``LossScaleOptimizer`` for ``mixed_float16`` (dynamic loss
    scaling keeps small float16 gradients from flushing to zero)."""
    import keras

    if policy != MIXED_FLOAT16 or isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)


def keep_outputs_float32(model: Any) -> list[str]:
    """Make the layers that produce ``model``'s outputs compute in float32 (their weights are
    float32 already); returns their names."""
    names = []
    for tensor in model.outputs:
        history = getattr(tensor, "_keras_history", None)
        layer = history[0] if history else None
        if layer is None or type(layer).__name__ == "InputLayer":
            continue
        if layer.dtype_policy.compute_dtype != "float32":
            layer.dtype_policy = FLOAT32
            names.append(layer.name)
    return names
