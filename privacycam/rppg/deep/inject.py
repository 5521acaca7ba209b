"""Adding a known pulse to face crops in the blood-volume colour direction."""

from __future__ import annotations

import numpy as np

from privacycam.pulse.colour import BLOOD_VOLUME_RGB



def inject_pulse(faces: np.ndarray, pulse: np.ndarray, amplitude: float) -> np.ndarray:
    """``faces`` (T, H, W, 3) RGB plus ``amplitude * pulse[t]`` grey levels along the blood-volume direction.

    The change at each pixel is scaled by that pixel's mean brightness relative to the
    crop's, as blood-volume changes are (darker pixels change less). Returns float32,
    unclipped and unrounded; ``pulse`` is (T,).
    """
    faces = np.asarray(faces, dtype=np.float32)
    luma = faces.mean(axis=(0, 3))
    scale = luma / max(float(luma.mean()), 1e-6)
    delta = np.asarray(pulse, dtype=np.float32)[:, None, None, None] * scale[None, :, :, None] * BLOOD_VOLUME_RGB
    return faces + np.float32(amplitude) * delta.astype(np.float32)


def dither(frames: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Stochastic rounding to uint8, so sub-grey-level changes survive in the spatial mean."""
    noisy = np.floor(np.asarray(frames, dtype=np.float32) + rng.random(np.shape(frames), dtype=np.float32))
    return np.clip(noisy, 0, 255).astype(np.uint8)
