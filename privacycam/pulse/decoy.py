"""Erase mode's drive: band-limited noise over the pulse band, no dominant peak, and a
stop band around the real pulse rate so the decoy never resembles the pulse it hides."""

from __future__ import annotations

import copy

import numpy as np
from scipy import signal

STOP_HALF_WIDTH_HZ = 15.0 / 60.0  # keep the decoy this far from the real heart rate


class DecoyNoise:
    """Causal, seeded band-pass (0.7-3.5 Hz) Gaussian noise with about unit standard deviation.

    Sampled once per frame; filter states carry over, so the signal is continuous.
    :meth:`avoid` adds (or moves) a band-stop around a frequency, e.g. the measured real
    pulse, so the decoy is uncorrelated with it and never peaks near it.
    """

    def __init__(self, fps: float = 30.0, seed: int = 1, band_hz: tuple[float, float] = (0.7, 3.5)) -> None:
        self._fps = fps
        self._band = signal.butter(2, band_hz, btype="bandpass", fs=fps, output="sos")
        self._band_state = np.zeros((self._band.shape[0], 2))
        self._stop: np.ndarray | None = None
        self._stop_state = np.zeros((4, 2))
        self.avoided_hz: float | None = None
        self._rng = np.random.default_rng(seed)
        probe = signal.sosfilt(self._band, np.random.default_rng(0).standard_normal(60_000))
        self._norm = 1.0 / float(probe[5_000:].std())

    def avoid(self, freq_hz: float | None) -> None:
        """Put the stop band around ``freq_hz`` (None: remove it). Small moves are ignored."""
        if freq_hz is None:
            self._stop, self.avoided_hz = None, None
            return
        if self.avoided_hz is not None and abs(freq_hz - self.avoided_hz) < 1.0 / 60.0:
            return
        low = max(0.05, freq_hz - STOP_HALF_WIDTH_HZ)
        high = min(0.49 * self._fps, freq_hz + STOP_HALF_WIDTH_HZ)
        self._stop = signal.butter(4, [low, high], btype="bandstop", fs=self._fps, output="sos")
        self.avoided_hz = freq_hz

    def advance(self) -> float:
        """The next sample."""
        value, self._band_state = signal.sosfilt(self._band, [self._rng.standard_normal()], zi=self._band_state)
        if self._stop is not None:
            value, self._stop_state = signal.sosfilt(self._stop, value, zi=self._stop_state)
        return float(value[0]) * self._norm

    def preview(self, count: int) -> np.ndarray:
        """The next ``count`` samples without advancing (they come true unless :meth:`avoid` moves the stop band)."""
        ahead = copy.deepcopy(self)
        return np.array([ahead.advance() for _ in range(count)], dtype=np.float64)
