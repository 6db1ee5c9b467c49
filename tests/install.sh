#!/usr/bin/env bash
# Installs everything the tests need, on a fresh machine: a CPU build of torch,
# the package with its test extras (usd-core, transformers, diffusers, ...),
# Blender as a Python module (bpy) and the Khronos glTF validator (npm).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# CPU torch first, so nothing below pulls a multi-GB CUDA build.
if ! "$PY" -c "import torch" 2>/dev/null; then
  "$PY" -m pip install -q "torch==2.13.0+cpu" 2>/dev/null \
    || "$PY" -m pip install -q "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
fi
"$PY" -m pip install -q -e ".[test]"
# Blender 5.0 as a Python module (runs on Python 3.11).
"$PY" -c "import bpy" 2>/dev/null || "$PY" -m pip install -q "bpy==5.0.1"
# The Khronos glTF-Validator, run with node.
(cd tests/gltf_validator && npm ci --no-audit --no-fund --silent)
