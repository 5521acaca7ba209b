"""Build TensorRT engines from an ONNX file, ahead of time (``privacycam build-engine``).

Builds take minutes, so they never run in the live stream: the stream only loads engines
from the cache (:mod:`privacycam.backends.engine_cache`). FP16 always; INT8 adds an entropy
calibrator fed from ``calibration/`` (FP16 stays on for layers INT8 cannot run).
The TensorRT calls cannot run on the CPU-only development machines; only what surrounds
them (keys, cache, profiles, calibration batches, progress messages) is tested there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from privacycam.backends.calibrator import (
    CalibrationBatches,
    PycudaUploader,
    calibration_files,
    calibration_sha256,
    calibrator_class,
)
from privacycam.backends.engine_cache import EngineCache, EngineKey, file_sha256
from privacycam.backends.shapes import ShapeRange, onnx_inputs, optimisation_profile
from privacycam.backends.tensorrt_support import TensorRT, open_tensorrt
from privacycam.errors import PrivacyCamError

Progress = Callable[[str], None]
WORKSPACE_BYTES = 1 << 30


def progress_monitor_class(base: type) -> type:
    """A build-progress monitor deriving from ``base`` (``tensorrt.IProgressMonitor``, TensorRT
    10+; any plain class in tests) that reports the top-level build phases and their steps."""

    class BuildProgress(base):
        def __init__(self, report: Progress) -> None:
            base.__init__(self)
            self._report = report
            self._depth: dict[str, int] = {}
            self._steps: dict[str, int] = {}

        def phase_start(self, phase_name: str, parent_phase: str | None, num_steps: int) -> None:
            depth = 0 if parent_phase is None else self._depth.get(parent_phase, 0) + 1
            self._depth[phase_name] = depth
            self._steps[phase_name] = num_steps
            if depth == 0:
                self._report(f"building: {phase_name} ({num_steps} steps)")

        def step_complete(self, phase_name: str, step: int) -> bool:
            if self._depth.get(phase_name) == 0:
                self._report(f"building: {phase_name} {step + 1}/{self._steps[phase_name]}")
            return True  # False would cancel the build

        def phase_finish(self, phase_name: str) -> None:
            if self._depth.pop(phase_name, None) == 0:
                self._report(f"building: {phase_name} done")

    return BuildProgress


def build_engine(
    onnx_path: str | Path,
    cache_dir: str | Path,
    precision: str = "fp16",
    shapes: dict[str, ShapeRange] | None = None,
    calibration_dir: str | Path | None = None,
    progress: Progress = print,
    force: bool = False,
) -> Path:
    """Build (or find in the cache) the engine for ``onnx_path`` on this GPU; its path.

    Engines of older versions of the same model file are removed first. Raises
    DependencyMissingError without TensorRT/pycuda/GPU, ValueError for bad shapes or
    calibration data, PrivacyCamError when TensorRT fails.
    """
    onnx_path = Path(onnx_path)
    profile = optimisation_profile(onnx_inputs(onnx_path), shapes)
    files = calibration_files(calibration_dir) if precision == "int8" and calibration_dir else []
    if precision == "int8" and not files:
        raise ValueError(f"INT8 needs calibration batches (.npz) in --calibration (got {calibration_dir})")
    model_sha256 = file_sha256(onnx_path)
    rt = open_tensorrt()
    try:
        key = EngineKey.create(
            model_sha256, rt.gpu_name, rt.version, precision, profile, calibration_sha256(files) if files else ""
        )
        cache = EngineCache(cache_dir)
        for stale in cache.prune(onnx_path.stem, model_sha256):
            progress(f"removed {stale.name}: built from an older {onnx_path.name}")
        cached = cache.lookup(key)
        if cached is not None and not force:
            progress(f"engine up to date: {cached}")
            return cached
        progress(
            f"building a TensorRT {precision} engine for {onnx_path.name} on {rt.gpu_name} "
            f"(TensorRT {rt.version}); this takes minutes"
        )
        for name, shape_range in profile.items():
            progress(f"input {name}: {shape_range}")
        if files:
            progress(f"INT8 calibration from {len(files)} file(s) in {calibration_dir}")
        started = time.monotonic()
        table = Path(cache_dir) / f"{onnx_path.stem}-{model_sha256[:12]}-{key.calibration_sha256[:12]}.calib"
        engine = serialize_network(rt, onnx_path, precision, profile, files, table, progress)
        path = cache.store(key, onnx_path.stem, engine)
        progress(f"engine saved: {path} ({len(engine) / 1e6:.1f} MB, {time.monotonic() - started:.0f} s)")
        return path
    finally:
        rt.close()


def serialize_network(
    rt: TensorRT,
    onnx_path: Path,
    precision: str,
    profile: dict[str, ShapeRange],
    calibration: list[Path],
    table_path: Path,
    progress: Progress,
) -> bytes:
    """Parse ``onnx_path`` and build a serialized engine (the TensorRT-only part)."""
    trt = rt.trt
    with rt.active():
        builder = trt.Builder(rt.logger)
        explicit_batch = 0 if int(trt.__version__.split(".")[0]) >= 10 else 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
        network = builder.create_network(explicit_batch)
        parser = trt.OnnxParser(network, rt.logger)
        if not parser.parse_from_file(str(onnx_path)):
            errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
            raise PrivacyCamError(f"TensorRT could not parse {onnx_path.name}: {errors}")
        config = builder.create_builder_config()
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, WORKSPACE_BYTES)
        trt_profile = builder.create_optimization_profile()
        for name, shape_range in profile.items():
            trt_profile.set_shape(name, shape_range.min, shape_range.opt, shape_range.max)
        config.add_optimization_profile(trt_profile)
        config.set_flag(trt.BuilderFlag.FP16)
        if hasattr(trt, "IProgressMonitor"):
            config.progress_monitor = progress_monitor_class(trt.IProgressMonitor)(progress)
        calibrator, uploader = None, None
        if precision == "int8":
            inputs = {spec.name: spec.dtype for spec in onnx_inputs(onnx_path)}
            batches = CalibrationBatches(calibration, {n: r.opt for n, r in profile.items()}, inputs)
            uploader = PycudaUploader()
            calibrator = calibrator_class(trt.IInt8EntropyCalibrator2)(batches, uploader, table_path)
            config.set_flag(trt.BuilderFlag.INT8)
            config.int8_calibrator = calibrator
            config.set_calibration_profile(trt_profile)
        try:
            serialized = builder.build_serialized_network(network, config)
        finally:
            if uploader is not None:
                uploader.free()
        if calibrator is not None and calibrator.error is not None:
            raise PrivacyCamError(f"INT8 calibration failed: {calibrator.error}")
        if serialized is None:
            raise PrivacyCamError("TensorRT could not build the engine (see its messages above)")
        if calibrator is not None:
            progress(f"calibrated on {calibrator.batches.served} batch(es); table {table_path}")
        return bytes(serialized)
