"""INT8 calibration: model-input batches from ``calibration/`` for TensorRT's calibrator.

Calibration data is a folder of ``.npz`` files; each holds one array per model input,
named like the ONNX input, with a leading sample axis: ``video`` of shape (N, 3, 32, 64, 64)
is N samples of the input ``video`` (1, 3, 32, 64, 64). :class:`CalibrationBatches` (pure
numpy, tested without TensorRT) assembles them into batches of the calibration shape;
:func:`calibrator_class` wraps it in TensorRT's ``IInt8EntropyCalibrator2`` interface.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

from privacycam.backends.shapes import Shape

log = logging.getLogger(__name__)


def calibration_files(folder: str | Path) -> list[Path]:
    """The ``.npz`` batch files of a calibration folder, sorted by name."""
    return sorted(Path(folder).glob("*.npz"))


def calibration_sha256(files: list[Path]) -> str:
    """Digest of the names and bytes of the calibration files (keys engines and tables)."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class CalibrationBatches:
    """Batches of calibration inputs, each ``{name: array of shapes[name] and dtypes[name]}``.

    ``shapes`` are the full input shapes TensorRT calibrates with (the profile's opt shapes);
    axis 0 is the batch axis, so every batch takes ``shapes[name][0]`` samples of each input.
    Samples flow across file boundaries; a final partial batch is dropped (and logged).
    Values are cast to the input dtype when numpy's ``same_kind`` rule allows it.
    """

    def __init__(self, files: list[Path], shapes: dict[str, Shape], dtypes: dict[str, np.dtype], max_batches: int | None = None) -> None:
        batch_sizes = {shape[0] for shape in shapes.values()}
        if len(batch_sizes) != 1:
            raise ValueError(f"calibration inputs disagree on the batch size: {shapes}")
        if not files:
            raise ValueError("no calibration batches (.npz files) found")
        self.batch_size = batch_sizes.pop()
        self._files = list(files)
        self._shapes = {name: tuple(shape) for name, shape in shapes.items()}
        self._dtypes = {name: np.dtype(dtypes[name]) for name in shapes}
        self._max_batches = max_batches
        self._batches = self._assemble()
        self.served = 0

    def next(self) -> dict[str, np.ndarray] | None:
        """The next batch, or None at the end (TensorRT's signal to stop calibrating)."""
        if self._max_batches is not None and self.served >= self._max_batches:
            return None
        batch = next(self._batches, None)
        if batch is not None:
            self.served += 1
        return batch

    def _assemble(self) -> Iterator[dict[str, np.ndarray]]:
        pending: dict[str, list[np.ndarray]] = {name: [] for name in self._shapes}
        count = 0
        for path in self._files:
            samples = self._load(path)
            n = len(next(iter(samples.values())))
            start = 0
            while start < n:
                take = min(n - start, self.batch_size - count)
                for name, array in samples.items():
                    pending[name].append(array[start : start + take])
                count += take
                start += take
                if count == self.batch_size:
                    yield {name: np.ascontiguousarray(np.concatenate(parts)) for name, parts in pending.items()}
                    pending = {name: [] for name in self._shapes}
                    count = 0
        if count:
            log.info("calibration: dropped %d sample(s) short of a full batch of %d", count, self.batch_size)

    def _load(self, path: Path) -> dict[str, np.ndarray]:
        with np.load(path, allow_pickle=False) as data:
            missing = set(self._shapes) - set(data.files)
            if missing:
                raise ValueError(f"{path.name}: no array for input(s) {sorted(missing)} (has {data.files})")
            samples = {}
            for name, shape in self._shapes.items():
                array = data[name]
                if array.shape[1:] != shape[1:]:
                    raise ValueError(f"{path.name}: {name} samples are {array.shape[1:]}, the model wants {shape[1:]}")
                if not np.can_cast(array.dtype, self._dtypes[name], "same_kind"):
                    raise ValueError(f"{path.name}: {name} is {array.dtype}, cannot cast to {self._dtypes[name]}")
                samples[name] = array.astype(self._dtypes[name], copy=False)
        if len({len(a) for a in samples.values()}) != 1:
            raise ValueError(f"{path.name}: inputs have different sample counts {[len(a) for a in samples.values()]}")
        return samples


class DeviceUploader(Protocol):
    """Copies a host array to device memory kept for ``name``; returns the device pointer."""

    def upload(self, name: str, array: np.ndarray) -> int: ...


class PycudaUploader:
    """One pycuda device buffer per input, allocated on first use (needs a current context)."""

    def __init__(self) -> None:
        import pycuda.driver as cuda

        self._cuda = cuda
        self._buffers: dict[str, object] = {}

    def upload(self, name: str, array: np.ndarray) -> int:
        if name not in self._buffers:
            self._buffers[name] = self._cuda.mem_alloc(array.nbytes)
        self._cuda.memcpy_htod(self._buffers[name], array)
        return int(self._buffers[name])

    def free(self) -> None:
        for buffer in self._buffers.values():
            buffer.free()
        self._buffers.clear()


def calibrator_class(base: type) -> type:
    """A calibrator class deriving from ``base`` (``tensorrt.IInt8EntropyCalibrator2`` for
    real builds; any plain class in tests) that serves :class:`CalibrationBatches` and
    reads/writes the calibration table at ``table_path``. An error while reading a batch
    cannot cross TensorRT's C++ callback: it ends calibration and is kept in ``error``."""

    class Calibrator(base):
        def __init__(self, batches: CalibrationBatches, uploader: DeviceUploader, table_path: Path) -> None:
            base.__init__(self)
            self.batches = batches
            self._uploader = uploader
            self._table_path = Path(table_path)
            self.error: Exception | None = None

        def get_batch_size(self) -> int:
            return self.batches.batch_size

        def get_batch(self, names: list[str]) -> list[int] | None:
            try:
                batch = self.batches.next()
            except (OSError, ValueError) as exc:
                self.error = exc
                return None
            if batch is None:
                return None
            return [self._uploader.upload(name, batch[name]) for name in names]

        def read_calibration_cache(self) -> bytes | None:
            if self._table_path.is_file():
                log.info("calibration: reusing table %s", self._table_path)
                return self._table_path.read_bytes()
            return None

        def write_calibration_cache(self, cache: bytes) -> None:
            self._table_path.parent.mkdir(parents=True, exist_ok=True)
            self._table_path.write_bytes(bytes(cache))

    return Calibrator
