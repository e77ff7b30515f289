#!/usr/bin/env bash
# Build a one-folder desktop bundle in dist/nnstudio (about 1.2 GB with TensorFlow).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet pyinstaller
python -m PyInstaller --noconfirm --clean packaging/nnstudio.spec
echo "bundle: dist/nnstudio/nnstudio"
