"""Test helpers: inject a known pulse into face pixels, and write lossless clips."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from privacycam.pulse.colour import BLOOD_VOLUME_BGR
from privacycam.rppg.roi import Box


def inject_pulse(
    frames_bgr: np.ndarray, box: Box, pulse: np.ndarray, amplitude: float, noise: float = 0.0, seed: int = 0
) -> np.ndarray:
    """Modulate the box's pixels by ``1 + amplitude * pulse[t] * PBV`` (relative), add Gaussian
    noise of ``noise`` grey levels, and round stochastically back to uint8."""
    rng = np.random.default_rng(seed)
    gains = (1.0 + amplitude * np.asarray(pulse)[:, None] * BLOOD_VOLUME_BGR).astype(np.float32)
    out = frames_bgr.copy()
    for frame, gain in zip(out, gains):
        area = frame if noise else box.region(frame)  # without noise only the face changes
        values = area.astype(np.float32)
        (box.region(values) if noise else values)[...] *= gain
        if noise:
            values += rng.normal(0.0, noise, values.shape).astype(np.float32)
        area[...] = np.clip(np.floor(values + rng.random(values.shape, dtype=np.float32)), 0, 255)
    return out


def write_ffv1(path: Path, frames_bgr: Iterable[np.ndarray], fps: float) -> Path:
    """Write BGR frames (an array, or any iterable: one frame in memory at a time) losslessly (FFV1)."""
    writer = None
    for frame in frames_bgr:
        if writer is None:
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), fps, frame.shape[1::-1])
            assert writer.isOpened(), f"cannot write {path}"
        writer.write(frame)
    assert writer is not None, f"no frames for {path}"
    writer.release()
    return path
