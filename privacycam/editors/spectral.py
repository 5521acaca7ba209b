"""The non-learned pulse editor: estimate the real pulse in canonical space, cancel its
predicted continuation, and inject the mode's drive signal in the blood-volume direction.

Per window: skin-weighted colour of each cell of a ``grid`` x ``grid`` canonical grid;
the pulse frequency from the POS projection of the whole skin; per cell and channel a
least-squares fit of the pulse (fundamental + first harmonic) at that frequency; the plan
subtracts the fit's continuation (causal prediction) and adds ``drive`` times an
injection map proportional to each cell's skin colour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from privacycam.editors.base import Editor, Plan, Window
from privacycam.modes import Mode
from privacycam.pulse.colour import BLOOD_VOLUME_BGR

BAND_HZ = (0.7, 3.5)


def pos_projection(trace_bgr: np.ndarray) -> np.ndarray:
    """Single-window POS (Wang et al. 2017) pulse signal from a (T, 3) BGR colour trace."""
    normalised = trace_bgr / np.maximum(trace_bgr.mean(axis=0), 1e-6) - 1.0
    b, g, r = normalised[:, 0], normalised[:, 1], normalised[:, 2]
    s1, s2 = g - b, g + b - 2.0 * r
    return s1 + (s1.std() / max(s2.std(), 1e-9)) * s2


def sinusoid_design(times: np.ndarray, freq: float, harmonics: int) -> np.ndarray:
    """Columns: 1, t, then cos/sin at each harmonic of ``freq``."""
    cols = [np.ones_like(times), times - times.mean()]
    for k in range(1, harmonics + 1):
        cols += [np.cos(2 * np.pi * k * freq * times), np.sin(2 * np.pi * k * freq * times)]
    return np.stack(cols, axis=1)


def dominant_frequency(signal: np.ndarray, times: np.ndarray) -> float:
    """Frequency (Hz) in the pulse band that best explains ``signal`` by a sinusoid fit."""
    best, best_energy = BAND_HZ[0], -1.0
    centred = signal - signal.mean()
    for freq in np.arange(BAND_HZ[0], BAND_HZ[1], 0.01):
        design = sinusoid_design(times, freq, 1)
        coef, *_ = np.linalg.lstsq(design, centred, rcond=None)
        energy = float(coef[2] ** 2 + coef[3] ** 2)
        if energy > best_energy:
            best, best_energy = float(freq), energy
    return best


def pulse_signature(fundamental: np.ndarray) -> np.ndarray:
    """The real pulse's spatial-colour pattern (g, g, 3) from its cos/sin fit coefficients.

    The pulse at each cell and channel is ``a cos(wt) + b sin(wt)``; the pattern is the
    in-phase real part along the principal common phase, with the pulse's amplitude. Any
    linear estimator reads a signal injected along it exactly as it reads the real pulse.
    """
    z = (fundamental[0] - 1j * fundamental[1]).ravel()
    theta = 0.5 * np.angle(np.sum(z * z))
    pattern = np.real(z * np.exp(-1j * theta))
    return pattern.reshape(fundamental.shape[1:]).astype(np.float32)


def _limit_to_physiology(coef: np.ndarray, mean_colour: np.ndarray, max_rel: float) -> np.ndarray:
    """Scale down cells whose fitted "pulse" exceeds ``max_rel`` of their brightness: a
    blood-volume pulse is well under 1-2 %; anything larger is motion or lighting."""
    amplitude = np.sqrt((coef**2).sum(axis=0))  # (g, g, 3)
    limit = max_rel * np.maximum(mean_colour, 1.0)
    factor = np.minimum(1.0, limit / np.maximum(amplitude, 1e-9)).min(axis=-1, keepdims=True)
    return coef * factor[None]


@dataclass
class SpectralPlan(Plan):
    """Cancel = minus the fitted pulse continued in time; inject = drive x injection map."""

    made_at: float
    freq_hz: float
    pulse_coef: np.ndarray  # (2*harmonics, g, g, 3) cos/sin coefficients
    inject_map: np.ndarray  # (g, g, 3) grey levels per unit drive
    cancel_gain: float
    max_age_s: float
    pulse_hz: float | None = None

    def edit_at(self, timestamp: float, drive: float) -> np.ndarray:
        edit = drive * self.inject_map
        age = timestamp - self.made_at
        if self.cancel_gain > 0 and age < self.max_age_s:
            fade = self.cancel_gain * (1.0 - max(0.0, age) / self.max_age_s)
            basis = []
            for k in range(1, self.pulse_coef.shape[0] // 2 + 1):
                basis += [np.cos(2 * np.pi * k * self.freq_hz * timestamp), np.sin(2 * np.pi * k * self.freq_hz * timestamp)]
            predicted = np.tensordot(np.asarray(basis, np.float32), self.pulse_coef, axes=1)
            edit = edit - fade * predicted
        return edit.astype(np.float32)


class SpectralEditor(Editor):
    """Pulse cancellation by causal sinusoid prediction plus injection of the drive signal.

    The drive is injected along the measured real pulse's own spatial-colour signature at
    ``outshout`` times its amplitude (so whatever reads the real pulse reads the drive
    louder, and an uncancelled residual is out-shouted), plus a floor of ``inject_rel``
    times skin brightness along the standard blood-volume direction (the only injection
    before enough history exists to measure the pulse).
    """

    name = "spectral"
    backend = "numpy"

    def __init__(
        self,
        grid: int = 8,
        fit_seconds: float = 6.0,
        harmonics: int = 2,
        inject_rel: float = 0.012,
        outshout: float = 3.0,
        cancel_gain: float = 1.0,
        max_age_s: float = 2.0,
        min_window_s: float = 2.0,
        max_pulse_rel: float = 0.01,
    ) -> None:
        self.grid = grid
        self.fit_seconds = fit_seconds
        self.harmonics = harmonics
        self.inject_rel = inject_rel
        self.outshout = outshout
        self.cancel_gain = cancel_gain
        self.max_age_s = max_age_s
        self.min_window_s = min_window_s
        self.max_pulse_rel = max_pulse_rel

    def plan(self, window: Window, mode: Mode) -> SpectralPlan:
        times = window.timestamps.astype(np.float64)
        keep = times >= times[-1] - self.fit_seconds
        times = times[keep]
        cells, cover = window.cell_means(self.grid)
        cells, cover = cells[keep].astype(np.float64), cover[keep]
        skin = cover.mean(axis=0) > 0.3  # (g, g) cells that are mostly skin
        g = self.grid
        if not skin.any():
            zeros = np.zeros((2 * self.harmonics, g, g, 3), np.float32)
            return SpectralPlan(float(times[-1]), 1.0, zeros, np.zeros((g, g, 3), np.float32), 0.0, self.max_age_s)

        weights = cover * skin
        trace = (cells * weights[..., None]).sum(axis=(1, 2)) / np.maximum(weights.sum(axis=(1, 2)), 1e-6)[:, None]
        if times[-1] - times[0] >= self.min_window_s:
            freq = dominant_frequency(pos_projection(trace), times)
            design = sinusoid_design(times, freq, self.harmonics)
            coef, *_ = np.linalg.lstsq(design, cells.reshape(len(times), -1), rcond=None)
            pulse_coef = coef[2:].reshape(2 * self.harmonics, g, g, 3) * skin[None, :, :, None]
            pulse_coef = _limit_to_physiology(pulse_coef, cells.mean(axis=0), self.max_pulse_rel)
        else:  # too little history to fit the pulse: inject only (protects from the first frame)
            freq, pulse_coef = None, np.zeros((2 * self.harmonics, g, g, 3))

        mean_colour = cells.mean(axis=0) * skin[..., None]  # (g, g, 3)
        floor = (self.inject_rel * mean_colour * BLOOD_VOLUME_BGR / BLOOD_VOLUME_BGR.max()).astype(np.float32)
        signature = pulse_signature(pulse_coef[:2])
        if np.sum(signature * floor) < 0:  # the pattern's sign is arbitrary: agree with the floor
            signature = -signature
        inject = floor + self.outshout * signature
        if not mode.edits_pulse:
            inject = np.zeros((g, g, 3), np.float32)
        cancel = self.cancel_gain if mode.edits_pulse else 0.0
        return SpectralPlan(
            float(times[-1]), freq or 1.0, pulse_coef.astype(np.float32), inject, cancel, self.max_age_s, pulse_hz=freq
        )
