"""The inference-backend interface and its registry.

One small abstract class, :class:`InferenceBackend`, and named implementations registered
with :func:`register_backend` (the pyvirtualcam pattern). Every backend runs the same
model: feeds keyed by the ONNX input names in, outputs in the ONNX output order out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

TorchModuleFactory = Callable[[], torch.nn.Module]


@dataclass(frozen=True)
class BackendRequest:
    """What a backend factory gets: the model file and what some backends need beside it."""

    onnx_path: Path
    torch_module_factory: TorchModuleFactory | None = None
    engine_dir: Path | None = None  # TensorRT engine cache
    precision: str | None = None  # TensorRT engine precision; None: the newest engine of any


# A factory builds a ready backend or raises PrivacyCamError (usually DependencyMissingError)
# with one line that says why it cannot run here.
BackendFactory = Callable[[BackendRequest], "InferenceBackend"]


class InferenceBackend(ABC):
    """Runs one model: ``run(feeds)`` → outputs, in the ONNX output order."""

    name: str

    @abstractmethod
    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Outputs for ``feeds`` (input name → array)."""

    def close(self) -> None:
        """Release sessions, device memory and contexts (idempotent)."""

    def __enter__(self) -> InferenceBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_BACKENDS: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make ``factory`` selectable as ``--backend name``."""
    _BACKENDS[name] = factory


def backend_factory(name: str) -> BackendFactory:
    """The registered factory for ``name`` (KeyError lists the known names)."""
    try:
        return _BACKENDS[name]
    except KeyError:
        raise KeyError(f"unknown inference backend {name!r}; known: {', '.join(_BACKENDS)}") from None


def backend_names() -> list[str]:
    """Registered backend names, in registration order."""
    return list(_BACKENDS)
