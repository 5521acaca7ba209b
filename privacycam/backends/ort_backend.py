"""ONNX Runtime backends: ``onnxruntime-cuda`` (where the CUDA provider is installed) and
``onnxruntime-cpu``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from privacycam.backends.base import InferenceBackend, BackendRequest, register_backend
from privacycam.errors import DependencyMissingError

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


class OnnxRuntimeBackend(InferenceBackend):
    """An ONNX Runtime session on one execution provider (CUDA falls back to CPU per node)."""

    def __init__(self, onnx_path: str | Path, provider: str = CPU, threads: int = 0) -> None:
        if provider not in ort.get_available_providers():
            raise DependencyMissingError(
                f"ONNX Runtime has no {provider} here: pip install onnxruntime-gpu (with CUDA and cuDNN)"
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # 0: ONNX Runtime's default (one per core)
        providers = [provider] if provider == CPU else [provider, CPU]
        self._session = ort.InferenceSession(str(onnx_path), options, providers=providers)
        if self._session.get_providers()[0] != provider:  # e.g. CUDA libraries failed to load
            raise DependencyMissingError(f"ONNX Runtime could not start {provider} (CUDA/cuDNN libraries missing?)")
        self.name = "onnxruntime-cuda" if provider == CUDA else "onnxruntime-cpu"

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        return list(self._session.run(None, feeds))

    def close(self) -> None:
        self._session = None


def _cuda(request: BackendRequest) -> OnnxRuntimeBackend:
    return OnnxRuntimeBackend(request.onnx_path, CUDA)


def _cpu(request: BackendRequest) -> OnnxRuntimeBackend:
    return OnnxRuntimeBackend(request.onnx_path, CPU)


register_backend("onnxruntime-cuda", _cuda)
register_backend("onnxruntime-cpu", _cpu)
