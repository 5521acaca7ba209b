"""The TensorRT backend's pycuda half on a real NVIDIA GPU: context, pinned host buffers,
async copies on a stream, dynamic shapes, a worker thread, close.

Runs only where pycuda and a CUDA device exist (skipped on the CPU development machines
and in CI). TensorRT itself is faked, thinly: a one-input engine whose "inference" is a
real device-to-device copy of the input buffer into the output buffer, so every byte the
test reads back went host → GPU → GPU → host through the backend's own code.
"""

from __future__ import annotations

import json
import sys
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

cuda = pytest.importorskip("pycuda.driver", reason="pycuda is not installed (GPU machines only)")

from privacycam.backends import select_backend  # noqa: E402
from privacycam.backends.calibrator import PycudaUploader  # noqa: E402
from privacycam.backends.engine_cache import EngineCache, EngineKey, file_sha256  # noqa: E402
from privacycam.backends.shapes import ShapeRange  # noqa: E402
from privacycam.backends.tensorrt_support import open_tensorrt  # noqa: E402

FAKE_VERSION = "fake-10.0"
PROFILE = {"video": ShapeRange((1, 3, 8, 64, 64), (1, 3, 32, 64, 64), (1, 3, 32, 64, 64))}


def _has_gpu() -> bool:
    try:
        cuda.init()
        return cuda.Device.count() > 0
    except cuda.Error:
        return False


pytestmark = pytest.mark.skipif(not _has_gpu(), reason="no CUDA device")


class _Context:
    """An execution context of the copy engine: ``edits`` gets a copy of ``video``."""

    def __init__(self) -> None:
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.addresses: dict[str, int] = {}

    def set_input_shape(self, name: str, shape: tuple[int, ...]) -> bool:
        self.shapes[name] = tuple(shape)
        return True

    def get_tensor_shape(self, name: str) -> tuple[int, ...]:
        return self.shapes["video"]

    def set_tensor_address(self, name: str, address: int) -> bool:
        self.addresses[name] = address
        return True

    def execute_async_v3(self, stream_handle: int) -> bool:
        # Legacy default stream: ordered after the backend's (blocking) stream's uploads.
        nbytes = int(np.prod(self.shapes["video"])) * 4
        cuda.memcpy_dtod(self.addresses["edits"], self.addresses["video"], nbytes)
        return True


class _Engine:
    num_io_tensors = 2

    def get_tensor_name(self, index: int) -> str:
        return ("video", "edits")[index]

    def get_tensor_mode(self, name: str) -> str:
        return "input" if name == "video" else "output"

    def get_tensor_dtype(self, name: str) -> str:
        return "float32"

    def create_execution_context(self) -> _Context:
        return _Context()


def _fake_tensorrt() -> types.ModuleType:
    trt = types.ModuleType("tensorrt")
    trt.__version__ = FAKE_VERSION

    class Logger:
        WARNING = 2

        def __init__(self, level: int) -> None:
            self.level = level

    class Runtime:
        def __init__(self, logger: Logger) -> None:
            self.logger = logger

        def deserialize_cuda_engine(self, data: bytes) -> _Engine | None:
            return _Engine() if json.loads(data) == {"engine": "copy"} else None

    trt.Logger = Logger
    trt.Runtime = Runtime
    trt.TensorIOMode = types.SimpleNamespace(INPUT="input", OUTPUT="output")
    trt.nptype = lambda dtype: np.float32
    return trt


@pytest.fixture()
def engine_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A model file and an engine cache holding the copy engine for this GPU."""
    monkeypatch.setitem(sys.modules, "tensorrt", _fake_tensorrt())
    model = tmp_path / "editor.onnx"
    model.write_bytes(b"stand-in model file: only its hash matters to the cache")
    rt = open_tensorrt()
    gpu_name = rt.gpu_name
    rt.close()
    key = EngineKey.create(file_sha256(model), gpu_name, FAKE_VERSION, "fp16", PROFILE)
    EngineCache(tmp_path / "engines").store(key, "editor", json.dumps({"engine": "copy"}).encode())
    return model, tmp_path / "engines"


def test_backend_round_trips_through_the_gpu_on_a_worker_thread(engine_dir: tuple[Path, Path]) -> None:
    model, engines = engine_dir
    backend = select_backend(model, preference="tensorrt", engine_dir=engines)
    assert backend.name == "tensorrt"
    rng = np.random.default_rng(0)
    try:
        with ThreadPoolExecutor(max_workers=1) as worker:  # the live stream runs the model off the main thread
            for frames in (32, 8, 32, 17):  # profile max, min, max again, in between
                video = rng.standard_normal((1, 3, frames, 64, 64)).astype(np.float32)
                (edits,) = worker.submit(backend.run, {"video": video}).result()
                assert edits.shape == video.shape
                np.testing.assert_array_equal(edits, video)
        with pytest.raises(ValueError):
            backend.run({"video": np.zeros((1, 3, 64, 64, 64), np.float32)})  # beyond the profile's max
    finally:
        backend.close()
    backend.close()  # closing twice is harmless


def test_calibration_uploader_writes_device_memory() -> None:
    cuda.init()
    context = cuda.Device(0).make_context()
    try:
        uploader = PycudaUploader()
        batch = np.arange(3 * 8 * 64 * 64, dtype=np.float32).reshape(1, 3, 8, 64, 64)
        pointer = uploader.upload("video", batch)
        assert uploader.upload("video", batch * 2) == pointer  # one buffer per input, reused
        back = np.empty_like(batch)
        cuda.memcpy_dtoh(back, pointer)
        np.testing.assert_array_equal(back, batch * 2)
        uploader.free()
    finally:
        context.pop()
        context.detach()
