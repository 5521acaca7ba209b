"""Inference backends for ONNX models: torch (reference), ONNX Runtime (CPU/CUDA) and
TensorRT engines (GPU, built ahead of time), one interface, chosen automatically."""

from privacycam.backends.base import BackendRequest, InferenceBackend, backend_names, register_backend
from privacycam.backends.selection import AUTO_ORDER, CHOICES, select_backend

__all__ = [
    "AUTO_ORDER",
    "CHOICES",
    "BackendRequest",
    "InferenceBackend",
    "backend_names",
    "register_backend",
    "select_backend",
]
