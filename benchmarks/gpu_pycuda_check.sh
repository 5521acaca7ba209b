#!/bin/bash
# The TensorRT backend's pycuda half on a real NVIDIA GPU (TensorRT itself faked, see
# tests/unit/backends/test_tensorrt_pycuda.py), plus what backend `auto` picks on that machine.
#
# Needs nvcc and python3 with torch/onnxruntime/numpy/pytest on the GPU machine, and the
# pycuda source and its pure-Python needs in .whl/ (fetched beforehand where pip works):
#   curl -L -o .whl/pycuda-2026.1.tar.gz <pycuda-2026.1 sdist URL from pypi.org>
#   pip download --no-deps --only-binary=:all: --python-version 3.12 \
#     --platform manylinux_2_17_x86_64 -d .whl pytools mako platformdirs siphash24
# Run from the repository root: bash benchmarks/gpu_pycuda_check.sh  (logs under $OUT if set)
set -u
REPO=$PWD
LOGS=${OUT:-/tmp/gpu_pycuda_check}
mkdir -p "$LOGS"
echo "== machine"; nvidia-smi -L; nvcc --version | tail -2; python3 --version
echo "== tensorrt importable?"; python3 -c "import tensorrt" 2>&1 | tail -1
echo "== onnxruntime"; python3 -c "import onnxruntime as o; print(o.__version__, o.get_available_providers())"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site
cd /tmp && tar xzf "$REPO"/.whl/pycuda-2026.1.tar.gz && cd pycuda-2026.1 || exit 1
start=$(date +%s); python3 "$REPO"/benchmarks/build_pycuda.py > "$LOGS"/pycuda_build.log 2>&1; rc=$?
echo "== pycuda build rc=$rc in $(( $(date +%s) - start )) s"
[ $rc = 0 ] || { grep -m5 error "$LOGS"/pycuda_build.log; exit 1; }
export PYTHONPATH=/tmp/site:/tmp/pycuda-2026.1:$REPO
cd "$REPO"
python3 -c "import pycuda.driver as c; c.init(); print('pycuda', c.get_version(), 'driver', c.get_driver_version(), c.Device(0).name())"
echo "== GPU tests"
python3 -m pytest -p no:cacheprovider -o addopts=-ra -v tests/unit/backends/test_tensorrt_pycuda.py 2>&1 | tee "$LOGS"/pytest_gpu.log
echo "== backend selection (auto) on this GPU machine"
python3 - <<'PY' 2>&1 | tee "$LOGS"/selection.log
import logging

logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
from privacycam.backends import select_backend
from privacycam.errors import PrivacyCamError

print("auto chose:", select_backend("privacycam/models/pulse_editor.onnx").name)
try:
    select_backend("privacycam/models/pulse_editor.onnx", preference="tensorrt")
except PrivacyCamError as exc:
    print("--backend tensorrt:", exc)
PY
