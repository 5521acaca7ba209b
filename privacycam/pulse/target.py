"""A continuous, realistic synthetic PPG whose phase never jumps.

The waveform has a systolic peak and a dicrotic wave per beat, with the weak harmonics of a
camera PPG; the beat rate carries
heart-rate variability (low- and high-frequency components, the latter at the breathing
rate) and the amplitude and baseline carry respiratory modulation. Changing the target
rate glides the instantaneous rate to the new value; the phase is integrated, so it is
continuous across windows and mode changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np


# The beat: a systolic wave and a smaller, later dicrotic wave, as Gaussians in phase. Their
# widths set the harmonics: 2nd / 1st 0.28, 3rd / 1st 0.08, the smooth shape of a camera PPG.
# A network that reads the pulse's derivative (trained on derivative labels, or its output
# integrated afterwards) weighs the k-th harmonic k times: with a sharper beat (systolic width
# 0.075, dicrotic 0.45 at 0.48) the derivative's 3rd harmonic was 1.6x its fundamental, and
# at 60 bpm PhysNet read the 120-bpm harmonic (docs/benchmarks.md, "Target waveform").
SYSTOLIC_AT, SYSTOLIC_WIDTH = 0.18, 0.14
DICROTIC_AT, DICROTIC_WIDTH, DICROTIC_HEIGHT = 0.50, 0.12, 0.30


def _beat(phase: np.ndarray) -> np.ndarray:
    """The raw beat at ``phase`` in [0, 1); the systolic wave wraps around so 0 and 1 meet smoothly."""
    systolic = sum(np.exp(-0.5 * ((phase - SYSTOLIC_AT - shift) / SYSTOLIC_WIDTH) ** 2) for shift in (-1.0, 0.0, 1.0))
    return systolic + DICROTIC_HEIGHT * np.exp(-0.5 * ((phase - DICROTIC_AT) / DICROTIC_WIDTH) ** 2)


_grid_beat = _beat(np.linspace(0.0, 1.0, 2048, endpoint=False))
_SHAPE_MEAN = float(_grid_beat.mean())
_SHAPE_SCALE = float((_grid_beat - _SHAPE_MEAN).std() * math.sqrt(2.0))  # unit "sine-equivalent" amplitude
del _grid_beat


def beat_shape(phase: np.ndarray) -> np.ndarray:
    """One beat as a function of phase (beats; any real value), zero mean, unit sine-equivalent amplitude."""
    return (_beat(np.mod(phase, 1.0)) - _SHAPE_MEAN) / _SHAPE_SCALE


@dataclass(frozen=True)
class _State:
    time: float
    phase: float  # in beats (unbounded)
    rate_hz: float  # glided base rate


class TargetPulse:
    """Phase-continuous synthetic PPG generator.

    Call :meth:`advance` with non-decreasing timestamps (seconds) to get one sample each;
    :meth:`preview` returns future samples without changing the state.
    """

    def __init__(
        self,
        bpm: float,
        seed: int = 0,
        hrv: float = 0.04,
        breathing_hz: float = 0.25,
        glide_s: float = 2.0,
    ) -> None:
        rng = np.random.default_rng(seed)
        self._target_hz = bpm / 60.0
        self._hrv = hrv
        self._breathing_hz = breathing_hz
        self._glide_s = glide_s
        self._phases = rng.uniform(0.0, 2.0 * math.pi, size=4)
        self._state = _State(time=float("nan"), phase=float(rng.uniform(0, 1)), rate_hz=self._target_hz)

    @property
    def bpm(self) -> float:
        """The target rate the generator is gliding to."""
        return self._target_hz * 60.0

    @property
    def phase(self) -> float:
        """Current phase in beats (unbounded, continuous)."""
        return self._state.phase

    def set_bpm(self, bpm: float) -> None:
        """Glide to a new rate; the phase stays continuous."""
        self._target_hz = bpm / 60.0

    def _modulation(self, t: float) -> float:
        """Beat-to-beat rate variability: a 0.1 Hz (LF) and a respiratory (HF) wave. No
        slower drift: an attacker's 10-s window must read the chosen rate, not a drift of it."""
        lf = math.sin(2 * math.pi * 0.1 * t + self._phases[0])
        hf = math.sin(2 * math.pi * self._breathing_hz * t + self._phases[1])
        return self._hrv * (0.5 * lf + 0.35 * hf)

    def _step(self, state: _State, t: float) -> tuple[_State, float]:
        if math.isnan(state.time):
            state = replace(state, time=t)
        dt = max(0.0, t - state.time)
        alpha = 1.0 - math.exp(-dt / self._glide_s) if self._glide_s > 0 else 1.0
        rate = state.rate_hz + alpha * (self._target_hz - state.rate_hz)
        inst_prev = state.rate_hz * (1.0 + self._modulation(state.time))
        inst_now = rate * (1.0 + self._modulation(t))
        phase = state.phase + 0.5 * (inst_prev + inst_now) * dt
        resp = math.sin(2 * math.pi * self._breathing_hz * t + self._phases[3])
        value = float(beat_shape(np.array([phase]))[0]) * (1.0 + 0.12 * resp) + 0.08 * resp
        return _State(time=t, phase=phase, rate_hz=rate), value

    def advance(self, t: float) -> float:
        """Move to time ``t`` and return the waveform value there."""
        self._state, value = self._step(self._state, t)
        return value

    def sample(self, timestamps: np.ndarray) -> np.ndarray:
        """Advance through ``timestamps`` and return one value each."""
        return np.array([self.advance(float(t)) for t in timestamps], dtype=np.float64)

    def preview(self, timestamps: np.ndarray) -> np.ndarray:
        """Values at future ``timestamps`` without advancing the generator."""
        state = self._state
        out = np.empty(len(timestamps), dtype=np.float64)
        for i, t in enumerate(timestamps):
            state, out[i] = self._step(state, float(t))
        return out


def synthetic_ppg(duration_s: float, fps: float, bpm: float, seed: int = 0) -> np.ndarray:
    """A realistic PPG of ``duration_s`` seconds at ``fps`` samples/s around ``bpm``."""
    n = int(round(duration_s * fps))
    return TargetPulse(bpm, seed=seed, glide_s=0.0).sample(np.arange(n) / fps)
