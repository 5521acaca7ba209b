"""The one small interface every rPPG estimator (built-in or plugin) implements."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class Estimator(ABC):
    """An rPPG estimator: face crops in, pulse waveform out.

    ``faces`` is (T, H, W, 3) uint8 **RGB**, the attacker's face region of each frame resized
    to one size (see :mod:`privacycam.rppg.roi`); ``fps`` is the clip's frame rate. The
    result is a (T,) float waveform whose dominant frequency is the heart rate.
    """

    name: str = "estimator"
    family: str = "classical"  # "classical" or "deep"

    @abstractmethod
    def waveform(self, faces: np.ndarray, fps: float) -> np.ndarray:
        """Return the estimated pulse waveform, one value per frame."""
