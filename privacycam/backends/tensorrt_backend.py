"""The ``tensorrt`` backend: runs a cached engine with pycuda device buffers and a stream.

Per call: host → device copies (async) → ``execute_async_v3`` → device → host copies
(async) → stream synchronize. It only loads engines (built by ``privacycam build-engine``);
with none in the cache it raises :class:`EngineNotBuiltError` and selection moves on.
Needs TensorRT ≥ 8.6 (tensor-name API). It cannot run on the CPU-only development
machines; ``tests/unit/backends/test_tensorrt_pycuda.py`` runs it on a GPU with real pycuda and TensorRT faked.
"""

from __future__ import annotations

from math import prod
from pathlib import Path

import numpy as np

from privacycam.backends.base import BackendRequest, InferenceBackend, register_backend
from privacycam.backends.engine_cache import CachedEngine, EngineCache, file_sha256
from privacycam.backends.shapes import checked_feeds
from privacycam.backends.tensorrt_support import EngineNotBuiltError, TensorRT, open_tensorrt
from privacycam.errors import PrivacyCamError

DEFAULT_ENGINE_DIR = Path(__file__).resolve().parents[2] / "engines"


class TensorRTBackend(InferenceBackend):
    """One deserialized engine, its execution context, buffers sized for the profile's max."""

    name = "tensorrt"

    def __init__(self, rt: TensorRT, cached: CachedEngine) -> None:
        trt, cuda = rt.trt, rt.cuda
        self._rt = rt
        self._profile = cached.key.profile()
        with rt.active():
            engine = trt.Runtime(rt.logger).deserialize_cuda_engine(cached.path.read_bytes())
            if engine is None:
                raise PrivacyCamError(f"TensorRT could not load {cached.path}: rebuild it with `privacycam build-engine --force`")
            self._engine = engine
            self._context = engine.create_execution_context()
            self._stream = cuda.Stream()
            names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
            self._inputs = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
            self._outputs = [n for n in names if n not in self._inputs]
            self._dtypes = {n: np.dtype(trt.nptype(engine.get_tensor_dtype(n))) for n in names}
            for name in self._inputs:  # size every buffer for the largest shapes
                self._context.set_input_shape(name, self._profile[name].max)
            largest = {n: self._profile[n].max for n in self._inputs}
            largest.update({n: tuple(self._context.get_tensor_shape(n)) for n in self._outputs})
            self._host = {n: cuda.pagelocked_empty(prod(largest[n]), self._dtypes[n]) for n in names}
            self._device = {n: cuda.mem_alloc(self._host[n].nbytes) for n in names}
            for name in names:
                self._context.set_tensor_address(name, int(self._device[name]))

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        arrays = checked_feeds(feeds, self._profile, {n: self._dtypes[n] for n in self._inputs})
        cuda = self._rt.cuda
        with self._rt.active():
            for name, array in arrays.items():
                self._context.set_input_shape(name, array.shape)
                host = self._host[name][: array.size]
                host[:] = array.ravel()
                cuda.memcpy_htod_async(self._device[name], host, self._stream)
            shapes = {n: tuple(self._context.get_tensor_shape(n)) for n in self._outputs}
            if not self._context.execute_async_v3(self._stream.handle):
                raise PrivacyCamError("TensorRT execution failed (see its messages above)")
            for name in self._outputs:
                cuda.memcpy_dtoh_async(self._host[name][: prod(shapes[name])], self._device[name], self._stream)
            self._stream.synchronize()
        return [self._host[n][: prod(shapes[n])].reshape(shapes[n]).copy() for n in self._outputs]

    def close(self) -> None:
        if self._rt is None:
            return
        with self._rt.active():
            for buffer in self._device.values():
                buffer.free()
            del self._context, self._engine, self._stream, self._host
        self._rt.close()
        self._rt = None


def find_engine(rt: TensorRT, onnx_path: Path, engine_dir: Path, precision: str | None = None) -> CachedEngine:
    """The newest cached engine for this model file, GPU and TensorRT, or EngineNotBuiltError."""
    cached = EngineCache(engine_dir).find(file_sha256(onnx_path), rt.gpu_name, rt.version, precision)
    if cached is None:
        what = f"{precision} engine" if precision else "engine"
        raise EngineNotBuiltError(
            f"no TensorRT {what} for {onnx_path.name} on {rt.gpu_name} (TensorRT {rt.version}) in {engine_dir}: "
            f"run `privacycam build-engine --model {onnx_path}`"
        )
    return cached


def _factory(request: BackendRequest) -> TensorRTBackend:
    rt = open_tensorrt()
    try:
        return TensorRTBackend(rt, find_engine(rt, request.onnx_path, request.engine_dir or DEFAULT_ENGINE_DIR, request.precision))
    except BaseException:
        rt.close()
        raise


register_backend("tensorrt", _factory)
