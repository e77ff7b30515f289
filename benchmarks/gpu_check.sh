#!/usr/bin/env bash
# GPU check for a machine with JAX and PyTorch but no TensorFlow.
#
#   bash benchmarks/gpu_check.sh [--samples N] [--epochs N] [--batch N]
#
# 1. Makes a virtual environment that sees the machine's own packages (jax[cuda], torch:
#    --system-site-packages) in $NNSTUDIO_GPU_VENV (default /tmp/nnstudio-gpu-venv;
#    "none": use $PYTHON as it is and install nothing).
# 2. Installs this package there WITHOUT its dependencies (pip install --no-deps -e ., so
#    neither tensorflow nor PySide6 is pulled in), then the pure-Python packages training
#    needs if they are missing (keras and its small deps, networkx, pandas, pillow, h5py);
#    offline, whatever is missing is named and the check stops.
# 3. Checks that TensorFlow is NOT what trains: KERAS_BACKEND=jax.
# 4. Trains the digits example and the small CNN template through the app's training job
#    (benchmarks/gpu_bench.py) on the GPU and on the CPU, float32 and mixed precision, and
#    prints samples/s, GPU/CPU and mixed/float32.  Without a GPU it says so and runs the
#    CPU half.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
PY=${PYTHON:-python3}
VENV=${NNSTUDIO_GPU_VENV:-/tmp/nnstudio-gpu-venv}
export KERAS_BACKEND=jax  # keras must not look for TensorFlow

echo "== python: $($PY --version 2>&1) at $(command -v $PY)"
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,memory.total,compute_cap --format=csv,noheader || true
else
    echo "== nvidia-smi not found"
fi

if [ "$VENV" = none ]; then  # use $PYTHON as it is, install nothing into it
    VPY=$PY
    echo "== NNSTUDIO_GPU_VENV=none: no install, this checkout on PYTHONPATH"
else
    if [ ! -x "$VENV/bin/python" ]; then
        $PY -m venv --system-site-packages "$VENV"
    fi
    VPY="$VENV/bin/python"
    echo "== installing nnstudio without its dependencies into $VENV"
    if ! "$VPY" -m pip install -q --no-deps --no-build-isolation -e "$REPO" 2>/tmp/nnstudio-gpu-pip.txt; then
        echo "   pip could not install it (see /tmp/nnstudio-gpu-pip.txt); using PYTHONPATH=$REPO"
    fi
fi
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"

# import name -> pip name: what the training job needs besides jax (no tensorflow, no Qt)
NEEDED="keras:keras numpy:numpy networkx:networkx pandas:pandas PIL:pillow h5py:h5py"
missing=""
for pair in $NEEDED; do
    mod=${pair%%:*}; pkg=${pair##*:}
    "$VPY" -c "import $mod" 2>/dev/null || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    echo "== installing:$missing"
    if [ "$VENV" = none ] || ! "$VPY" -m pip install -q $missing; then
        echo "!! could not install:$missing (no network?). Install them and run again." >&2
        exit 2
    fi
fi
"$VPY" -c "import jax" 2>/dev/null || { echo "!! jax is not installed" >&2; exit 2; }
if "$VPY" -c "import tensorflow" 2>/dev/null; then
    echo "== note: TensorFlow is importable here; the check trains on JAX all the same"
else
    echo "== TensorFlow is not installed (as intended)"
fi
"$VPY" -c "import torch; print('== torch', torch.__version__, 'cuda' if torch.cuda.is_available() else 'cpu only')" 2>/dev/null || echo "== torch not installed"
"$VPY" -c "import jax; print('== jax', jax.__version__, jax.devices())"

echo "== training (KERAS_BACKEND=jax)"
KERAS_BACKEND=jax "$VPY" "$REPO/benchmarks/gpu_bench.py" "$@"
