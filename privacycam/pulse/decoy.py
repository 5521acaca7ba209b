"""Erase mode's drive: band-limited noise over the whole pulse band, no dominant peak."""

from __future__ import annotations

import numpy as np
from scipy import signal


class DecoyNoise:
    """Causal, seeded band-pass (0.7-3.5 Hz) Gaussian noise with unit standard deviation.

    Sampled once per frame; the filter state carries over, so the signal is continuous.
    """

    def __init__(self, fps: float = 30.0, seed: int = 1, band_hz: tuple[float, float] = (0.7, 3.5)) -> None:
        self._sos = signal.butter(2, band_hz, btype="bandpass", fs=fps, output="sos")
        self._state = signal.sosfilt_zi(self._sos) * 0.0
        self._rng = np.random.default_rng(seed)
        # unit output std: the filter's noise gain, measured once on a long sample
        probe = signal.sosfilt(self._sos, np.random.default_rng(0).standard_normal(60_000))
        self._norm = 1.0 / float(probe[5_000:].std())

    def advance(self) -> float:
        """The next sample."""
        out, self._state = signal.sosfilt(self._sos, [self._rng.standard_normal()], zi=self._state)
        return float(out[0]) * self._norm
