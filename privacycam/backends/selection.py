"""Choose the fastest backend that can run here, or the one the user named."""

from __future__ import annotations

import logging
from pathlib import Path

from privacycam.backends import ort_backend, tensorrt_backend, torch_backend  # noqa: F401  (register)
from privacycam.backends.base import BackendRequest, InferenceBackend, TorchModuleFactory, backend_factory
from privacycam.backends.tensorrt_support import EngineNotBuiltError
from privacycam.errors import DependencyMissingError, PrivacyCamError

log = logging.getLogger(__name__)

AUTO_ORDER = ("tensorrt", "onnxruntime-cuda", "onnxruntime-cpu", "torch")
# --backend values: "auto", a group, or one registered name.
GROUPS = {"auto": AUTO_ORDER, "onnxruntime": ("onnxruntime-cuda", "onnxruntime-cpu")}
CHOICES = (*GROUPS, *AUTO_ORDER)


def select_backend(
    onnx_path: str | Path,
    torch_module_factory: TorchModuleFactory | None = None,
    preference: str = "auto",
    engine_dir: str | Path | None = None,
    precision: str | None = None,
) -> InferenceBackend:
    """The first backend of ``preference`` that starts, logged as ``inference backend: NAME``.

    ``auto`` tries TensorRT (only a cached engine, never a build) > ONNX Runtime CUDA >
    ONNX Runtime CPU > torch; a missing engine is logged with the command that builds it.
    A single named backend that cannot start raises its one-line PrivacyCamError.
    """
    if preference not in CHOICES:
        raise PrivacyCamError(f"unknown backend {preference!r}: choose from {', '.join(CHOICES)}")
    request = BackendRequest(Path(onnx_path), torch_module_factory, Path(engine_dir) if engine_dir else None, precision)
    candidates = GROUPS.get(preference, (preference,))
    reasons = []
    for name in candidates:
        try:
            backend = backend_factory(name)(request)
        except PrivacyCamError as exc:
            if len(candidates) == 1:
                raise
            reasons.append(f"{name}: {exc}")
            if isinstance(exc, EngineNotBuiltError):
                log.warning("%s; using the next backend meanwhile", exc)
            elif isinstance(exc, DependencyMissingError):
                log.debug("skipping %s: %s", name, exc)
            else:
                log.warning("skipping %s: %s", name, exc)
            continue
        log.info("inference backend: %s", backend.name)
        return backend
    raise PrivacyCamError("no inference backend could start: " + " | ".join(reasons))
