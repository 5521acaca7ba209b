"""The synthetic target pulse: rate, realism and phase continuity."""

import numpy as np
from scipy.signal import find_peaks, periodogram

from privacycam.pulse.decoy import DecoyNoise
from privacycam.pulse.target import TargetPulse, beat_shape, synthetic_ppg


def _peak_bpm(x: np.ndarray, fps: float) -> float:
    f, p = periodogram(x - x.mean(), fs=fps, nfft=1 << 15)
    band = (f > 0.7) & (f < 3.5)
    return float(f[band][np.argmax(p[band])] * 60)


def test_rate_matches_target():
    for bpm in (50, 75, 90, 120, 150):
        assert abs(_peak_bpm(synthetic_ppg(30, 30, bpm), 30) - bpm) < 1.0


def test_every_10s_window_keeps_the_chosen_mean_rate():
    """HRV varies the beats, not the rate an attacker's 10-s window reads (it once drifted 1.7 %)."""
    fps = 30.0
    for seed in range(4):
        for bpm in (60, 90, 120, 150):
            target = TargetPulse(bpm, seed=seed)
            phases = []
            for t in np.arange(0, 40, 1 / fps):
                target.advance(float(t))
                phases.append(target.phase)
            phases = np.asarray(phases)
            window = int(10 * fps)
            rates = (phases[window:] - phases[:-window]) / 10.0 * 60.0
            assert np.abs(rates - bpm).max() < 0.005 * bpm, (seed, bpm, np.abs(rates - bpm).max())


def test_waveform_is_not_a_sine_and_has_beat_to_beat_variability():
    fps = 120.0
    x = synthetic_ppg(60, fps, 70)
    f, p = periodogram(x, fs=fps)
    harmonic_power = p[(f > 2.0) & (f < 2.7)].sum() / p[(f > 0.9) & (f < 1.5)].sum()
    assert harmonic_power > 0.05  # the systolic/dicrotic shape puts some power in the harmonics
    peaks, _ = find_peaks(x, distance=fps * 0.4)
    intervals = np.diff(peaks) / fps
    assert intervals.std() > 0.01  # HRV: intervals vary by more than 10 ms
    assert abs(60 / intervals.mean() - 70) < 2


def test_harmonics_stay_below_the_fundamental_even_in_the_derivative():
    """A network reading the pulse's derivative weighs the k-th harmonic by k: no harmonic may
    outgrow the fundamental there, or such a network reads a multiple of the target."""
    beat = beat_shape(np.linspace(0.0, 1.0, 4096, endpoint=False))
    amplitude = np.abs(np.fft.rfft(beat))[1:6]
    derivative = amplitude * np.arange(1, 6)
    assert derivative[1:].max() < 0.6 * derivative[0], derivative / derivative[0]


def test_phase_is_continuous_across_rate_changes():
    pulse = TargetPulse(60, seed=3)
    phases = []
    for i in range(600):
        if i == 300:
            pulse.set_bpm(120)
        pulse.advance(i / 30)
        phases.append(pulse.phase)
    steps = np.diff(phases)
    assert steps.min() > 0  # never jumps back
    assert steps.max() < 2.3 / 30  # at most ~the top instantaneous rate per frame: no jump
    assert abs(steps[-30:].mean() * 30 * 60 - 120) < 10  # reached the new rate (glide)
    assert abs(steps[290:300].mean() * 30 * 60 - 60) < 8


def test_preview_does_not_advance_state():
    pulse = TargetPulse(80, seed=1)
    pulse.advance(0.0)
    before = pulse.phase
    ahead = pulse.preview(np.array([0.1, 0.2]))
    assert pulse.phase == before
    assert np.allclose(ahead, [pulse.advance(0.1), pulse.advance(0.2)])


def test_decoy_has_no_dominant_peak():
    decoy = DecoyNoise(fps=30, seed=5)
    x = np.array([decoy.advance() for _ in range(30 * 60)])
    f, p = periodogram(x, fs=30)
    band = (f > 0.7) & (f < 3.5)
    share = p[band].max() / p[band].sum()
    assert share < 0.05
    assert 0.7 < x.std() < 1.3
