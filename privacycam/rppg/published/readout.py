"""How ``open-rppg`` turns a network's chunks into one clip's pulse (its ``Model.bvp(raw=True)``).

Frames are fed in consecutive, non-overlapping chunks of the network's length; the last, short
chunk is padded with its last frame and cut back. A derivative network's chunk is integrated,
standardised and differenced again; the whole clip is then integrated once and detrended with
a smoothness-priors filter. Integrating the whole clip, not chunk by chunk, is what keeps an
output offset from turning into a sawtooth whose harmonics win the spectrum.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import spsolve


def chunks(n: int, length: int) -> list[tuple[int, int]]:
    """(start, stop) of the consecutive chunks covering ``n`` frames."""
    return [(start, min(n, start + length)) for start in range(0, n, length)]


def pad_chunk(frames: np.ndarray, length: int) -> np.ndarray:
    """``frames`` padded to ``length`` with copies of its last frame."""
    missing = length - len(frames)
    return frames if missing <= 0 else np.concatenate([frames, np.repeat(frames[-1:], missing, axis=0)])


def renormalise_derivative(derivative: np.ndarray) -> np.ndarray:
    """A chunk's derivative integrated, standardised, and differenced again (starting at 0)."""
    level = np.cumsum(derivative)
    level = (level - level.mean()) / (level.std() + 1e-6)
    return np.diff(np.concatenate([[0.0], level]))


def detrend(signal: np.ndarray, fps: float, min_hz: float = 0.5) -> np.ndarray:
    """Smoothness-priors detrending (Tarvainen et al.) with the package's lambda."""
    n = len(signal)
    if n < 3:
        return signal - np.mean(signal)
    lam = 50.0 * (fps / 30.0) ** 2 * (0.5 / min_hz) ** 2
    ones = np.ones(n - 2)
    second = sparse.diags([ones, -2.0 * ones, ones], [0, 1, 2], shape=(n - 2, n), format="csc")
    trend = spsolve(sparse.eye(n, format="csc") + lam**2 * (second.T @ second), signal)
    return signal - trend


MODEL_FPS = 30.0  # every packaged network runs at 30 fps; other rates are resampled to it


def model_rate_indices(n: int, fps: float, rate: float = MODEL_FPS) -> np.ndarray:
    """Which input frame feeds each model-rate sample, by the package's rule (frames repeated
    when the clip is slower than ``rate``, skipped when faster)."""
    indices, produced = [], 0
    for index in range(n):
        while (produced - 0.3) / rate <= index / fps:
            indices.append(index)
            produced += 1
    return np.asarray(indices, dtype=np.int64)


def from_model_rate(pulse: np.ndarray, n: int, fps: float, rate: float = MODEL_FPS) -> np.ndarray:
    """A model-rate pulse sampled back at the clip's ``n`` frame times."""
    return np.interp(np.arange(n) / fps, np.arange(len(pulse)) / rate, pulse)


def read_clip(faces: np.ndarray, fps: float, chunk: int, derivative: bool, run: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The clip's pulse, one value per frame, from ``run`` (a (chunk, H, W, 3) uint8 -> (chunk,)
    network call), read at the networks' 30 fps as the package does."""
    n = len(faces)
    faces = faces[model_rate_indices(n, fps)]
    pieces = []
    for start, stop in chunks(len(faces), chunk):
        out = np.asarray(run(pad_chunk(faces[start:stop], chunk)), np.float64)
        if derivative:
            out = renormalise_derivative(out)
        pieces.append(out[: stop - start])
    pulse = np.concatenate(pieces)
    pulse = detrend(np.cumsum(pulse), MODEL_FPS) if derivative else pulse
    return from_model_rate(pulse, n, fps)
