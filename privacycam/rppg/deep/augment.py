"""Training augmentations of a face-crop window and its pulse label."""

from __future__ import annotations

import cv2
import numpy as np


def resample(frames: np.ndarray, label: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation in time of (L, H, W, 3) frames and (L,) label to ``length`` samples."""
    src = np.linspace(0.0, len(frames) - 1.0, length)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, len(frames) - 1)
    frac = (src - lo).astype(np.float32)
    out = frames[lo] * (1.0 - frac[:, None, None, None]) + frames[hi] * frac[:, None, None, None]
    return out.astype(np.float32), np.interp(src, np.arange(len(label)), label)


def geometric(frames: np.ndarray, rng: np.random.Generator, shift: float = 0.06, zoom: float = 0.1) -> np.ndarray:
    """The same random shift (share of the side), scale and optional horizontal flip for every frame."""
    side = frames.shape[1]
    scale = 1.0 + rng.uniform(-zoom, zoom)
    dx, dy = rng.uniform(-shift, shift, size=2) * side
    centre = (side - 1) / 2.0
    matrix = np.array([[scale, 0.0, (1 - scale) * centre + dx], [0.0, scale, (1 - scale) * centre + dy]])
    if rng.random() < 0.5:
        matrix[0] = [-scale, 0.0, (1 + scale) * centre + dx]
    warp = lambda f: cv2.warpAffine(f, matrix, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)  # noqa: E731
    return np.stack([warp(f) for f in frames])


def photometric(frames: np.ndarray, rng: np.random.Generator, noise_max: float = 2.0) -> np.ndarray:
    """Random contrast, brightness and per-channel gain, Gaussian noise, then rounding to 0-255 integers."""
    contrast = rng.uniform(0.7, 1.3)
    gain = rng.uniform(0.92, 1.08, size=3).astype(np.float32)
    mean = frames.mean()
    out = (frames - mean) * contrast + mean * rng.uniform(0.7, 1.3)
    out = out * gain + rng.normal(0.0, rng.uniform(0.0, noise_max), size=frames.shape).astype(np.float32)
    return np.clip(np.round(out), 0, 255).astype(np.float32)
