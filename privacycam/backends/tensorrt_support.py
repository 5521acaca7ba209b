"""Guarded access to TensorRT and pycuda, which are optional and GPU-only.

Nothing here imports them at module level: the rest of the project loads on machines
without them. :func:`open_tensorrt` is the one place that imports them; without them it
raises :class:`DependencyMissingError` with one line that says what to install.
(It cannot run on the CPU-only development machines; ``tests/unit/backends/test_tensorrt_pycuda.py``
runs it on a GPU with real pycuda and TensorRT faked.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from privacycam.errors import DependencyMissingError, PrivacyCamError

TENSORRT_MISSING = (
    "TensorRT backend needs the 'tensorrt' and 'pycuda' packages and an NVIDIA GPU: pip install 'privacycam[tensorrt]'"
)


class EngineNotBuiltError(PrivacyCamError):
    """TensorRT is installed but no engine was built for this model, GPU and TensorRT."""


class TensorRT:
    """The imported ``tensorrt`` and ``pycuda.driver`` modules and a CUDA context on GPU 0.

    The context is not left current: wrap every CUDA call in :meth:`active`, from whichever
    thread (the live stream runs the model in a worker thread).
    """

    def __init__(self, trt: ModuleType, cuda: ModuleType) -> None:
        self.trt = trt
        self.cuda = cuda
        cuda.init()
        if cuda.Device.count() == 0:
            raise DependencyMissingError(TENSORRT_MISSING)
        device = cuda.Device(0)
        self.gpu_name: str = device.name()
        self.version: str = trt.__version__
        self._context = device.make_context()
        self._context.pop()
        self.logger = trt.Logger(trt.Logger.WARNING)

    @contextmanager
    def active(self) -> Iterator[None]:
        """Make this object's CUDA context current in the calling thread."""
        self._context.push()
        try:
            yield
        finally:
            self._context.pop()

    def close(self) -> None:
        if self._context is not None:
            self._context.detach()
            self._context = None


def open_tensorrt() -> TensorRT:
    """Import TensorRT and pycuda and open GPU 0, or raise DependencyMissingError."""
    try:
        import pycuda.driver as cuda
        import tensorrt as trt
    except ImportError:
        raise DependencyMissingError(TENSORRT_MISSING) from None
    try:
        return TensorRT(trt, cuda)
    except cuda.Error:  # no driver or no device
        raise DependencyMissingError(TENSORRT_MISSING) from None
