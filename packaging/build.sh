#!/usr/bin/env bash
# Build the one-folder desktop bundle dist/nnstudio (Linux, Windows under Git Bash, macOS).
#
#   packaging/build.sh [--with jax|torch]... [--python PY]
#
# Optional Keras backends (torch, jax), test and development tools are left out even when
# the environment has them; --with keeps a backend (repeat it, or give jax,torch).
# PY (default: $PYTHON or python) is the interpreter whose packages are bundled; build in a
# clean virtual environment (pip install . pyinstaller) for the smallest bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"
WITH=""
while [ $# -gt 0 ]; do
    case "$1" in
        --with) WITH="${WITH:+$WITH,}${2:?--with needs jax or torch}"; shift 2 ;;
        --with=*) WITH="${WITH:+$WITH,}${1#--with=}"; shift ;;
        --python) PY="${2:?--python needs an interpreter}"; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
for b in ${WITH//,/ }; do
    case "$b" in
        jax|torch) ;;
        *) echo "build.sh: --with takes jax or torch, not $b" >&2; exit 2 ;;
    esac
done
"$PY" -c "import PyInstaller" 2>/dev/null || "$PY" -m pip install --quiet pyinstaller
"$PY" packaging/render_icon.py build/icon 256 || echo "build.sh: no icon rendered (no QtSvg?)"
NNSTUDIO_WITH="$WITH" "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/nnstudio.spec
if [ -d "dist/NN Studio.app" ]; then
    echo "bundle: dist/NN Studio.app ($(du -sh "dist/NN Studio.app" | cut -f1))"
else
    echo "bundle: dist/nnstudio ($(du -sk dist/nnstudio | awk '{printf "%.0f MB", $1 * 1.024 / 1000}'))"
fi
